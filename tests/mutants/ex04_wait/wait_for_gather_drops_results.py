"""Wraps gather in wait_for: on timeout the results of the fetches that did finish are lost and every url is reported timed out."""
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
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(fetch(url) for url in urls), return_exceptions=True), timeout
        )
    except TimeoutError:
        return DeadlineResult({}, {}, set(urls))
    result = DeadlineResult({}, {}, set())
    for url, value in zip(urls, results):
        if isinstance(value, Exception):
            result.failed[url] = value
        else:
            result.done[url] = value
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
