"""Sorts by 'has a result or not': a fetch that raised is counted as timed out."""
# loses: test_deadline_sorts_outcomes
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
        done, pending = await asyncio.wait(tasks, timeout=timeout)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task, url in tasks.items():
        if task in done and task.exception() is None:
            result.done[url] = task.result()
        else:
            result.timed_out.add(url)
    return result


async def race(urls, fetch):
    if not urls:
        raise ValueError("no urls")
    tasks = {asyncio.create_task(fetch(url)): url for url in urls}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    winner = done.pop()
    return tasks[winner], winner.result()
