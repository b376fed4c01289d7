"""Exercise 3: handle results as they arrive with ``asyncio.as_completed``.

Goal
    Use each result the moment its fetch finishes, instead of waiting for the whole
    batch: collect results in finishing order, stream them to a consumer one by one,
    and stop at the first fetch that succeeds, cancelling the rest.

The pattern
    ``asyncio.as_completed(aws)`` hands back awaitables in the order the work
    *finishes*; awaiting the first one waits only for the fastest. What it hands back
    does not say which url it was for, so let each piece of work carry its url::

        async def fetch_one(url):
            return url, await fetch(url)

        for next_done in asyncio.as_completed([fetch_one(u) for u in urls]):
            url, body = await next_done          # the fastest first

    An *async generator* is an ``async def`` with ``yield`` in it. Its consumer pulls
    values with ``async for``, each one as soon as the generator yields it, and may
    stop early with ``await agen.aclose()``, which raises ``GeneratorExit`` at the
    paused ``yield``: a ``finally:`` block runs then, and may still ``await``::

        async def numbers():
            try:
                for n in range(3):
                    yield n
            finally:
                ...  # runs when exhausted, on an error, and on aclose()

    ``as_completed`` starts the work it is given, but it never stops it: when you stop
    waiting early (you return, an exception escapes, or your own coroutine is
    cancelled) whatever is still running keeps running. Keep the tasks, and clean up
    in ``finally:``. ``task.cancel()`` only *asks* a task to stop; awaiting it waits
    until it has::

        tasks = [asyncio.create_task(fetch_one(u)) for u in urls]
        try:
            ...
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

The contract
    ``Fetch`` is an ``async def fetch(url)`` that the grader passes in: calling it returns
    a coroutine; it takes time, may raise, and may be cancelled. ``urls`` holds distinct
    strings. Call ``fetch(url)`` exactly once per url. "Concurrently" means the total
    time is the time of the slowest fetch, not the sum. "Cancelled before returning"
    means the cancelled fetches have actually finished cancelling (they saw
    ``CancelledError``) by the time the function returns or raises, not merely that
    ``task.cancel()`` was called. "Propagates" means the fetch's own exception object
    is raised as itself, not wrapped in an ``ExceptionGroup``. Fetches that finish at
    the same instant may come in either order.

    Cancelling any of these functions (or the task running it) must propagate the
    ``CancelledError`` (never swallow it, never retry) and cancel the fetches it
    started: once the cancelled call has finished, none of its fetches is still running.

    ``in_completion_order(urls, fetch)``
        Fetch concurrently; return a list of ``(url, result)`` tuples in the order the
        fetches *finished*. A fetch's exception propagates.
    ``stream(urls, fetch)``
        An async generator: yield ``(url, result)`` as soon as each fetch finishes, so
        the first pair comes when the fastest fetch finishes, not after all of them. A
        fetch's exception propagates from the iteration. If the consumer closes the
        generator early (``await agen.aclose()``), the fetches still running are
        cancelled before ``aclose()`` returns.
    ``AllFailed``
        Already defined below: ``AllFailed(errors)`` keeps the list of failures as
        ``.errors``. Raise it as it is (or a subclass of it).
    ``first_successful(urls, fetch)``
        Return the ``(url, result)`` of the first fetch to *succeed*, skipping failures
        that finish earlier, as soon as it succeeds; the fetches still running are
        cancelled before returning. If every fetch fails, or ``urls`` is empty, raise
        ``AllFailed`` whose ``.errors`` holds the fetches' exception objects in the
        order they happened (``[]`` for no urls).

Example
    With fetches of ``"a"`` (3 s), ``"b"`` (1 s, raises) and ``"c"`` (2 s)::

        await first_successful(["a", "b", "c"], fetch)   # ("c", "<c>") after 2 s;
                                                         # "a" is cancelled at 2 s
        async for url, body in stream(["a", "c"], fetch):
            print(url)                                   # "c" at 2 s, then "a" at 3 s

Check your work
    In the folder that holds this file, ``asynclings check ex03`` grades it and
    shows every rubric item's verdict; ``pytest ex03_as_completed.py`` does the same.
    ``asynclings hint ex03`` gives a hint.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Fetch = Callable[[str], Awaitable[T]]


class AllFailed(Exception):
    """Every fetch failed. ``errors`` holds the failures in the order they happened."""

    def __init__(self, errors: list[Exception]) -> None:
        super().__init__(f"all {len(errors)} fetches failed")
        self.errors = list(errors)


async def in_completion_order(urls: Sequence[str], fetch: Fetch[T]) -> list[tuple[str, T]]:
    """Fetch every url concurrently; ``(url, result)`` pairs in the order they finished."""
    raise NotImplementedError


async def stream(urls: Sequence[str], fetch: Fetch[T]) -> AsyncIterator[tuple[str, T]]:
    """Yield ``(url, result)`` as soon as each fetch finishes."""
    raise NotImplementedError
    yield  # this `yield` makes `stream` an async generator; keep one in your version


async def first_successful(urls: Sequence[str], fetch: Fetch[T]) -> tuple[str, T]:
    """The ``(url, result)`` of the first fetch to succeed; the rest are cancelled."""
    raise NotImplementedError
