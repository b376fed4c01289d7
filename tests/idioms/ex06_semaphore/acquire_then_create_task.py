"""The producer takes a permit before starting each fetch's task; the task's done
callback gives it back."""

import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    semaphore = asyncio.Semaphore(limit)
    tasks = []
    try:
        for url in urls:
            await semaphore.acquire()
            task = asyncio.create_task(fetch(url))
            task.add_done_callback(lambda _: semaphore.release())
            tasks.append(task)
        return list(await asyncio.gather(*tasks, return_exceptions=True))
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
