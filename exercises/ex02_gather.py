"""Exercise 2: run many at once with ``asyncio.gather``.

Goal
    Fetch a list of urls *concurrently*: the whole batch should take as long as the
    slowest fetch, not the sum of all of them.

The pattern
    Awaiting fetches one by one in a loop runs them one after another::

        results = [await fetch(url) for url in urls]       # 1 s + 2 s + 3 s = 6 s

    ``asyncio.gather`` starts every awaitable it is given and waits for them together;
    its result list follows the order of its arguments, whatever order they finish in::

        results = await asyncio.gather(*(fetch(url) for url in urls))   # 3 s

    ``return_exceptions=True`` makes it put each exception *object* in its result slot
    instead of raising the first one. When the coroutine awaiting ``gather`` is
    cancelled, ``gather`` cancels every fetch still running. Tasks you start yourself
    with ``asyncio.create_task`` are not cancelled with you: clean them up in a
    ``finally:``::

        tasks = [asyncio.create_task(fetch(url)) for url in urls]
        try:
            ...                                   # await the tasks
        finally:
            for task in tasks:
                task.cancel()                     # no-op for a finished task
            await asyncio.gather(*tasks, return_exceptions=True)

The contract
    ``Fetch`` is an ``async def fetch(url)`` that the grader passes in: calling it returns
    a coroutine; it takes time, may raise, and may be cancelled. ``urls`` holds distinct
    strings. Call ``fetch(url)`` exactly once per url.

    ``fetch_all(urls, fetch)``
        Every result, in the same order as ``urls``, fetched concurrently. If a fetch
        raises, that exception (the object itself, not wrapped) propagates; the other
        fetches may be left running or be cancelled. ``[]`` gives ``[]``.
    ``fetch_all_settled(urls, fetch)``
        The same, but a failed fetch never makes it raise: that fetch's exception object
        stands at its position and every other result is still delivered.

    Cancelling either function (the caller cancels the task running it) must always
    propagate: ``CancelledError`` comes out of it, never swallowed, never retried,
    never turned into another error (a failed fetch raises an ``Exception``;
    ``CancelledError`` is a ``BaseException``: catch ``Exception``, never a bare
    ``except:``, ``except BaseException`` or ``except asyncio.CancelledError`` that
    does not re-raise). And it cancels the work it started:
    once the cancelled call has finished, no fetch it started is still running after the
    event loop has gone idle at that same instant (no time may pass first), and none was
    left to run to its end instead of being cancelled.

Example
    With fetches of ``"a"`` (3 s), ``"b"`` (1 s) and ``"c"`` (2 s)::

        await fetch_all(["a", "b", "c"], fetch)   # ["<a>", "<b>", "<c>"] after 3 s

Check your work
    In the folder that holds this file, ``asynclings check ex02`` grades it and
    shows every rubric item's verdict; ``pytest ex02_gather.py`` does the same.
    ``asynclings hint ex02`` gives a hint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Fetch = Callable[[str], Awaitable[T]]


async def fetch_all(urls: Sequence[str], fetch: Fetch[T]) -> list[T]:
    """Fetch every url concurrently; results in the order of ``urls``."""
    raise NotImplementedError


async def fetch_all_settled(urls: Sequence[str], fetch: Fetch[T]) -> list[T | Exception]:
    """Like ``fetch_all``, but each failure's exception object stands in its slot."""
    raise NotImplementedError
