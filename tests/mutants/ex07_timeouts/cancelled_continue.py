"""Treats CancelledError as one more failure to retry: `except asyncio.CancelledError: continue`."""
# loses: test_cancellation_propagates
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    return await asyncio.wait_for(fetch(url), timeout)


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    last_error = None
    for attempt in range(attempts):
        try:
            return await fetch_with_timeout(url, fetch, timeout)
        except asyncio.CancelledError:
            continue
        except Exception as error:
            last_error = error
        if attempt < attempts - 1:
            await asyncio.sleep(backoff * 2**attempt)
    raise last_error
