"""asyncio.wait(FIRST_EXCEPTION), then cancel the pending tasks, await them and raise an
ExceptionGroup of the failures; `finally:` covers our own cancellation."""
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    if not tasks:
        return []
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    errors = [task.exception() for task in tasks if task in done and task.exception()]
    if errors:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        raise ExceptionGroup("fetch_all_or_cancel: some fetches failed", errors)
    return [task.result() for task in tasks]
