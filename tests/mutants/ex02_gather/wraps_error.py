"""Catches the fetch's error and raises a new one: the original object is lost."""
# loses: test_failure_propagates
import asyncio


async def fetch_all(urls, fetch):
    try:
        return await asyncio.gather(*(fetch(u) for u in urls))
    except Exception as error:
        raise RuntimeError(f"a fetch failed: {error}") from error


async def fetch_all_settled(urls, fetch):
    return await asyncio.gather(*(fetch(u) for u in urls), return_exceptions=True)
