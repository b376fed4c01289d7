"""Forgets return_exceptions=True: the first failure escapes crawl, the results are lost."""

# loses: test_failures_stay_in_their_slots
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    semaphore = asyncio.Semaphore(limit)

    async def fetch_one(url):
        async with semaphore:
            return await fetch(url)

    return await asyncio.gather(*(fetch_one(url) for url in urls))
