"""Reads the store once, then keeps the count in memory and bumps it before writing: after
a failed write the Counter is one amount ahead of the store."""
# loses: test_failing_write_propagates
import asyncio


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self._lock = asyncio.Lock()
        self._count = None

    async def increment(self, amount=1):
        async with self._lock:
            if self._count is None:
                self._count = await self.store.read(self.key)
            self._count += amount
            await self.store.write(self.key, self._count)
            return self._count

    async def value(self):
        return await self.store.read(self.key)
