"""Exercise 8, reference solution: a bounded ``asyncio.Queue`` between a producer and
a fixed pool of worker tasks, inside an ``asyncio.TaskGroup``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def pump(
    source: AsyncIterable[T],
    handle: Callable[[T], Awaitable[None]],
    *,
    workers: int,
    maxsize: int,
) -> int:
    """Feed every item of ``source`` to ``handle`` through ``workers`` worker tasks."""
    if workers < 1 or maxsize < 1:
        raise ValueError(f"workers and maxsize must be at least 1 (got {workers}, {maxsize})")
    queue: asyncio.Queue[T] = asyncio.Queue(maxsize)
    handled = 0

    async def work() -> None:
        nonlocal handled
        while True:
            item = await queue.get()
            try:
                await handle(item)
                handled += 1
            finally:
                queue.task_done()

    try:
        async with asyncio.TaskGroup() as group:
            pool = [group.create_task(work()) for _ in range(workers)]
            # The producer is the group's body: when a worker fails, the group cancels
            # it wherever it waits (reading the source, or a full queue).
            async for item in source:
                await queue.put(item)
            await queue.join()
            for task in pool:
                task.cancel()
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return handled
