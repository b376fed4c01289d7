"""Cancels and awaits correctly but puts only the first failure in the group, losing
failures that happened at the same instant."""
# loses: test_raises_exception_group
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    if not urls:
        return []
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in tasks:
        if task in done and task.exception() is not None:
            raise ExceptionGroup("a fetch failed", [task.exception()])
    return [task.result() for task in tasks]
