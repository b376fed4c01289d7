"""A TaskGroup, but failures are caught with except* and partial results returned."""
# loses: test_raises_exception_group
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    tasks = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(fetch(url)) for url in urls]
    except* Exception:
        pass
    return [
        task.result() if task.done() and not task.cancelled() and task.exception() is None
        else None
        for task in tasks
    ]
