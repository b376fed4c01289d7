"""Exercise 4, reference solution: ``asyncio.wait`` with a timeout and FIRST_COMPLETED."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Fetch = Callable[[str], Awaitable[T]]


@dataclass
class DeadlineResult(Generic[T]):
    """What ``fetch_before_deadline`` found when it stopped waiting."""

    done: dict[str, T]
    """Each url whose fetch returned, with its result."""
    failed: dict[str, Exception]
    """Each url whose fetch raised, with the exception object it raised."""
    timed_out: set[str]
    """The urls whose fetch was still running at the deadline (and was cancelled)."""


async def _cancel_and_wait(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and return once every one of them has stopped."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()  # a no-op for a task that is already done
    await asyncio.gather(*tasks, return_exceptions=True)


async def fetch_before_deadline(
    urls: Sequence[str], fetch: Fetch[T], timeout: float
) -> DeadlineResult[T]:
    """Fetch every url; stop at ``timeout`` seconds, cancelling what is still running."""
    result: DeadlineResult[T] = DeadlineResult(done={}, failed={}, timed_out=set())
    if not urls:  # asyncio.wait refuses an empty set
        return result
    tasks = {asyncio.create_task(fetch(url)): url for url in urls}
    try:
        _, pending = await asyncio.wait(tasks, timeout=timeout)
    finally:
        # At the deadline, or if we are cancelled ourselves: stop what still runs.
        await _cancel_and_wait(tasks)
    for task, url in tasks.items():
        if task in pending:
            result.timed_out.add(url)
        elif (error := task.exception()) is not None:
            result.failed[url] = error  # type: ignore[assignment]
        else:
            result.done[url] = task.result()
    return result


async def race(urls: Sequence[str], fetch: Fetch[T]) -> tuple[str, T]:
    """``(url, result)`` of the first fetch to finish; the others are cancelled."""
    if not urls:
        raise ValueError("race needs at least one url")
    tasks = {asyncio.create_task(fetch(url)): url for url in urls}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        await _cancel_and_wait(tasks)
    winner = done.pop()
    return tasks[winner], winner.result()  # result() re-raises the winner's own error
