"""Exercise 4: deadlines and races with ``asyncio.wait``.

Goal
    Start many fetches and stop waiting at the right moment: when a deadline passes
    (keep what arrived, cancel the rest), or as soon as the first fetch finishes (a
    race: the fastest answer wins, the others are cancelled).

The pattern
    ``asyncio.wait`` takes *tasks* (not bare coroutines) and returns two sets,
    ``(done, pending)``. It returns when all are done, or when ``timeout`` seconds have
    passed, or, with ``return_when=asyncio.FIRST_COMPLETED``, when the first one is done::

        tasks = [asyncio.create_task(fetch(url)) for url in urls]
        done, pending = await asyncio.wait(tasks, timeout=2.0)
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)

    It never cancels anything: what is pending keeps running. Cancelling takes two
    steps, asking and then waiting until the task has really stopped::

        for task in pending:
            task.cancel()                                        # asks...
        await asyncio.gather(*pending, return_exceptions=True)   # ...and waits for it

    A finished task tells how it ended: ``task.exception()`` is ``None`` after a success
    (then ``task.result()`` is the value), else the exception object it raised.

The contract
    ``Fetch`` is an ``async def fetch(url)`` that the grader passes in: calling it returns
    a coroutine; it takes time, may raise, and may be cancelled. ``urls`` holds distinct
    strings. Call ``fetch(url)`` exactly once per url. "Cancelled before returning" means
    the cancelled fetch has actually finished cancelling (it saw ``CancelledError``) by
    the time the function returns or raises, not merely that ``task.cancel()`` was
    called. If the function itself is cancelled, the ``CancelledError`` propagates (never
    swallowed) and the fetches it started are cancelled too: none may still be running
    once the cancelled call has finished and the event loop has gone idle, with no time
    passing. "Re-raise" means the original exception object, not wrapped in an
    ``ExceptionGroup`` or another exception.

    ``DeadlineResult``
        Defined below: ``done`` maps url to result, ``failed`` maps url to the exception
        its fetch raised, ``timed_out`` is a set of urls.
    ``fetch_before_deadline(urls, fetch, timeout)``
        Start every fetch; return as soon as all have finished or ``timeout`` seconds have
        passed, whichever comes first (never later, and never waiting out the timeout
        when everything has already finished). Fetches still running at the deadline
        are cancelled before returning and listed in ``timed_out``; successes go to
        ``done``, failures to ``failed``. Empty ``urls`` returns an empty result at once.
    ``race(urls, fetch)``
        Return ``(url, result)`` of whichever fetch finishes first; all the others are
        cancelled before returning. If the first to finish raised, cancel the others and
        re-raise that exception. Empty ``urls`` raises ``ValueError``.

Example
    With fetches of ``"a"`` (1 s), ``"b"`` (0.5 s, raises ``err``) and ``"c"`` (3 s)::

        await fetch_before_deadline(["a", "b", "c"], fetch, timeout=2.0)
        # after 2 s, "c" cancelled:
        # DeadlineResult(done={"a": "<a>"}, failed={"b": err}, timed_out={"c"})
        await race(["a", "c"], fetch)   # ("a", "<a>") after 1 s, "c" cancelled
        await race(["a", "b"], fetch)   # raises err after 0.5 s, "a" cancelled

Check your work
    In the folder that holds this file, ``asynclings check ex04`` grades it and
    shows every rubric item's verdict; ``pytest ex04_wait.py`` does the same.
    ``asynclings hint ex04`` gives a hint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

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


async def fetch_before_deadline(
    urls: Sequence[str], fetch: Fetch[T], timeout: float
) -> DeadlineResult[T]:
    """Fetch every url; stop at ``timeout`` seconds, cancelling what is still running."""
    raise NotImplementedError


async def race(urls: Sequence[str], fetch: Fetch[T]) -> tuple[str, T]:
    """``(url, result)`` of the first fetch to finish; the others are cancelled."""
    raise NotImplementedError
