"""Exercise 2, reference solution: ``asyncio.gather``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Fetch = Callable[[str], Awaitable[T]]


async def fetch_all(urls: Sequence[str], fetch: Fetch[T]) -> list[T]:
    """Fetch every url concurrently; results in the order of ``urls``."""
    return list(await asyncio.gather(*(fetch(url) for url in urls)))


async def fetch_all_settled(urls: Sequence[str], fetch: Fetch[T]) -> list[T | Exception]:
    """Like ``fetch_all``, but each failure's exception object stands in its slot."""
    return list(await asyncio.gather(*(fetch(url) for url in urls), return_exceptions=True))
