"""On timeout calls task.cancel() and raises at once, without waiting for the cancellation."""
# loses: test_timeout_cancels_fetch_first
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    task = asyncio.ensure_future(fetch(url))
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if task in done:
        return task.result()
    task.cancel()
    raise TimeoutError(f"{url} took longer than {timeout} s")


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
