"""TaskGroup workers take urls from a queue and treat a cancelled fetch as one more
failure: `except asyncio.CancelledError` leaves None in the slot and moves on to the next
url, so cancelling crawl does not stop the workers."""

# loses: test_cancellation_propagates
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    queue = asyncio.Queue()
    for job in enumerate(urls):
        queue.put_nowait(job)
    results = [None] * len(urls)

    async def worker():
        while not queue.empty():
            index, url = queue.get_nowait()
            try:
                results[index] = await fetch(url)
            except asyncio.CancelledError:
                results[index] = None
            except Exception as error:
                results[index] = error

    async with asyncio.TaskGroup() as group:
        for _ in range(min(limit, len(urls))):
            group.create_task(worker())
    return results
