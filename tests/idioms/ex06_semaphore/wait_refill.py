"""asyncio.wait(FIRST_COMPLETED) refill loop: keep `limit` tasks running, start the next
url whenever one finishes."""

import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be positive")
    results = [None] * len(urls)
    todo = list(enumerate(urls))
    todo.reverse()
    running = {}
    try:
        while todo or running:
            while todo and len(running) < limit:
                index, url = todo.pop()
                running[asyncio.create_task(fetch(url))] = index
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                index = running.pop(task)
                error = task.exception()
                results[index] = error if error is not None else task.result()
    except BaseException:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise
    return results
