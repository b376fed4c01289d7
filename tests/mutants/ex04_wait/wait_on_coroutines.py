"""Passes bare coroutines to asyncio.wait, which refuses them since Python 3.11 (TypeError)."""
# loses: test_deadline_sorts_outcomes test_deadline_returns_at_the_deadline test_deadline_returns_early test_deadline_cancels_before_returning test_empty_urls test_cancellation_propagates
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
    url_of = {fetch(url): url for url in urls}
    done, pending = await asyncio.wait(url_of, timeout=timeout)
    for task in pending:
        task.cancel()
        result.timed_out.add(url_of[task])
    for task in done:
        if task.exception() is not None:
            result.failed[url_of[task]] = task.exception()
        else:
            result.done[url_of[task]] = task.result()
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
