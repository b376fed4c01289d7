"""One task per url inside the semaphore, each catching `BaseException` so that a failure
stands in its slot; crawl then awaits the tasks one by one. Cancelling crawl cancels the
task it is awaiting, which swallows the CancelledError and returns it as a result: crawl
carries on and returns the list."""

# loses: test_cancellation_propagates
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    semaphore = asyncio.Semaphore(limit)

    async def fetch_one(url):
        async with semaphore:
            try:
                return await fetch(url)
            except BaseException as error:
                return error

    tasks = [asyncio.create_task(fetch_one(url)) for url in urls]
    return [await task for task in tasks]
