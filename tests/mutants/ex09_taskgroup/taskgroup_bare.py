"""A TaskGroup, but it unwraps the group and raises the first failure bare."""
# loses: test_raises_exception_group
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(fetch(url)) for url in urls]
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]
