"""Exercise 8: producer/consumer with backpressure (``asyncio.Queue``).

Goal
    Feed every item of an async source to an async ``handle`` function through a fixed
    pool of worker tasks, without ever reading the source much further ahead than the
    workers can keep up with.

The pattern
    A *producer* reads the source and puts each item on a bounded ``asyncio.Queue``;
    ``workers`` *consumer* tasks take items off it and handle them. ``await
    queue.put(item)`` waits while the queue is full: that wait is the backpressure that
    stops a fast producer from racing ahead of slow consumers::

        queue = asyncio.Queue(maxsize)

        async def worker():
            while True:
                item = await queue.get()
                ...                       # handle it
                queue.task_done()         # one per get(), once the item is dealt with

        async for item in source:         # the producer
            await queue.put(item)         # waits while the queue is full
        await queue.join()                # until every item put has been task_done()

    Workers loop forever, so someone must cancel them once the work is done; and if a
    worker fails, the producer and the other workers must stop too. ``asyncio.TaskGroup``
    (or ``try/finally`` with ``task.cancel()`` and an ``await`` of the cancelled tasks)
    keeps that tidy.

The contract
    ``pump(source, handle, *, workers, maxsize)``
        ``source`` is an async iterable (``async for item in source``); ``handle`` is an
        ``async def handle(item)`` the grader passes in: it takes time, may raise, and
        may be cancelled. Items may be any values, falsy ones (``0``, ``""``) included.

        - Call ``handle(item)`` exactly once per item, using exactly ``workers``
          concurrent worker tasks fed through an ``asyncio.Queue(maxsize)``.
        - At most ``workers`` handles in flight at any moment, and exactly ``workers``
          whenever items are waiting (read and not yet handled, or ready in the source).
        - Backpressure: whenever ``pump`` asks the source for its next item, at most
          ``maxsize + workers`` items already taken from it are unfinished (queued or
          being handled).
        - Return how many items were handled.
        - If ``handle`` raises: stop reading the source, cancel the workers (the handles
          still running see ``CancelledError``) and propagate that exception: the
          original object, not wrapped in an ``ExceptionGroup``.
        - When ``pump`` returns or raises, no worker task it started is still running:
          cancelled tasks have been awaited, not merely asked to stop.
        - If ``pump`` itself is cancelled, the cancellation propagates and cancels the
          workers: once it has finished, nothing it started is still running.
        - ``workers < 1`` or ``maxsize < 1`` → ``ValueError``, before the source is read.

    ``pump`` runs inside the caller's event loop: never ``asyncio.run``, never
    ``time.sleep``.

Example
    Ten items, each taking 1 s to handle, ``workers=2, maxsize=3``: two handles run at a
    time, the whole run takes 5 s, ``pump`` returns ``10``, and it never holds more than
    5 unfinished items when it asks the source for another.

Check your work
    In the folder that holds this file, ``asynclings check ex08`` grades it and
    shows every rubric item's verdict; ``pytest ex08_queue.py`` does the same.
    ``asynclings hint ex08`` gives a hint.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def pump(
    source: AsyncIterable[T],
    handle: Callable[[T], Awaitable[None]],
    *,
    workers: int,
    maxsize: int,
) -> int:
    """Feed every item of ``source`` to ``handle`` through ``workers`` worker tasks."""
    raise NotImplementedError
