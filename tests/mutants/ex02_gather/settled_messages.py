"""fetch_all_settled stores the error's message (a str) instead of the exception object."""
# loses: test_settled_keeps_failures_in_place
import asyncio


async def fetch_all(urls, fetch):
    return await asyncio.gather(*(fetch(u) for u in urls))


async def fetch_all_settled(urls, fetch):
    results = await asyncio.gather(*(fetch(u) for u in urls), return_exceptions=True)
    return [str(r) if isinstance(r, Exception) else r for r in results]
