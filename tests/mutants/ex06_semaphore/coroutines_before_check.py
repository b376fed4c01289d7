"""Creates every fetch coroutine first and checks the limit afterwards: fetch() has
already been called when ValueError is raised."""

# loses: test_bad_limit_raises_value_error
import asyncio


async def crawl(urls, fetch, limit):
    pending = [fetch(url) for url in urls]
    if limit < 1:
        raise ValueError("limit must be at least 1")
    semaphore = asyncio.Semaphore(limit)

    async def run(coroutine):
        async with semaphore:
            return await coroutine

    return await asyncio.gather(*(run(c) for c in pending), return_exceptions=True)
