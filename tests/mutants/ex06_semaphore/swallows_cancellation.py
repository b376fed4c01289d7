"""Catches CancelledError to return the results gathered so far: the cancellation is
swallowed."""

# loses: test_cancellation_propagates
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    semaphore = asyncio.Semaphore(limit)
    results = [None] * len(urls)

    async def fetch_one(index, url):
        async with semaphore:
            try:
                results[index] = await fetch(url)
            except Exception as error:
                results[index] = error

    tasks = [asyncio.create_task(fetch_one(i, url)) for i, url in enumerate(urls)]
    try:
        await asyncio.gather(*tasks)
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
    return results
