"""gather(return_exceptions=True) waits for every fetch, then raises a group of the
failures: right group, but nothing is cancelled."""
import asyncio


async def fetch_all_or_cancel(urls, fetch):
    results = await asyncio.gather(*(fetch(url) for url in urls), return_exceptions=True)
    errors = [result for result in results if isinstance(result, Exception)]
    if errors:
        raise ExceptionGroup("fetches failed", errors)
    return results
