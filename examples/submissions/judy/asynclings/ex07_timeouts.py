"""Waits the backoff after every failed attempt, the last one included, before raising."""
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
        except Exception as error:
            last_error = error
            await asyncio.sleep(backoff * 2**attempt)
    raise last_error
