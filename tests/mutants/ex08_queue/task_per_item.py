"""A semaphore-bounded task per item instead of `workers` long-lived worker tasks."""
# loses: test_never_more_than_workers
import asyncio


async def pump(source, handle, *, workers, maxsize):
    if workers < 1 or maxsize < 1:
        raise ValueError("workers and maxsize must be at least 1")
    slots = asyncio.Semaphore(workers)
    handled = 0

    async def run(item):
        nonlocal handled
        try:
            await handle(item)
            handled += 1
        finally:
            slots.release()

    try:
        async with asyncio.TaskGroup() as group:
            async for item in source:
                await slots.acquire()
                group.create_task(run(item))
    except ExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
    return handled
