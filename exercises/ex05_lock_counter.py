"""Exercise 5: protect shared state with ``asyncio.Lock``.

Goal
    Build a counter kept in a slow key-value store that many tasks can increment at the
    same time without losing a single update.

The pattern
    An increment is three steps: read the value, add, write it back. Each ``await`` is a
    point where another task may run, so two increments can interleave like this::

        value = await store.read(key)        # A reads 0
                                             # B reads 0
        await store.write(key, value + 1)    # A writes 1
                                             # B writes 1: A's update is lost

    An ``asyncio.Lock`` lets only one task at a time through a *critical section*; the
    others wait at ``async with`` until it is released::

        lock = asyncio.Lock()

        async with lock:          # released on the way out, even by an exception
            ...                   # at most one task runs this at a time

    The whole read-add-write must sit inside the locked section: a lock around the read
    alone, or the write alone, still lets another increment slip in between them.

The contract
    ``Store`` is an object the grader passes in with two coroutine methods (the
    ``Store`` protocol below): ``await store.read(key)`` returns the key's ``int``
    value (``0`` for a missing key) and ``await store.write(key, value)`` stores it.
    Both take time and may raise.

    ``Counter(store, key)``
        A counter kept under ``key`` in ``store``. Each key is owned by one Counter.
    ``await counter.increment(amount=1)``
        Read the key's value from the store, add ``amount``, write it back and return
        the new value. Any number of concurrent increments on one Counter lose no
        update, under any interleaving of the store's awaits. Increments on *different*
        Counter instances never wait for each other. If ``read`` or ``write`` raises,
        that exception propagates out of ``increment`` (the original exception object,
        raised as itself, not wrapped) and the Counter stays usable (no lock is left
        held).
    ``await counter.value()``
        The key's current value in the store.

    Everything runs inside the caller's event loop: never start or close a loop, never
    block it (``time.sleep``, busy-waits).

Example
    With a store holding ``{"hits": 40}``::

        counter = Counter(store, "hits")
        await counter.increment()          # 41
        await counter.increment(5)         # 46
        await asyncio.gather(*(counter.increment() for _ in range(10)))
        await counter.value()              # 56: no update lost

Check your work
    In the folder that holds this file, ``asynclings check ex05`` grades it and
    shows every rubric item's verdict; ``pytest ex05_lock_counter.py`` does the same.
    ``asynclings hint ex05`` gives a hint.
"""

from __future__ import annotations

from typing import Protocol


class Store(Protocol):
    """A slow key-value store of ints: both methods take time and may raise."""

    async def read(self, key: str) -> int:
        """The value stored under ``key`` (0 when the key is missing)."""
        ...

    async def write(self, key: str, value: int) -> None:
        """Store ``value`` under ``key``."""
        ...


class Counter:
    """A counter kept under ``key`` in ``store`` that loses no concurrent update."""

    def __init__(self, store: Store, key: str) -> None:
        self.store = store
        self.key = key

    async def increment(self, amount: int = 1) -> int:
        """Read, add ``amount``, write back, as one step; return the new value."""
        raise NotImplementedError

    async def value(self) -> int:
        """The key's current value in the store."""
        raise NotImplementedError
