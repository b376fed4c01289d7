"""Exercise 9: structured concurrency with ``asyncio.TaskGroup``.

Goal
    Fetch many urls concurrently, and when one fetch fails, stop the others *at once*
    instead of letting them run on: all or nothing, and nothing left behind.

The pattern
    ``asyncio.gather`` raises the first exception but leaves the other fetches running
    on their own; nobody waits for them or sees their errors::

        await asyncio.gather(fetch("a"), fetch("b"))   # b fails: a keeps running

    A ``TaskGroup`` ties its tasks to a block. The block ends only when every task has
    finished; if one raises, the group cancels all the others right then, waits until
    they have finished cancelling, and raises an ``ExceptionGroup`` of the failures::

        async with asyncio.TaskGroup() as group:
            task = group.create_task(fetch("a"))
        # here every task is done; task.result() is its value

    A caller catches such a group with ``except* FetchError:`` or ``except
    ExceptionGroup:``; here, let it propagate.

The contract
    ``Fetch`` is an ``async def fetch(url)`` that the grader passes in: calling it returns
    a coroutine; it takes time, may raise, and may be cancelled. ``urls`` holds distinct
    strings. Call ``fetch(url)`` at most once per url (exactly once when none fails).

    ``fetch_all_or_cancel(urls, fetch)``
        Like ``fetch_all`` of exercise 2: every result, in the order of ``urls``, fetched
        concurrently (the whole call takes as long as the slowest fetch); ``[]`` gives
        ``[]``. But the moment any fetch fails, every other fetch still running is
        cancelled, at that moment (not when it would have finished), and an
        ``ExceptionGroup`` holding the failure(s) is raised once they have finished
        cancelling: no fetch is still running when it is raised. The group holds the
        fetches' own exception objects: every fetch that failed, e.g. two that failed at
        the same instant, and nothing else.

        If ``fetch_all_or_cancel`` itself is cancelled, the cancellation propagates (it is
        never swallowed or turned into a group) and cancels every fetch it started.

    It runs inside the caller's event loop: never ``asyncio.run``, never ``time.sleep``.

Example
    With fetches of ``"a"`` (3 s), ``"b"`` (fails after 1 s) and ``"c"`` (2 s)::

        await fetch_all_or_cancel(["a", "b", "c"], fetch)
        # at t=1: a and c are cancelled; then ExceptionGroup([<b's error>]) is raised

Check your work
    In the folder that holds this file, ``asynclings check ex09`` grades it and
    shows every rubric item's verdict; ``pytest ex09_taskgroup.py`` does the same.
    ``asynclings hint ex09`` gives a hint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Fetch = Callable[[str], Awaitable[T]]


async def fetch_all_or_cancel(urls: Sequence[str], fetch: Fetch[T]) -> list[T]:
    """Fetch every url concurrently; on the first failure cancel the rest and raise an
    ExceptionGroup of the failures."""
    raise NotImplementedError
