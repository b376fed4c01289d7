"""A hand-made timeout: loop.call_later cancels the fetch task, and only that cancellation
becomes TimeoutError (the caller's own cancellation still propagates)."""
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(fetch(url))
    expired = False

    def expire():
        nonlocal expired
        expired = True
        task.cancel()

    timer = loop.call_later(timeout, expire)
    try:
        return await task
    except asyncio.CancelledError:
        if expired and not asyncio.current_task().cancelling():
            raise TimeoutError(f"{url}: no answer within {timeout} s") from None
        raise
    finally:
        timer.cancel()


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("need at least one attempt")
    loop = asyncio.get_running_loop()
    for attempt in range(attempts):
        try:
            return await fetch_with_timeout(url, fetch, timeout)
        except Exception:
            if attempt + 1 == attempts:
                raise
        resume = loop.time() + backoff * 2**attempt
        await asyncio.sleep(resume - loop.time())
