"""A TaskGroup whose tasks append their results as they finish: finishing order, not url order."""
# loses: test_results_in_url_order
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    results = []

    async def one(url):
        results.append(await fetch(url))

    async with asyncio.TaskGroup() as group:
        for url in urls:
            group.create_task(one(url))
    return results
