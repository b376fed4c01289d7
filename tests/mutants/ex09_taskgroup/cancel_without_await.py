"""gather, then on a failure cancels the other tasks and raises the group at once,
without awaiting the cancelled tasks: they have not finished cancelling yet."""
# loses: test_raises_after_siblings_finished_cancelling
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    try:
        return await asyncio.gather(*tasks)
    except Exception:
        for task in tasks:
            task.cancel()
        errors = [
            task.exception()
            for task in tasks
            if task.done() and not task.cancelled() and task.exception() is not None
        ]
        raise ExceptionGroup("some fetches failed", errors) from None
