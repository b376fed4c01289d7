"""Waits `backoff` between attempts every time: the wait never doubles."""
# loses: test_retry_schedule test_each_attempt_limited_by_timeout
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    return await asyncio.wait_for(fetch(url), timeout)


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(attempts):
        try:
            return await fetch_with_timeout(url, fetch, timeout)
        except Exception:
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(backoff)
