"""Relies on asyncio.Semaphore to reject a bad limit: Semaphore(-1) raises ValueError, but
Semaphore(0) is accepted and admits nobody, so limit=0 waits forever."""

# loses: test_bad_limit_raises_value_error
import asyncio


async def crawl(urls, fetch, limit):
    semaphore = asyncio.Semaphore(limit)

    async def fetch_one(url):
        async with semaphore:
            return await fetch(url)

    return await asyncio.gather(*(fetch_one(url) for url in urls), return_exceptions=True)
