"""race returns the winner and forgets the other fetches, which keep running."""
import asyncio
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class DeadlineResult(Generic[T]):
    done: dict
    failed: dict
    timed_out: set


async def fetch_before_deadline(urls, fetch, timeout):
    result = DeadlineResult({}, {}, set())
    if not urls:
        return result
    tasks = {asyncio.create_task(fetch(url)): url for url in urls}
    try:
        _, pending = await asyncio.wait(tasks, timeout=timeout)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task, url in tasks.items():
        if task in pending:
            result.timed_out.add(url)
        elif task.exception() is not None:
            result.failed[url] = task.exception()
        else:
            result.done[url] = task.result()
    return result


async def race(urls, fetch):
    if not urls:
        raise ValueError("no urls")
    tasks = {asyncio.create_task(fetch(url)): url for url in urls}
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    winner = done.pop()
    return tasks[winner], winner.result()
