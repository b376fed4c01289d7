"""asyncio.wait(FIRST_EXCEPTION), cancel, await, group: right on a failure, but nothing
cleans up when the function itself is cancelled."""
# loses: test_cancellation_propagates
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    if not urls:
        return []
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    errors = [task.exception() for task in done if task.exception() is not None]
    if errors:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        raise ExceptionGroup("fetches failed", errors)
    return [task.result() for task in tasks]
