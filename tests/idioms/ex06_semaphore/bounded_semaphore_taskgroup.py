"""A BoundedSemaphore inside TaskGroup tasks that catch their own failure, so it stands
in its slot instead of cancelling the group."""

import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    semaphore = asyncio.BoundedSemaphore(limit)

    async def settle(url):
        async with semaphore:
            try:
                return await fetch(url)
            except Exception as error:
                return error

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(settle(url)) for url in urls]
    return [task.result() for task in tasks]
