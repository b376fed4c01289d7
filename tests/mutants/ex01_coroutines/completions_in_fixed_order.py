"""Starts both waits as tasks, then logs the completions itself after awaiting task 1 and
then task 2: right while task 1 is the faster one, wrong when task 2 finishes first. And
cancelling run_two cancels only the wait it is awaiting: the second sleep task runs on."""
# loses: test_run_two_task_2_may_finish_first test_run_two_cancellation_propagates
import asyncio


async def greet_after(delay, name):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def run_two(log, delay1=1.0, delay2=2.0):
    first = asyncio.create_task(asyncio.sleep(delay1))
    log.append("Task 1 started")
    second = asyncio.create_task(asyncio.sleep(delay2))
    log.append("Task 2 started")
    await first
    log.append("Task 1 completed")
    await second
    log.append("Task 2 completed")


def main(delay1=1.0, delay2=2.0):
    log = []
    asyncio.run(run_two(log, delay1, delay2))
    return log
