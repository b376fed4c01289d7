"""Exercise 7, reference solution: ``asyncio.timeout`` and a retry loop with backoff."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
Fetch = Callable[[str], Awaitable[T]]


async def fetch_with_timeout(url: str, fetch: Fetch[T], timeout: float) -> T:
    """The fetch's result, or ``TimeoutError`` after ``timeout`` s (the fetch cancelled first)."""
    async with asyncio.timeout(timeout):
        return await fetch(url)


async def fetch_with_retries(
    url: str,
    fetch: Fetch[T],
    *,
    attempts: int = 3,
    timeout: float = 1.0,
    backoff: float = 0.5,
) -> T:
    """Up to ``attempts`` tries, each limited to ``timeout``, waiting ``backoff * 2**i`` between."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    for attempt in range(attempts):
        try:
            return await fetch_with_timeout(url, fetch, timeout)
        except Exception:  # CancelledError is a BaseException: it is never caught here
            if attempt == attempts - 1:
                raise
        await asyncio.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")
