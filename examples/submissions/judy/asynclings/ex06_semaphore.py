"""acquire() ... release() without try/finally: a fetch that raises never gives its permit
back, so the crawl runs one slot short after every failure."""

import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    semaphore = asyncio.Semaphore(limit)

    async def fetch_one(url):
        await semaphore.acquire()
        result = await fetch(url)
        semaphore.release()
        return result

    return await asyncio.gather(*(fetch_one(url) for url in urls), return_exceptions=True)
