"""Exercise 6: bounded concurrency with ``asyncio.Semaphore``.

Goal
    Crawl a list of urls concurrently, but politely: never more than ``limit`` fetches
    at the same time, and never fewer while urls are still waiting for their turn.

The pattern
    ``gather`` on its own starts *every* fetch at once; a thousand urls means a thousand
    open connections. A semaphore holds ``limit`` permits: ``async with semaphore:``
    takes one (waiting while none is free) and gives it back on the way out, even when
    the body raises::

        semaphore = asyncio.Semaphore(2)

        async def polite(job):
            async with semaphore:       # at most 2 tasks are inside at any moment
                return await work(job)  # the permit comes back as soon as this ends

    Everything can be *started* at once; the semaphore decides who gets to run. The
    moment one fetch finishes, its permit goes to the next one waiting, so no slot
    ever sits idle. Fixed-size batches (gather ``limit`` urls, then the next ``limit``)
    do not do this: every batch waits for its slowest fetch while the slots of the
    fetches that already finished stay empty.

The contract
    ``Fetch`` is an ``async def fetch(url)`` that the grader passes in: calling it returns
    a coroutine; it takes time, may raise, and may be cancelled. ``urls`` holds distinct
    strings. Call ``fetch(url)`` exactly once per url.

    ``crawl(urls, fetch, limit)``
        Fetch every url with **at most** ``limit`` fetches in flight at any moment, and
        **exactly** ``limit`` in flight whenever that many are still waiting to start
        (no idle slots: fixed-size batches do not qualify). Return the results in the
        order of ``urls``; a failed fetch's exception object stands in its slot and
        neither slows nor stops the others (its slot is free again the moment it
        fails). ``[]`` gives ``[]``; a ``limit`` larger than ``len(urls)`` simply runs
        them all at once. ``limit < 1`` raises ``ValueError`` before any fetch starts
        (simplest: check it before calling ``fetch`` at all).

    Cancelling ``crawl`` itself must propagate (never swallowed, never retried) and
    cancel the fetches it started: once the cancelled call has finished, none of them
    is still running.

Example
    With fetches of ``"a"`` (3 s), ``"b"`` (1 s), ``"c"`` (2.5 s) and ``"d"`` (1 s, fails)::

        await crawl(["a", "b", "c", "d"], fetch, limit=2)
        # a and b start at 0 s; c takes b's slot at 1 s; d takes a's slot at 3 s
        # after 4 s: ["<a>", "<b>", "<c>", FetchError("d")]

Check your work
    In the folder that holds this file, ``asynclings check ex06`` grades it and
    shows every rubric item's verdict; ``pytest ex06_semaphore.py`` does the same.
    ``asynclings hint ex06`` gives a hint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Fetch = Callable[[str], Awaitable[T]]


async def crawl(urls: Sequence[str], fetch: Fetch[T], limit: int) -> list[T | Exception]:
    """Fetch every url, ``limit`` at a time with no idle slot; failures stay in their slot."""
    raise NotImplementedError
