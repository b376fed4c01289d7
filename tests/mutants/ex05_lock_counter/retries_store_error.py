"""Retries the read-add-write when the store raises: the failure never reaches the caller."""
# loses: test_failing_read_propagates test_failing_write_propagates
import asyncio


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self._lock = asyncio.Lock()

    async def increment(self, amount=1):
        async with self._lock:
            for _attempt in range(3):
                try:
                    new = await self.store.read(self.key) + amount
                    await self.store.write(self.key, new)
                    return new
                except Exception:
                    continue
            raise RuntimeError("the store keeps failing")

    async def value(self):
        return await self.store.read(self.key)
