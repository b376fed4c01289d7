"""asyncio.timeout_at with an absolute deadline; a for/else retry loop that keeps the last error."""
import asyncio


async def fetch_with_timeout(url, fetch, timeout):
    deadline = asyncio.get_running_loop().time() + timeout
    async with asyncio.timeout_at(deadline):
        return await fetch(url)


async def fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5):
    if attempts < 1:
        raise ValueError("need at least one attempt")
    last = None
    for attempt in range(attempts):
        if attempt:
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
        try:
            result = await fetch_with_timeout(url, fetch, timeout)
        except Exception as error:
            last = error
        else:
            break
    else:
        raise last
    return result
