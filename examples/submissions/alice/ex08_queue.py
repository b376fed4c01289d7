"""A TaskGroup whose workers stop on a private sentinel object, one per worker: no join(),
no explicit cancel."""
import asyncio

_DONE = object()


async def pump(source, handle, *, workers, maxsize):
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if maxsize < 1:
        raise ValueError("maxsize must be at least 1")
    queue = asyncio.Queue(maxsize)
    counts = []

    async def work():
        while (item := await queue.get()) is not _DONE:
            await handle(item)
            counts.append(1)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(work())
            async for item in source:
                await queue.put(item)
            for _ in range(workers):
                await queue.put(_DONE)
    except* Exception as failures:
        first = failures.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return len(counts)
