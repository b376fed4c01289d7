"""Builds a list of coroutines, then hands fresh ones to the TaskGroup: the first set is
never awaited."""
# loses: test_each_url_fetched_once
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    coroutines = [fetch(url) for url in urls]  # noqa: F841 - never awaited
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(fetch(url)) for url in urls]
    return [task.result() for task in tasks]
