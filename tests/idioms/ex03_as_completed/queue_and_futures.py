"""Each fetch reports to an asyncio.Queue; gather appends as results land; a Future
resolved by done callbacks picks the first success."""
import asyncio


class AllFailed(Exception):
    """Every fetch failed; ``errors`` lists the failures in the order they happened."""

    def __init__(self, *errors):
        super().__init__(*errors)
        self.errors = list(errors)


async def in_completion_order(urls, fetch):
    pairs = []

    async def fetch_one(url):
        result = await fetch(url)
        pairs.append((url, result))

    tasks = [asyncio.ensure_future(fetch_one(url)) for url in urls]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return pairs


async def stream(urls, fetch):
    queue = asyncio.Queue()

    async def report(url):
        try:
            queue.put_nowait((url, await fetch(url), None))
        except Exception as error:
            queue.put_nowait((url, None, error))

    tasks = [asyncio.create_task(report(url)) for url in urls]
    try:
        for _ in urls:
            url, result, error = await queue.get()
            if error is not None:
                raise error
            yield url, result
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def first_successful(urls, fetch):
    loop = asyncio.get_running_loop()
    winner = loop.create_future()
    errors = []
    tasks = {}

    def on_done(task):
        if task.cancelled() or winner.done():
            return
        if task.exception() is not None:
            errors.append(task.exception())
            if len(errors) == len(tasks):
                winner.set_exception(AllFailed(*errors))
        else:
            winner.set_result((tasks[task], task.result()))

    if not urls:
        raise AllFailed()
    for url in urls:
        task = asyncio.create_task(fetch(url))
        tasks[task] = url
        task.add_done_callback(on_done)
    try:
        return await winner
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
