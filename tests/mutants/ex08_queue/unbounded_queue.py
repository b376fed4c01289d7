"""Creates asyncio.Queue() without maxsize: put never waits, so the source is read far ahead."""
# loses: test_backpressure
import asyncio


async def pump(source, handle, *, workers, maxsize):
    if workers < 1 or maxsize < 1:
        raise ValueError("workers and maxsize must be at least 1")
    queue = asyncio.Queue()
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
            async for item in source:
                await queue.put(item)
            await queue.join()
            for task in tasks:
                task.cancel()
    except ExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
    return handled
