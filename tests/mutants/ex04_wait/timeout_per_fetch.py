"""Gives each fetch its own wait_for(task, timeout), one after another: the clock restarts for each fetch."""
# loses: test_deadline_sorts_outcomes test_deadline_returns_at_the_deadline test_deadline_cancels_before_returning
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
    tasks = {asyncio.create_task(fetch(url)): url for url in urls}
    try:
        for task, url in tasks.items():
            try:
                result.done[url] = await asyncio.wait_for(task, timeout)
            except TimeoutError:
                result.timed_out.add(url)
            except Exception as error:
                result.failed[url] = error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
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
