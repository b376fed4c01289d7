"""asyncio.wait_for for the timeout; a while loop whose delay doubles each time."""
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    return await asyncio.wait_for(fetch(url), timeout=timeout)


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("need at least one attempt")
    failures = 0
    delay = backoff
    while True:
        try:
            return await asyncio.wait_for(fetch(url), timeout)
        except asyncio.CancelledError:
            raise
        except Exception:
            failures += 1
            if failures >= attempts:
                raise
        await asyncio.sleep(delay)
        delay *= 2
