"""Awaits task 1, then task 2: right entries, but one task after the other (3 s, not 2 s)."""
# loses: test_run_two_appends_to_the_given_log test_run_two_runs_both_tasks_concurrently test_run_two_task_2_may_finish_first test_main_returns_the_log test_main_runs_concurrently_in_real_time
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
    await task1(log, delay1)
    await task2(log, delay2)


def main(delay1=1.0, delay2=2.0):
    log = []
    asyncio.run(run_two(log, delay1, delay2))
    return log
