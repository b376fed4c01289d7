"""The tasks append to a module-level list instead of the `log` run_two was given; main
returns that global list, which keeps growing from call to call."""
# loses: test_run_two_appends_to_the_given_log test_run_two_runs_both_tasks_concurrently test_run_two_task_2_may_finish_first test_main_returns_the_log
import asyncio

log_entries = []


async def greet_after(delay, name):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def task1(delay):
    log_entries.append("Task 1 started")
    await asyncio.sleep(delay)
    log_entries.append("Task 1 completed")


async def task2(delay):
    log_entries.append("Task 2 started")
    await asyncio.sleep(delay)
    log_entries.append("Task 2 completed")


async def run_two(log, delay1=1.0, delay2=2.0):
    await asyncio.gather(task1(delay1), task2(delay2))


def main(delay1=1.0, delay2=2.0):
    asyncio.run(run_two(log_entries, delay1, delay2))
    return log_entries
