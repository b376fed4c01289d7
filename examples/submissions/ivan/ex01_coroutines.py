"""The classic tutorial as written. main: asyncio.get_event_loop().run_until_complete(...)
works in a fresh script's main thread, but raises "There is no current event loop" in a
new thread and once asyncio.run (or anything else) has closed this thread's loop. run_two:
`await task1; await task2` with no clean-up, so cancelling run_two leaves task 2 running."""
import asyncio


async def greet_after(delay, name):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def task1(log, delay):
    log.append("Task 1 started")
    await asyncio.sleep(delay)
    log.append("Task 1 completed")


async def task2(log, delay):
    log.append("Task 2 started")
    await asyncio.sleep(delay)
    log.append("Task 2 completed")


async def run_two(log, delay1=1.0, delay2=2.0):
    t1 = asyncio.create_task(task1(log, delay1))
    t2 = asyncio.create_task(task2(log, delay2))
    await t1
    await t2


def main(delay1=1.0, delay2=2.0):
    log = []
    asyncio.get_event_loop().run_until_complete(run_two(log, delay1, delay2))
    return log
