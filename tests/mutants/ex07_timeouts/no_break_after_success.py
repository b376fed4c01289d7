"""Stores the result but forgets to stop: keeps making attempts after a success."""
# loses: test_first_success_returned
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    async with asyncio.timeout(timeout):
        return await fetch(url)


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    result = None
    last_error = None
    for attempt in range(attempts):
        try:
            result = await fetch_with_timeout(url, fetch, timeout)
            last_error = None
        except Exception as error:
            last_error = error
            if attempt < attempts - 1:
                await asyncio.sleep(backoff * 2**attempt)
    if last_error is not None:
        raise last_error
    return result
