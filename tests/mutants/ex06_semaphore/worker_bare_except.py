"""Workers pop urls from a shared list and use a bare `except:` to keep any failure in its
slot. A bare except catches CancelledError too: cancelled, each worker records it and
fetches the next url."""

# loses: test_cancellation_propagates
import asyncio
import sys


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    todo = list(enumerate(urls))
    results = [None] * len(urls)

    async def worker():
        while todo:
            index, url = todo.pop(0)
            try:
                results[index] = await fetch(url)
            except:
                results[index] = sys.exc_info()[1]

    workers = [asyncio.create_task(worker()) for _ in range(limit)]
    await asyncio.gather(*workers)
    return results
