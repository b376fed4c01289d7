"""first_successful lets every fetch finish, then picks the first success."""
# loses: test_first_successful_returns_first_success
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
    tasks = _start(urls, fetch)
    try:
        for next_done in asyncio.as_completed(tasks):
            yield await next_done
    finally:
        await _cancel(tasks)


async def first_successful(urls, fetch):
    outcomes = []

    async def attempt(url):
        try:
            outcomes.append((url, await fetch(url), None))
        except Exception as error:
            outcomes.append((url, None, error))

    await asyncio.gather(*(attempt(url) for url in urls))
    for url, result, error in outcomes:
        if error is None:
            return url, result
    raise AllFailed([error for _, _, error in outcomes])
