"""Catches the store's exception and raises a new one: the original error object is lost."""
# loses: test_failing_read_propagates test_failing_write_propagates
import asyncio


class CounterError(Exception):
    pass


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self._lock = asyncio.Lock()

    async def increment(self, amount=1):
        async with self._lock:
            try:
                new = await self.store.read(self.key) + amount
                await self.store.write(self.key, new)
            except Exception as error:
                raise CounterError(f"increment of {self.key!r} failed") from error
            return new

    async def value(self):
        return await self.store.read(self.key)
