"""Creates the lock in a local variable at the top of increment: each call waits only on
its own new lock, so concurrent increments are not excluded from each other."""
# loses: test_concurrent_increments_lose_no_update
import asyncio


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key

    async def increment(self, amount=1):
        lock = asyncio.Lock()
        async with lock:
            current = await self.store.read(self.key)
            await self.store.write(self.key, current + amount)
            return current + amount

    async def value(self):
        return await self.store.read(self.key)
