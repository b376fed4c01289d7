"""acquire()/release() without try/finally: when the store raises, the lock stays held
and every later increment waits forever."""
# loses: test_failing_read_propagates test_failing_write_propagates
import asyncio


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self._lock = asyncio.Lock()

    async def increment(self, amount=1):
        await self._lock.acquire()
        new = await self.store.read(self.key) + amount
        await self.store.write(self.key, new)
        self._lock.release()
        return new

    async def value(self):
        return await self.store.read(self.key)
