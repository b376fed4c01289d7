"""asyncio.timeout around an as_completed loop; race takes the first of as_completed."""
import asyncio
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class DeadlineResult(Generic[T]):
    done: dict[str, T]
    failed: dict[str, Exception]
    timed_out: set[str]


async def fetch_before_deadline(urls, fetch, timeout):
    result = DeadlineResult({}, {}, set())
    url_of = {asyncio.create_task(fetch(url)): url for url in urls}
    try:
        async with asyncio.timeout(timeout):
            for next_done in asyncio.as_completed(url_of):
                try:
                    await next_done
                except Exception:
                    pass  # read back from the task below
    except TimeoutError:
        pass
    finally:
        for task in url_of:
            task.cancel()
        await asyncio.gather(*url_of, return_exceptions=True)
    for task, url in url_of.items():
        if task.cancelled():
            result.timed_out.add(url)
        elif task.exception() is not None:
            result.failed[url] = task.exception()
        else:
            result.done[url] = task.result()
    return result


async def race(urls, fetch):
    if len(urls) == 0:
        raise ValueError("race() of nothing")

    async def tagged(url):
        return url, await fetch(url)

    tasks = [asyncio.create_task(tagged(url)) for url in urls]
    try:
        for first in asyncio.as_completed(tasks):
            return await first
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
