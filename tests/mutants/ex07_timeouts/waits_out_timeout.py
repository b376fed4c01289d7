"""Sleeps the whole timeout, then looks at the fetch: a fast result comes back late."""
# loses: test_timeout_returns_result_or_error
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    task = asyncio.ensure_future(fetch(url))
    try:
        await asyncio.sleep(timeout)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if task.cancelled():
        raise TimeoutError(f"{url} took longer than {timeout} s")
    return task.result()


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
