"""Workers pop urls from the end of a shared list: the urls start in reverse order, which
the contract allows, and the results are still written at their index."""

import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("bad limit")
    stack = list(enumerate(urls))
    results = [None] * len(urls)

    async def worker():
        while stack:
            index, url = stack.pop()
            try:
                results[index] = await fetch(url)
            except Exception as error:
                results[index] = error

    workers = [asyncio.create_task(worker()) for _ in range(limit)]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    return results
