"""run_two as the classic tutorial wrote it: create both tasks, then `await task1; await
task2`. Right log and timing, but cancelling run_two cancels only task 1 (the one it is
awaiting): task 2 keeps running and later logs "Task 2 completed"."""
# loses: test_run_two_cancellation_propagates
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
    asyncio.run(run_two(log, delay1, delay2))
    return log
