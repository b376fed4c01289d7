"""fetch_with_timeout turns every failure of the fetch into TimeoutError."""
# loses: test_timeout_returns_result_or_error test_last_error_raised_at_once
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    try:
        async with asyncio.timeout(timeout):
            return await fetch(url)
    except Exception as error:
        raise TimeoutError(f"fetching {url} failed") from error


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(attempts):
        try:
            return await fetch_with_timeout(url, fetch, timeout)
        except Exception:
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(backoff * 2**attempt)
