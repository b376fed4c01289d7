"""Keeps the count in the Counter and only writes it to the store: never reads the store,
so a value already stored under the key is ignored (and a failing read never happens)."""
# loses: test_increment_returns_new_value test_failing_read_propagates
import asyncio


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self._lock = asyncio.Lock()
        self._count = 0

    async def increment(self, amount=1):
        async with self._lock:
            new = self._count + amount
            await self.store.write(self.key, new)
            self._count = new
            return new

    async def value(self):
        return await self.store.read(self.key)
