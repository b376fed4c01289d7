"""as_completed over the tasks: the first failure cancels the rest, awaits them, and
raises a group of every failure so far; `finally:` covers our own cancellation."""
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    try:
        for next_done in asyncio.as_completed(tasks):
            try:
                await next_done
            except Exception:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                errors = [
                    task.exception()
                    for task in tasks
                    if not task.cancelled() and task.exception() is not None
                ]
                raise ExceptionGroup("fetches failed", errors) from None
        return [task.result() for task in tasks]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
