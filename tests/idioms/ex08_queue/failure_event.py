"""Workers report a failure through an Event; the main task races queue.join() against it
and cleans up in `finally:`."""
import asyncio


async def pump(source, handle, *, workers, maxsize):
    if workers < 1 or maxsize < 1:
        raise ValueError("workers and maxsize must be positive")
    queue = asyncio.Queue(maxsize)
    failed = asyncio.Event()
    errors = []
    handled = 0

    async def work():
        nonlocal handled
        while True:
            item = await queue.get()
            try:
                await handle(item)
                handled += 1
            except Exception as error:
                errors.append(error)
                failed.set()
                return
            finally:
                queue.task_done()

    async def feed():
        async for item in source:
            await queue.put(item)
        await queue.join()

    tasks = [asyncio.create_task(work()) for _ in range(workers)]
    feeder = asyncio.create_task(feed())
    failure = asyncio.create_task(failed.wait())
    try:
        await asyncio.wait([feeder, failure], return_when=asyncio.FIRST_COMPLETED)
        if errors:
            raise errors[0]
        feeder.result()
        return handled
    finally:
        everything = [*tasks, feeder, failure]
        for task in everything:
            task.cancel()
        await asyncio.wait(everything)
