"""A TaskGroup, re-raising the first failure itself rather than the group."""
import asyncio


async def fetch_all(urls, fetch):
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(fetch(url)) for url in urls]
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]


async def fetch_all_settled(urls, fetch):
    async def settle(url):
        try:
            return await fetch(url)
        except Exception as error:
            return error

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(settle(url)) for url in urls]
    return [task.result() for task in tasks]
