"""A TaskGroup of small coroutines that store each result under its url."""
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    results = {}

    async def one(url):
        results[url] = await fetch(url)

    async with asyncio.TaskGroup() as group:
        for url in urls:
            group.create_task(one(url))
    return [results[url] for url in urls]
