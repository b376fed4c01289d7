"""Awaits the fetches one after another, wrapping a failure in a group."""
# loses: test_fetches_run_concurrently test_siblings_cancelled_at_failure


async def fetch_all_or_cancel(urls, fetch):
    results = []
    for url in urls:
        try:
            results.append(await fetch(url))
        except Exception as error:
            raise ExceptionGroup("a fetch failed", [error]) from None
    return results
