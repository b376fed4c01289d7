"""Exercise 3, reference solution: ``asyncio.as_completed`` and an async generator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Fetch = Callable[[str], Awaitable[T]]


class AllFailed(Exception):
    """Every fetch failed. ``errors`` holds the failures in the order they happened."""

    def __init__(self, errors: list[Exception]) -> None:
        super().__init__(f"all {len(errors)} fetches failed")
        self.errors = list(errors)


def _start(urls: Sequence[str], fetch: Fetch[T]) -> list[asyncio.Task[tuple[str, T]]]:
    """One task per url, each finishing with its ``(url, result)`` pair."""

    async def fetch_one(url: str) -> tuple[str, T]:
        return url, await fetch(url)

    return [asyncio.create_task(fetch_one(url)) for url in urls]


async def _cancel(tasks: list[asyncio.Task[tuple[str, T]]]) -> None:
    """Cancel the tasks still running and wait until they have finished cancelling."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def in_completion_order(urls: Sequence[str], fetch: Fetch[T]) -> list[tuple[str, T]]:
    """Fetch every url concurrently; ``(url, result)`` pairs in the order they finished."""
    tasks = _start(urls, fetch)
    try:
        return [await next_done for next_done in asyncio.as_completed(tasks)]
    finally:
        await _cancel(tasks)


async def stream(urls: Sequence[str], fetch: Fetch[T]) -> AsyncIterator[tuple[str, T]]:
    """Yield ``(url, result)`` as soon as each fetch finishes."""
    tasks = _start(urls, fetch)
    try:
        for next_done in asyncio.as_completed(tasks):
            yield await next_done
    finally:
        await _cancel(tasks)


async def first_successful(urls: Sequence[str], fetch: Fetch[T]) -> tuple[str, T]:
    """The ``(url, result)`` of the first fetch to succeed; the rest are cancelled."""
    tasks = _start(urls, fetch)
    errors: list[Exception] = []
    try:
        for next_done in asyncio.as_completed(tasks):
            try:
                return await next_done
            except Exception as error:
                errors.append(error)
    finally:
        await _cancel(tasks)
    raise AllFailed(errors)
