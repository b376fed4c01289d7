"""Cancels the worker tasks in `finally:` but never awaits them: they are still running
(not yet cancelled) when pump returns or raises."""
# loses: test_no_worker_left_running
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
    try:
        done, _ = await asyncio.wait([producer, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.exception() is not None:
                raise task.exception()
    finally:
        producer.cancel()
        for task in tasks:
            task.cancel()
    return handled
