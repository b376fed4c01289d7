"""Retries call fetch directly: the attempts are not limited by `timeout`."""
# loses: test_each_attempt_limited_by_timeout test_last_error_raised_at_once
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    async with asyncio.timeout(timeout):
        return await fetch(url)


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(attempts):
        try:
            return await fetch(url)
        except Exception:
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(backoff * 2**attempt)
