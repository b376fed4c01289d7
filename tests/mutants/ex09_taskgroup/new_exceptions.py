"""Re-raises a fresh group of RuntimeErrors made from the failures' messages."""
# loses: test_raises_exception_group
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(fetch(url)) for url in urls]
    except ExceptionGroup as failures:
        raise ExceptionGroup(
            "fetch_all_or_cancel failed", [RuntimeError(str(e)) for e in failures.exceptions]
        ) from None
    return [task.result() for task in tasks]
