"""A busy flag guarded by an asyncio.Condition: wait until no increment is running, mark
busy, do the read-add-write outside the condition, then clear the flag and notify."""
import asyncio


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self._changed = asyncio.Condition()
        self._busy = False

    async def increment(self, amount=1):
        async with self._changed:
            await self._changed.wait_for(lambda: not self._busy)
            self._busy = True
        try:
            result = await self.store.read(self.key) + amount
            await self.store.write(self.key, result)
            return result
        finally:
            async with self._changed:
                self._busy = False
                self._changed.notify()

    async def value(self):
        return await self.store.read(self.key)
