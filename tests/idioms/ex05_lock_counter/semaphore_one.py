"""A BoundedSemaphore(1) as the mutex; value() also waits its turn."""
import asyncio


class Counter:
    def __init__(self, store, key):
        self.store, self.key = store, key
        self.mutex = asyncio.BoundedSemaphore(1)

    async def increment(self, amount=1):
        async with self.mutex:
            value = await self.store.read(self.key)
            value += amount
            await self.store.write(self.key, value)
        return value

    async def value(self):
        async with self.mutex:
            return await self.store.read(self.key)
