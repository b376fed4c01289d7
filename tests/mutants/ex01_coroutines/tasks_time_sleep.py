"""The tasks wait with time.sleep instead of asyncio.sleep: each blocks the loop (every
run_two item, the cancellation one included, stops on the blocking call)."""
# loses: test_run_two_appends_to_the_given_log test_run_two_runs_both_tasks_concurrently test_run_two_task_2_may_finish_first test_run_two_cancellation_propagates test_main_returns_the_log test_main_runs_concurrently_in_real_time test_main_starts_a_fresh_event_loop_each_call
import asyncio
import time


async def greet_after(delay, name):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def task1(log, delay):
    log.append("Task 1 started")
    time.sleep(delay)
    log.append("Task 1 completed")


async def task2(log, delay):
    log.append("Task 2 started")
    time.sleep(delay)
    log.append("Task 2 completed")


async def run_two(log, delay1=1.0, delay2=2.0):
    first = asyncio.create_task(task1(log, delay1))
    second = asyncio.create_task(task2(log, delay2))
    await first
    await second


def main(delay1=1.0, delay2=2.0):
    log = []
    asyncio.run(run_two(log, delay1, delay2))
    return log
