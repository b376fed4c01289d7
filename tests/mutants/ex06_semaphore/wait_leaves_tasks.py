"""Starts a task per url and waits with asyncio.wait, which never cancels them: when crawl
is cancelled, its fetches go on running."""

# loses: test_cancellation_propagates
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if not urls:
        return []
    semaphore = asyncio.Semaphore(limit)

    async def fetch_one(url):
        async with semaphore:
            return await fetch(url)

    tasks = [asyncio.create_task(fetch_one(url)) for url in urls]
    await asyncio.wait(tasks)
    return [task.exception() or task.result() for task in tasks]
