"""The producer and the workers are all tasks of one TaskGroup; the producer drains the
queue and then cancels the workers itself."""
import asyncio


async def pump(source, handle, *, workers, maxsize):
    if min(workers, maxsize) < 1:
        raise ValueError("need workers >= 1 and maxsize >= 1")
    queue = asyncio.Queue(maxsize)
    done = 0

    async def worker():
        nonlocal done
        while True:
            item = await queue.get()
            try:
                await handle(item)
                done += 1
            finally:
                queue.task_done()

    async def producer(pool):
        async for item in source:
            await queue.put(item)
        await queue.join()
        for task in pool:
            task.cancel()

    try:
        async with asyncio.TaskGroup() as group:
            pool = [group.create_task(worker()) for _ in range(workers)]
            group.create_task(producer(pool))
    except ExceptionGroup as failure:
        raise failure.exceptions[0]
    return done
