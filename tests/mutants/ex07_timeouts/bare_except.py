"""A bare `except:` in the retry loop swallows the caller's cancellation."""
# loses: test_cancellation_propagates
import asyncio
import sys


async def fetch_with_timeout(url, fetch, timeout):
    async with asyncio.timeout(timeout):
        return await fetch(url)


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    last_error = None
    attempt = 0
    while attempt < attempts:
        try:
            return await fetch_with_timeout(url, fetch, timeout)
        except:  # noqa: E722
            last_error = sys.exc_info()[1]
        if attempt < attempts - 1:
            await asyncio.sleep(backoff * 2**attempt)
        attempt += 1
    raise last_error
