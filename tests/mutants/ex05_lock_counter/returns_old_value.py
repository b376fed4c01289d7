"""Returns the value read before adding, not the new value it wrote."""
# loses: test_increment_returns_new_value
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
            return current

    async def value(self):
        return await self.store.read(self.key)
