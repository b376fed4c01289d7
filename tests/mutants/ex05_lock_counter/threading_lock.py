"""Guards the read-modify-write with threading.Lock: the second increment waits for the
lock inside the event loop, so the first never runs again to release it (a hang at 0 %
CPU before blocking detection caught `with` on a thread lock)."""
# loses: test_concurrent_increments_lose_no_update
import threading


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self._lock = threading.Lock()

    async def increment(self, amount=1):
        with self._lock:
            new = await self.store.read(self.key) + amount
            await self.store.write(self.key, new)
            return new

    async def value(self):
        return await self.store.read(self.key)
