"""Plain tasks: the producer (which ends with queue.join()) races the workers with
asyncio.wait(FIRST_COMPLETED); everything is cancelled and awaited in `finally:`."""
import asyncio


async def pump(source, handle, *, workers, maxsize):
    if workers < 1 or maxsize < 1:
        raise ValueError(f"bad arguments: workers={workers}, maxsize={maxsize}")
    queue = asyncio.Queue(maxsize=maxsize)
    handled = 0

    async def work():
        nonlocal handled
        while True:
            item = await queue.get()
            try:
                await handle(item)
            finally:
                queue.task_done()
            handled += 1

    async def produce():
        iterator = aiter(source)
        while True:
            try:
                item = await anext(iterator)
            except StopAsyncIteration:
                break
            await queue.put(item)
        await queue.join()

    producer = asyncio.create_task(produce())
    pool = [asyncio.create_task(work()) for _ in range(workers)]
    try:
        done, _ = await asyncio.wait([producer, *pool], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.exception() is not None:
                raise task.exception()
        return handled
    finally:
        for task in (producer, *pool):
            task.cancel()
        await asyncio.gather(producer, *pool, return_exceptions=True)
