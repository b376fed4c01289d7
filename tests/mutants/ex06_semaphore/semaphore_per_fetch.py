"""Creates the semaphore inside the per-url coroutine: every fetch gets a fresh semaphore
of its own, so none ever waits and nothing is limited."""

# loses: test_never_more_than_limit_in_flight
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")

    async def fetch_one(url):
        async with asyncio.Semaphore(limit):
            return await fetch(url)

    return await asyncio.gather(*(fetch_one(url) for url in urls), return_exceptions=True)
