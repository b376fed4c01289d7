"""`limit` workers, each given its own fixed share (urls[i::limit]): a worker whose share
is done sits idle while another still has a queue."""

# loses: test_no_idle_slots
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    results = [None] * len(urls)

    async def worker(first):
        for index in range(first, len(urls), limit):
            try:
                results[index] = await fetch(urls[index])
            except Exception as error:
                results[index] = error

    await asyncio.gather(*(worker(first) for first in range(limit)))
    return results
