"""Looks its lock up with `dict.get(key, asyncio.Lock())` where `setdefault` was meant: the
new lock is never stored, so every call gets a fresh one and nothing is excluded."""
# loses: test_concurrent_increments_lose_no_update
from asyncio import Lock


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self._locks = {}

    async def increment(self, amount=1):
        async with self._locks.get(self.key, Lock()):
            new = await self.store.read(self.key) + amount
            await self.store.write(self.key, new)
            return new

    async def value(self):
        return await self.store.read(self.key)
