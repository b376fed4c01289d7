"""`limit` workers take (index, url) pairs from one asyncio.Queue and write each result at
its index."""

import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    queue = asyncio.Queue()
    for job in enumerate(urls):
        queue.put_nowait(job)
    results = [None] * len(urls)

    async def worker():
        while not queue.empty():
            index, url = queue.get_nowait()
            try:
                results[index] = await fetch(url)
            except Exception as error:
                results[index] = error

    await asyncio.gather(*(worker() for _ in range(min(limit, len(urls)))))
    return results
