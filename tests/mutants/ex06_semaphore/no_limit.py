"""Checks the limit, then gathers everything at once: nothing bounds the fetches in flight."""

# loses: test_never_more_than_limit_in_flight
import asyncio


async def crawl(urls, fetch, limit):
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return await asyncio.gather(*(fetch(url) for url in urls), return_exceptions=True)
