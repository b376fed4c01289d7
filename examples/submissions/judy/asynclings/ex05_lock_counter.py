"""Exercise 5, reference solution: one ``asyncio.Lock`` per Counter."""

from __future__ import annotations

import asyncio
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
        self._lock = asyncio.Lock()  # one per Counter: other Counters never wait for it

    async def increment(self, amount: int = 1) -> int:
        """Read, add ``amount``, write back, as one step; return the new value."""
        async with self._lock:
            new = await self.store.read(self.key) + amount
            await self.store.write(self.key, new)
            return new

    async def value(self) -> int:
        """The key's current value in the store."""
        return await self.store.read(self.key)
