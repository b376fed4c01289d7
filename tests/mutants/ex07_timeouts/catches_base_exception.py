"""Retries on BaseException: the caller's CancelledError is caught and retried."""
# loses: test_cancellation_propagates
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    async with asyncio.timeout(timeout):
        return await fetch(url)


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    last_error = None
    for attempt in range(attempts):
        try:
            return await fetch_with_timeout(url, fetch, timeout)
        except BaseException as error:
            last_error = error
        if attempt < attempts - 1:
            await asyncio.sleep(backoff * 2**attempt)
    raise last_error
