"""Collects results with as_completed: they come back in finishing order, and cancelling
fetch_all leaves every fetch running (as_completed never cancels the tasks it made)."""
# loses: test_results_in_url_order test_cancellation_propagates
import asyncio


async def fetch_all(urls, fetch):
    return [await next_done for next_done in asyncio.as_completed([fetch(u) for u in urls])]


async def fetch_all_settled(urls, fetch):
    return await asyncio.gather(*(fetch(u) for u in urls), return_exceptions=True)
