"""asyncio.wait with FIRST_EXCEPTION, results read back in url order."""
import asyncio


async def fetch_all(urls, fetch):
    if not urls:
        return []
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    for task in done:
        if task.exception() is not None:
            for other in pending:
                other.cancel()
            raise task.exception()
    return [task.result() for task in tasks]


async def fetch_all_settled(urls, fetch):
    if not urls:
        return []
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    await asyncio.wait(tasks)
    return [task.exception() or task.result() for task in tasks]
