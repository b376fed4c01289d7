"""Makes the per-attempt timeout optional, `timeout=None` by default (no limit unless one
is given): called with the defaults, a hanging attempt is never cut at 1 s."""
# loses: test_defaults_and_attempts_check
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    async with asyncio.timeout(timeout):
        return await fetch(url)


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=None, backoff=0.5):
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
