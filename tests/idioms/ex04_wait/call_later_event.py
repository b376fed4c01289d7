"""Hand-made: done callbacks and loop.call_later set an Event; race resolves a future."""
import asyncio
from dataclasses import dataclass, field


@dataclass
class DeadlineResult:
    done: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)
    timed_out: set = field(default_factory=set)


async def _stop(tasks):
    for task in tasks:
        if not task.done():
            task.cancel()
    for task in tasks:
        try:
            await task
        except BaseException:
            pass


async def fetch_before_deadline(urls, fetch, timeout):
    result = DeadlineResult()
    if not urls:
        return result
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    tasks = {}
    remaining = len(urls)

    def finished(task):
        nonlocal remaining
        remaining -= 1
        if remaining == 0:
            stop.set()

    for url in urls:
        task = asyncio.create_task(fetch(url))
        task.add_done_callback(finished)
        tasks[task] = url
    alarm = loop.call_later(timeout, stop.set)
    try:
        await stop.wait()
        running = {task for task in tasks if not task.done()}
    finally:
        alarm.cancel()
        await _stop(list(tasks))
    for task, url in tasks.items():
        if task in running:
            result.timed_out.add(url)
        elif task.exception() is not None:
            result.failed[url] = task.exception()
        else:
            result.done[url] = task.result()
    return result


async def race(urls, fetch):
    if not urls:
        raise ValueError("nothing to race")
    first = asyncio.get_running_loop().create_future()
    tasks = {}

    def finished(task):
        if not first.done():
            first.set_result(task)

    for url in urls:
        task = asyncio.create_task(fetch(url))
        task.add_done_callback(finished)
        tasks[task] = url
    try:
        winner = await first
    finally:
        await _stop(list(tasks))
    return tasks[winner], winner.result()
