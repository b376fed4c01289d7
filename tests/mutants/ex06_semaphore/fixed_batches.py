"""Gathers `limit` urls at a time: each batch waits for its slowest fetch, slots sit idle."""

# loses: test_no_idle_slots
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    results = []
    for first in range(0, len(urls), limit):
        batch = urls[first : first + limit]
        results += await asyncio.gather(*(fetch(url) for url in batch), return_exceptions=True)
    return results
