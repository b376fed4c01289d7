"""Plain asyncio.gather: the first failure escapes bare while the other fetches run on."""
# loses: test_siblings_cancelled_at_failure test_raises_exception_group test_raises_after_siblings_finished_cancelling
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    return await asyncio.gather(*(fetch(url) for url in urls))
