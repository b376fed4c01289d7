"""Workers stop on a falsy item (`while item := await queue.get()`), so an item 0 ends a worker."""
# loses: test_each_item_handled_once
import asyncio


async def pump(source, handle, *, workers, maxsize):
    if workers < 1 or maxsize < 1:
        raise ValueError("workers and maxsize must be at least 1")
    queue = asyncio.Queue(maxsize)
    handled = 0

    async def work():
        nonlocal handled
        while item := await queue.get():
            await handle(item)
            handled += 1

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(work())
            async for item in source:
                await queue.put(item)
            for _ in range(workers):
                await queue.put(None)
    except ExceptionGroup as group_error:
        raise group_error.exceptions[0] from None
    return handled
