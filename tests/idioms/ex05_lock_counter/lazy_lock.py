"""The lock is created on the first increment (no await between the check and the
assignment, so two first increments cannot both create one)."""
import asyncio


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self._lock = None

    def _get_lock(self):
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def increment(self, amount=1):
        async with self._get_lock():
            total = amount + await self.store.read(self.key)
            await self.store.write(self.key, total)
            return total

    async def value(self):
        return await self.store.read(self.key)
