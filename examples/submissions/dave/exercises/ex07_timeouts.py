"""Exercise 7: timeouts, retries and cancellation.

Goal
    Put a time limit on a fetch, retry a failing fetch with exponential backoff, and
    stay cancellable the whole time: a caller who cancels you must be obeyed at once.

The pattern
    ``asyncio.timeout`` (or ``asyncio.wait_for``) cancels the inner await when time is
    up, waits until it has finished cancelling, then raises ``TimeoutError``::

        async with asyncio.timeout(2.0):
            page = await fetch(url)            # cancelled after 2 s
        # or: page = await asyncio.wait_for(fetch(url), 2.0)

    A retry loop catches the failures it wants to retry and waits longer after each
    one (exponential backoff)::

        for attempt in range(3):
            try:
                return await something()
            except Exception:                  # not BaseException, not a bare except:
                await asyncio.sleep(0.5 * 2**attempt)

    Cancellation reaches your code as ``asyncio.CancelledError`` raised from the
    ``await`` you are suspended in. It is a ``BaseException``, *not* an ``Exception``,
    precisely so that ``except Exception`` lets it through: catching it with
    ``except BaseException``, a bare ``except:`` or ``except asyncio.CancelledError``
    (and then carrying on) swallows the caller's cancellation and keeps retrying.

The contract
    ``Fetch`` is an ``async def fetch(url)`` that the grader passes in: calling it returns
    a coroutine; it takes time, may raise, and may be cancelled. Calling it again with
    the same url is a new attempt, which may behave differently.

    ``fetch_with_timeout(url, fetch, timeout)``
        The fetch's result; or ``TimeoutError`` (the builtin, which ``asyncio.TimeoutError``
        is on Python 3.11+) once ``timeout`` seconds have passed, and the fetch is
        cancelled (it has seen ``CancelledError``) before the error is raised. An error
        raised by the fetch itself propagates unchanged (the same exception object).
    ``fetch_with_retries(url, fetch, *, attempts=3, timeout=1.0, backoff=0.5)``
        Up to ``attempts`` calls of ``fetch(url)``, each limited to ``timeout`` seconds
        (a timed-out attempt is cancelled and counts as a failure). After failed attempt
        ``i`` (counting from 0) and before the next, wait ``backoff * 2**i`` seconds. Return
        the first success at once, with no further attempt. When every attempt fails,
        raise the last attempt's exception (``TimeoutError`` if it timed out, otherwise
        the fetch's own exception object) at once: no wait after the last attempt.
        ``attempts < 1`` raises ``ValueError`` without fetching.
    Cancelling either function (``task.cancel()`` on the task running it) must
    propagate at once: never retried, never swallowed, and it cancels the fetch in
    progress; once the cancelled call has finished, none of its fetches is still running.

Example
    With attempts that fail after 0.3 s, fail after 0.1 s, then succeed after 0.2 s::

        await fetch_with_retries("u", fetch, attempts=3, timeout=1.0, backoff=0.5)
        # attempt 1: 0   -> 0.3 fails, wait 0.5
        # attempt 2: 0.8 -> 0.9 fails, wait 1.0
        # attempt 3: 1.9 -> 2.1 returns its result

Check your work
    In the folder that holds this file, ``asynclings check ex07`` grades it and
    shows every rubric item's verdict; ``pytest ex07_timeouts.py`` does the same.
    ``asynclings hint ex07`` gives a hint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
Fetch = Callable[[str], Awaitable[T]]


async def fetch_with_timeout(url: str, fetch: Fetch[T], timeout: float) -> T:
    """The fetch's result, or ``TimeoutError`` after ``timeout`` s (the fetch cancelled first)."""
    raise NotImplementedError


async def fetch_with_retries(
    url: str,
    fetch: Fetch[T],
    *,
    attempts: int = 3,
    timeout: float = 1.0,
    backoff: float = 0.5,
) -> T:
    """Up to ``attempts`` tries, each limited to ``timeout``, waiting ``backoff * 2**i`` between."""
    raise NotImplementedError
