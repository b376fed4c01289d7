"""value() returns the last value this Counter wrote, kept in an attribute, instead of the
store's: it is 0 before the first increment whatever the store holds."""
# loses: test_value_reads_the_store
import asyncio


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self._lock = asyncio.Lock()
        self._value = 0

    async def increment(self, amount=1):
        async with self._lock:
            new = await self.store.read(self.key) + amount
            await self.store.write(self.key, new)
            self._value = new
            return new

    async def value(self):
        return self._value
