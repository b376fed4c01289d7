"""Releases the permit in `except` and again in `finally`: every failure adds a permit,
so more than `limit` fetches run after it."""

# loses: test_never_more_than_limit_in_flight
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    semaphore = asyncio.Semaphore(limit)

    async def fetch_one(url):
        await semaphore.acquire()
        try:
            return await fetch(url)
        except Exception:
            semaphore.release()
            raise
        finally:
            semaphore.release()

    return await asyncio.gather(*(fetch_one(url) for url in urls), return_exceptions=True)
