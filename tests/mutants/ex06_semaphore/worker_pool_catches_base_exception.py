"""`limit` workers share one iterator of the urls; each catches `BaseException` around its
fetch to keep the error in its slot. CancelledError is a BaseException: when crawl is
cancelled, every worker swallows it and goes on to fetch the urls still waiting."""

# loses: test_cancellation_propagates
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    jobs = iter(enumerate(urls))
    results = [None] * len(urls)

    async def worker():
        for index, url in jobs:
            try:
                results[index] = await fetch(url)
            except BaseException as exc:
                results[index] = exc

    await asyncio.gather(*(worker() for _ in range(limit)))
    return results
