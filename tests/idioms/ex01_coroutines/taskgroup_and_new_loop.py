"""run_two with a TaskGroup; main creates, runs and closes a new event loop by hand;
greet_after waits on a future that a loop timer resolves."""
import asyncio


async def greet_after(delay, name):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.call_later(delay, done.set_result, None)
    await done
    return "Hello, %s!" % name


async def task1(log, delay):
    log.append("Task 1 started")
    await asyncio.sleep(delay)
    log.append("Task 1 completed")


async def task2(log, delay):
    log.append("Task 2 started")
    await asyncio.sleep(delay)
    log.append("Task 2 completed")


async def run_two(log, delay1=1.0, delay2=2.0):
    async with asyncio.TaskGroup() as group:
        group.create_task(task1(log, delay1))
        group.create_task(task2(log, delay2))


def main(delay1=1.0, delay2=2.0):
    log = []
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(run_two(log, delay1, delay2))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return log
