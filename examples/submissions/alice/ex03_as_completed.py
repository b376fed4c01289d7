"""asyncio.wait(FIRST_COMPLETED) loops over a task -> url map, cleaned up in finally;
raises a subclass of AllFailed."""
import asyncio


class AllFailed(Exception):
    def __init__(self, errors):
        super().__init__("every fetch failed")
        self.errors = errors


class NoneSucceeded(AllFailed):
    """A subclass is an AllFailed too."""


async def _finished(urls, fetch):
    """Async generator of finished (url, task), in finishing order."""
    url_of = {asyncio.create_task(fetch(url)): url for url in urls}
    pending = set(url_of)
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                yield url_of[task], task
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)


async def in_completion_order(urls, fetch):
    pairs = []
    finished = _finished(urls, fetch)
    try:
        async for url, task in finished:
            pairs.append((url, task.result()))
    finally:
        await finished.aclose()
    return pairs


async def stream(urls, fetch):
    finished = _finished(urls, fetch)
    try:
        async for url, task in finished:
            yield url, task.result()
    finally:
        await finished.aclose()


async def first_successful(urls, fetch):
    errors = []
    finished = _finished(urls, fetch)
    try:
        async for url, task in finished:
            if task.exception() is None:
                return url, task.result()
            errors.append(task.exception())
    finally:
        await finished.aclose()
    raise NoneSucceeded(errors)
