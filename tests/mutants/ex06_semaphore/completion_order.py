"""A worker pool that appends each result as its fetch finishes: completion order."""

# loses: test_results_in_input_order
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    pending = iter(urls)
    results = []

    async def worker():
        for url in pending:
            try:
                results.append(await fetch(url))
            except Exception as error:
                results.append(error)

    await asyncio.gather(*(worker() for _ in range(limit)))
    return results
