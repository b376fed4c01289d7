"""Creates a new Lock inside increment: every call has its own lock, so nothing is excluded."""
# loses: test_concurrent_increments_lose_no_update
import asyncio


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key

    async def increment(self, amount=1):
        async with asyncio.Lock():
            new = await self.store.read(self.key) + amount
            await self.store.write(self.key, new)
            return new

    async def value(self):
        return await self.store.read(self.key)
