"""fetch_with_timeout swallows the timeout and returns None instead of raising."""
# loses: test_timeout_fires_at_timeout
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    try:
        return await asyncio.wait_for(fetch(url), timeout)
    except TimeoutError:
        return None


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(attempts):
        try:
            async with asyncio.timeout(timeout):
                return await fetch(url)
        except Exception:
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(backoff * 2**attempt)
