"""Thinks a timeout shows up as CancelledError: a timer cancels the fetch and every
CancelledError is turned into TimeoutError, the caller's own cancellation included."""
# loses: test_cancellation_propagates
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    task = asyncio.ensure_future(fetch(url))
    timer = asyncio.get_running_loop().call_later(timeout, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        raise TimeoutError(f"{url} took longer than {timeout} s") from None
    finally:
        timer.cancel()


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
