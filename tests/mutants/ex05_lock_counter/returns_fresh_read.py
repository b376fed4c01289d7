"""Returns a fresh read of the store after releasing the lock: it may include others' updates."""
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
            await self.store.write(self.key, current + amount)
        return await self.value()

    async def value(self):
        return await self.store.read(self.key)
