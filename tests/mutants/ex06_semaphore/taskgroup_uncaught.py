"""A TaskGroup with a semaphore, without catching inside the tasks: the first failure
cancels every other fetch and crawl raises an ExceptionGroup."""

# loses: test_failures_stay_in_their_slots test_failures_do_not_slow_the_others
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    semaphore = asyncio.Semaphore(limit)

    async def fetch_one(url):
        async with semaphore:
            return await fetch(url)

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(fetch_one(url)) for url in urls]
    return [task.result() for task in tasks]
