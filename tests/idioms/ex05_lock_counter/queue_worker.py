"""No lock: increments are queued and one worker task per Counter applies them in turn,
answering each caller through a future (errors included)."""
import asyncio


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self._queue = asyncio.Queue()
        self._worker = None

    async def increment(self, amount=1):
        answer = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((amount, answer))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())
        return await answer

    async def _work(self):
        while not self._queue.empty():
            amount, answer = self._queue.get_nowait()
            try:
                new = await self.store.read(self.key) + amount
                await self.store.write(self.key, new)
            except Exception as error:
                if not answer.done():
                    answer.set_exception(error)
            else:
                if not answer.done():
                    answer.set_result(new)

    async def value(self):
        return await self.store.read(self.key)
