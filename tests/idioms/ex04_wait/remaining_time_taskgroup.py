"""Per-task wait_for with the time left until one deadline; race in a TaskGroup that a
sentinel exception stops."""
import asyncio
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class DeadlineResult(Generic[T]):
    done: dict[str, T]
    failed: dict[str, Exception]
    timed_out: set[str]


async def fetch_before_deadline(urls, fetch, timeout):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    tasks = {url: asyncio.create_task(fetch(url)) for url in urls}
    result = DeadlineResult({}, {}, set())
    try:
        for url, task in tasks.items():
            try:
                # wait_for cancels the task on timeout and waits until it has stopped
                result.done[url] = await asyncio.wait_for(task, deadline - loop.time())
            except TimeoutError:
                result.timed_out.add(url)
            except Exception as error:
                result.failed[url] = error
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
    return result


class _Finished(Exception):
    """Raised by the first contender to finish: the TaskGroup then cancels the rest."""


async def race(urls, fetch):
    if not urls:
        raise ValueError("race needs urls")
    outcome = []

    async def contender(url):
        try:
            outcome.append((url, await fetch(url), None))
        except Exception as error:
            outcome.append((url, None, error))
        raise _Finished

    try:
        async with asyncio.TaskGroup() as group:
            for url in urls:
                group.create_task(contender(url))
    except* _Finished:
        pass
    url, value, error = outcome[0]
    if error is not None:
        raise error
    return url, value
