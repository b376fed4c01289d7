"""Reads the whole source into a list first, then feeds the queue: no backpressure."""
# loses: test_workers_busy_while_items_wait test_backpressure
import asyncio


async def pump(source, handle, *, workers, maxsize):
    if workers < 1 or maxsize < 1:
        raise ValueError("workers and maxsize must be at least 1")
    items = [item async for item in source]
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
            tasks = [group.create_task(work()) for _ in range(workers)]
            for item in items:
                await queue.put(item)
            await queue.join()
            for task in tasks:
                task.cancel()
    except ExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
    return handled
