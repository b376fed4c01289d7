"""TaskGroups where they fit (not around a `yield`): the group cancels and awaits the
rest; a private exception stops first_successful at the first success. stream cleans up
in `except BaseException` and re-raises."""
import asyncio


class AllFailed(Exception):
    pass


class _Found(Exception):
    def __init__(self, pair):
        super().__init__()
        self.pair = pair


async def in_completion_order(urls, fetch):
    pairs = []

    async def fetch_one(url):
        pairs.append((url, await fetch(url)))

    try:
        async with asyncio.TaskGroup() as group:
            for url in urls:
                group.create_task(fetch_one(url))
    except ExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return pairs


async def stream(urls, fetch):
    async def fetch_one(url):
        return url, await fetch(url)

    tasks = [asyncio.create_task(fetch_one(url)) for url in urls]
    try:
        for next_done in asyncio.as_completed(tasks):
            yield await next_done
    except BaseException:  # an error, GeneratorExit from aclose(), or our cancellation
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        raise


async def first_successful(urls, fetch):
    errors = []

    async def attempt(url):
        try:
            result = await fetch(url)
        except Exception as error:
            errors.append(error)
        else:
            raise _Found((url, result))

    found = None
    try:
        async with asyncio.TaskGroup() as group:
            for url in urls:
                group.create_task(attempt(url))
    except* _Found as group:
        found = group.exceptions[0].pair
    if found is not None:
        return found
    error = AllFailed(f"{len(errors)} fetches failed")
    error.errors = errors
    raise error
