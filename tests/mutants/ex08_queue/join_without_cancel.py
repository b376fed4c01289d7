"""Awaits queue.join() but never cancels the workers: the TaskGroup waits for them forever."""
# loses: test_each_item_handled_once test_never_more_than_workers test_workers_busy_while_items_wait test_backpressure test_no_worker_left_running
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
            for _ in range(workers):
                group.create_task(work())
            async for item in source:
                await queue.put(item)
            await queue.join()
    except ExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
    return handled
