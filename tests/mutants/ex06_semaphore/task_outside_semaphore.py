"""Starts the fetch's task inside `async with semaphore:` but awaits it after the block:
the permit is back before the fetch even runs, so the semaphore limits nothing."""

# loses: test_never_more_than_limit_in_flight
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    semaphore = asyncio.Semaphore(limit)

    async def fetch_one(url):
        async with semaphore:
            task = asyncio.create_task(fetch(url))
        return await task

    return await asyncio.gather(*(fetch_one(url) for url in urls), return_exceptions=True)
