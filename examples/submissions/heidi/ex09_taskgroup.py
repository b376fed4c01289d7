"""Exercise 9, reference solution: ``asyncio.TaskGroup``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Fetch = Callable[[str], Awaitable[T]]


async def fetch_all_or_cancel(urls: Sequence[str], fetch: Fetch[T]) -> list[T]:
    """Fetch every url concurrently; on the first failure cancel the rest and raise an
    ExceptionGroup of the failures."""
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(fetch(url)) for url in urls]
    return [task.result() for task in tasks]
