"""`limit` workers that each walk the whole list instead of sharing one iterator: every
url is fetched `limit` times."""

# loses: test_each_url_fetched_once
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    results = [None] * len(urls)

    async def worker():
        for index, url in enumerate(urls):
            try:
                results[index] = await fetch(url)
            except Exception as error:
                results[index] = error

    await asyncio.gather(*(worker() for _ in range(limit)))
    return results
