"""asyncio.wait with FIRST_EXCEPTION, results read back in url order; `finally:` cancels
and awaits the tasks still running (asyncio.wait never cancels them, not even when the
call itself is cancelled)."""
import asyncio


async def fetch_all(urls, fetch):
    if not urls:
        return []
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                raise task.exception()
        return [task.result() for task in tasks]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)


async def fetch_all_settled(urls, fetch):
    if not urls:
        return []
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    try:
        await asyncio.wait(tasks)
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        raise
    return [task.exception() or task.result() for task in tasks]
