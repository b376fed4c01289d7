"""Each worker catches a failing handle, logs it and carries on: pump returns a count."""
# loses: test_failure_propagates test_failure_stops_source_and_cancels_workers
import asyncio
import logging


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
            except Exception:
                logging.getLogger(__name__).exception("handle(%r) failed", item)
            finally:
                queue.task_done()

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(work()) for _ in range(workers)]
        async for item in source:
            await queue.put(item)
        await queue.join()
        for task in tasks:
            task.cancel()
    return handled
