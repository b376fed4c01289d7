"""One Lock as a class attribute, shared by every Counter: different Counters wait for
each other (and the lock is bound to the first event loop that waited on it)."""
# loses: test_counters_do_not_wait_for_each_other
import asyncio


class Counter:
    _lock = asyncio.Lock()

    def __init__(self, store, key):
        self.store = store
        self.key = key

    async def increment(self, amount=1):
        async with self._lock:
            new = await self.store.read(self.key) + amount
            await self.store.write(self.key, new)
            return new

    async def value(self):
        return await self.store.read(self.key)
