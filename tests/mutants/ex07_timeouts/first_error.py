"""Keeps the first failure and raises it at the end instead of the last one."""
# loses: test_last_error_raised_at_once
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    async with asyncio.timeout(timeout):
        return await fetch(url)


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    errors = []
    for attempt in range(attempts):
        try:
            return await fetch_with_timeout(url, fetch, timeout)
        except Exception as error:
            errors.append(error)
        if attempt < attempts - 1:
            await asyncio.sleep(backoff * 2**attempt)
    raise errors[0]
