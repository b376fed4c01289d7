"""Falls off the end of the retry loop: returns None when every attempt failed."""
# loses: test_last_error_raised_at_once
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    async with asyncio.timeout(timeout):
        return await fetch(url)


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(attempts):
        try:
            return await fetch_with_timeout(url, fetch, timeout)
        except Exception:
            pass
        if attempt < attempts - 1:
            await asyncio.sleep(backoff * 2**attempt)
