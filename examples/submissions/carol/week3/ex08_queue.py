"""Starts a single worker task whatever `workers` says: items wait while slots sit idle."""
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

    try:
        async with asyncio.TaskGroup() as group:
            worker = group.create_task(work())
            async for item in source:
                await queue.put(item)
            await queue.join()
            worker.cancel()
    except ExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
    return handled
