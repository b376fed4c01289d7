"""fetch_all_settled forgets return_exceptions=True: the first failure escapes."""
# loses: test_settled_keeps_failures_in_place test_settled_runs_concurrently
import asyncio


async def fetch_all(urls, fetch):
    return await asyncio.gather(*(fetch(u) for u in urls))


async def fetch_all_settled(urls, fetch):
    return await asyncio.gather(*(fetch(u) for u in urls))
