"""asyncio.wait(timeout=...) then raise TimeoutError: the slow fetch is never cancelled."""
# loses: test_timeout_cancels_fetch_first test_each_attempt_limited_by_timeout test_cancellation_propagates
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    task = asyncio.ensure_future(fetch(url))
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if task in done:
        return task.result()
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
