"""Cleans up after success or failure, but not when pump itself is cancelled: the
workers and the producer are left running on their own."""
# loses: test_cancelling_pump
import asyncio


async def pump(source, handle, *, workers, maxsize):
    if workers < 1 or maxsize < 1:
        raise ValueError("workers and maxsize must be at least 1")
    queue = asyncio.Queue(maxsize)
    handled = 0

    async def work():
        nonlocal handled
        while True:
            item = await queue.get()
            try:
                await handle(item)
                handled += 1
            finally:
                queue.task_done()

    async def produce():
        async for item in source:
            await queue.put(item)
        await queue.join()

    tasks = [asyncio.create_task(work()) for _ in range(workers)]
    producer = asyncio.create_task(produce())
    done, _ = await asyncio.wait([producer, *tasks], return_when=asyncio.FIRST_COMPLETED)
    producer.cancel()
    for task in tasks:
        task.cancel()
    await asyncio.gather(producer, *tasks, return_exceptions=True)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()
    return handled
