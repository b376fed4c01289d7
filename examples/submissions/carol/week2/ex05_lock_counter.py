"""No lock at all: two increments can read the same value, and one update is lost."""


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key

    async def increment(self, amount=1):
        current = await self.store.read(self.key)
        await self.store.write(self.key, current + amount)
        return current + amount

    async def value(self):
        return await self.store.read(self.key)
