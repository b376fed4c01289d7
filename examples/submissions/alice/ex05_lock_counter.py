"""Explicit acquire() with the critical section in try/finally."""
import asyncio


class Counter:
    def __init__(self, store, key):
        self._store = store
        self._key = key
        self._lock = asyncio.Lock()

    async def increment(self, amount: int = 1) -> int:
        await self._lock.acquire()
        try:
            current = await self._store.read(self._key)
            new = current + amount
            await self._store.write(self._key, new)
        finally:
            self._lock.release()
        return new

    async def value(self) -> int:
        return await self._store.read(self._key)
