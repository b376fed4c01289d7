"""Uses a TaskGroup but lets its ExceptionGroup escape instead of the fetch's error."""
# loses: test_failure_propagates
import asyncio


async def fetch_all(urls, fetch):
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(fetch(u)) for u in urls]
    return [task.result() for task in tasks]


async def fetch_all_settled(urls, fetch):
    return await asyncio.gather(*(fetch(u) for u in urls), return_exceptions=True)
