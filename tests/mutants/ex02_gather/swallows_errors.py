"""fetch_all uses return_exceptions=True too: a failure comes back in the list."""
# loses: test_failure_propagates
import asyncio


async def fetch_all(urls, fetch):
    return await asyncio.gather(*(fetch(u) for u in urls), return_exceptions=True)


async def fetch_all_settled(urls, fetch):
    return await asyncio.gather(*(fetch(u) for u in urls), return_exceptions=True)
