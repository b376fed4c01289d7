"""Locks only the read: another increment reads the old value before this one writes."""
# loses: test_concurrent_increments_lose_no_update
import asyncio


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self._lock = asyncio.Lock()

    async def increment(self, amount=1):
        async with self._lock:
            current = await self.store.read(self.key)
        new = current + amount
        await self.store.write(self.key, new)
        return new

    async def value(self):
        return await self.store.read(self.key)
