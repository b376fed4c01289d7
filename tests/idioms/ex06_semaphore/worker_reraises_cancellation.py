"""TaskGroup workers catch `BaseException` around each fetch but keep only Exceptions in
the slots: anything else (CancelledError) is raised again, so cancelling crawl stops
every worker at once."""

import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    jobs = iter(enumerate(urls))
    results = [None] * len(urls)

    async def worker():
        for index, url in jobs:
            try:
                results[index] = await fetch(url)
            except BaseException as error:
                if not isinstance(error, Exception):
                    raise
                results[index] = error

    async with asyncio.TaskGroup() as group:
        for _ in range(min(limit, len(urls))):
            group.create_task(worker())
    return results
