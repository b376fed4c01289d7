"""Remembers the first failure but lets the workers carry on through the whole source,
raising it only at the end."""
# loses: test_failure_stops_source_and_cancels_workers
import asyncio


async def pump(source, handle, *, workers, maxsize):
    if workers < 1 or maxsize < 1:
        raise ValueError("workers and maxsize must be at least 1")
    queue = asyncio.Queue(maxsize)
    handled = 0
    errors = []

    async def work():
        nonlocal handled
        while True:
            item = await queue.get()
            try:
                await handle(item)
                handled += 1
            except Exception as error:
                errors.append(error)
            finally:
                queue.task_done()

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(work()) for _ in range(workers)]
        async for item in source:
            await queue.put(item)
        await queue.join()
        for task in tasks:
            task.cancel()
    if errors:
        raise errors[0]
    return handled
