"""try/finally covers only the write: a failing read leaves the lock held."""
# loses: test_failing_read_propagates
import asyncio


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self._lock = asyncio.Lock()

    async def increment(self, amount=1):
        await self._lock.acquire()
        new = await self.store.read(self.key) + amount
        try:
            await self.store.write(self.key, new)
        finally:
            self._lock.release()
        return new

    async def value(self):
        return await self.store.read(self.key)
