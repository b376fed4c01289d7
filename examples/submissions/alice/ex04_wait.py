"""wait_for around a gather of tasks (cancelled and awaited on timeout); race loops on wait."""
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
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout)
    except TimeoutError:
        pass  # wait_for cancelled the gather, which cancelled and awaited the tasks
    done, failed, timed_out = {}, {}, set()
    for url, task in zip(urls, tasks):
        if task.cancelled():
            timed_out.add(url)
        elif isinstance(task.exception(), Exception):
            failed[url] = task.exception()
        else:
            done[url] = task.result()
    return DeadlineResult(done=done, failed=failed, timed_out=timed_out)


async def race(urls, fetch):
    if not urls:
        raise ValueError("race needs urls")
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    try:
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    for task in pending:
        task.cancel()
    for task in pending:
        try:
            await task
        except asyncio.CancelledError:
            pass
    winner = next(task for task in tasks if task in done)
    return urls[tasks.index(winner)], winner.result()
