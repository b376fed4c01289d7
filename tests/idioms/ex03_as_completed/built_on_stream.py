"""One async generator of settled outcomes does the work; the three functions consume it
(an async comprehension, a filtering generator, an early return), and aclose() cleans up."""
import asyncio
from contextlib import aclosing


class AllFailed(Exception):
    def __init__(self, errors):
        super().__init__(f"{len(errors)} failures")
        self.errors = errors


async def _settled(urls, fetch):
    """Yield (url, result, error) as each fetch finishes; cancel the rest when closed."""

    async def settle(url):
        try:
            return url, await fetch(url), None
        except Exception as error:
            return url, None, error

    tasks = [asyncio.create_task(settle(url)) for url in urls]
    try:
        for next_done in asyncio.as_completed(tasks):
            yield await next_done
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def stream(urls, fetch):
    async with aclosing(_settled(urls, fetch)) as outcomes:
        async for url, result, error in outcomes:
            if error is not None:
                raise error
            yield url, result


async def in_completion_order(urls, fetch):
    async with aclosing(stream(urls, fetch)) as pairs:
        return [pair async for pair in pairs]


async def first_successful(urls, fetch):
    errors = []
    async with aclosing(_settled(urls, fetch)) as outcomes:
        async for url, result, error in outcomes:
            if error is None:
                return url, result
            errors.append(error)
    raise AllFailed(errors)
