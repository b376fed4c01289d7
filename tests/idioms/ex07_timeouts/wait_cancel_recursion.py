"""asyncio.wait(timeout=...) then cancel and await the fetch task; retries by recursion."""
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    task = asyncio.create_task(fetch(url))
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
    if not done:
        raise TimeoutError(f"no answer from {url} within {timeout} s")
    return task.result()


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("need at least one attempt")
    try:
        return await fetch_with_timeout(url, fetch, timeout)
    except Exception:
        if attempts == 1:
            raise
    await asyncio.sleep(backoff)
    return await fetch_with_retries(
        url, fetch, attempts=attempts - 1, timeout=timeout, backoff=backoff * 2
    )
