"""Retries a failed fetch once before giving up: a url is fetched twice, and the retry
holds the slot the others were waiting for."""

# loses: test_each_url_fetched_once test_failures_do_not_slow_the_others
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    semaphore = asyncio.Semaphore(limit)

    async def fetch_one(url):
        async with semaphore:
            try:
                return await fetch(url)
            except Exception:
                return await fetch(url)

    return await asyncio.gather(*(fetch_one(url) for url in urls), return_exceptions=True)
