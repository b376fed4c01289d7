"""An off-by-one: Semaphore(limit - 1) runs one slot short (and nothing at all for limit 1)."""

# loses: test_no_idle_slots
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    semaphore = asyncio.Semaphore(limit - 1)

    async def fetch_one(url):
        async with semaphore:
            return await fetch(url)

    return await asyncio.gather(*(fetch_one(url) for url in urls), return_exceptions=True)
