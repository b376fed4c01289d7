"""stream has no finally: closing it early leaves the other fetches running."""
import asyncio


class AllFailed(Exception):
    def __init__(self, errors):
        super().__init__(f"all {len(errors)} fetches failed")
        self.errors = list(errors)


def _start(urls, fetch):
    async def fetch_one(url):
        return url, await fetch(url)

    return [asyncio.create_task(fetch_one(url)) for url in urls]


async def _cancel(tasks):
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def in_completion_order(urls, fetch):
    tasks = _start(urls, fetch)
    try:
        return [await next_done for next_done in asyncio.as_completed(tasks)]
    finally:
        await _cancel(tasks)


async def stream(urls, fetch):
    async def fetch_one(url):
        return url, await fetch(url)

    for next_done in asyncio.as_completed([fetch_one(u) for u in urls]):
        yield await next_done


async def first_successful(urls, fetch):
    tasks = _start(urls, fetch)
    errors = []
    try:
        for next_done in asyncio.as_completed(tasks):
            try:
                return await next_done
            except Exception as error:
                errors.append(error)
    finally:
        await _cancel(tasks)
    raise AllFailed(errors)
