"""Counts attempts from 1 in the backoff: waits backoff * 2**(i+1), twice too long."""
# loses: test_retry_schedule test_each_attempt_limited_by_timeout
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    async with asyncio.timeout(timeout):
        return await fetch(url)


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(1, attempts + 1):
        try:
            return await fetch_with_timeout(url, fetch, timeout)
        except Exception:
            if attempt == attempts:
                raise
        await asyncio.sleep(backoff * 2**attempt)
