"""Builds a list of coroutines, then gathers a second, fresh set: the first set is never awaited."""
# loses: test_each_url_fetched_once
import asyncio


async def fetch_all(urls, fetch):
    pending = [fetch(u) for u in urls]  # noqa: F841 - never awaited
    return await asyncio.gather(*(fetch(u) for u in urls))


async def fetch_all_settled(urls, fetch):
    return await asyncio.gather(*(fetch(u) for u in urls), return_exceptions=True)
