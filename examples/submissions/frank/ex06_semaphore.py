"""Exercise 6, reference solution: ``asyncio.Semaphore``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Fetch = Callable[[str], Awaitable[T]]


async def crawl(urls: Sequence[str], fetch: Fetch[T], limit: int) -> list[T | Exception]:
    """Fetch every url, ``limit`` at a time with no idle slot; failures stay in their slot."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit!r}")
    semaphore = asyncio.Semaphore(limit)

    async def fetch_one(url: str) -> T:
        async with semaphore:  # the permit comes back the moment this fetch ends
            return await fetch(url)

    results = await asyncio.gather(*(fetch_one(url) for url in urls), return_exceptions=True)
    return list(results)  # type: ignore[arg-type]  # exceptions stand in their slots
