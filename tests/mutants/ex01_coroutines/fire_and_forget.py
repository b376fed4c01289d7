"""Creates both tasks but never awaits them: run_two returns at once, before the tasks
have even started (and asyncio.run cancels them when main's loop closes); the tasks it
leaves behind run on with nothing to cancel them."""
# loses: test_run_two_appends_to_the_given_log test_run_two_runs_both_tasks_concurrently test_run_two_task_2_may_finish_first test_run_two_cancellation_propagates test_main_returns_the_log test_main_runs_concurrently_in_real_time test_main_starts_a_fresh_event_loop_each_call
import asyncio


async def greet_after(delay, name):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def _task(log, label, delay):
    log.append(f"{label} started")
    await asyncio.sleep(delay)
    log.append(f"{label} completed")


async def run_two(log, delay1=1.0, delay2=2.0):
    asyncio.create_task(_task(log, "Task 1", delay1))
    asyncio.create_task(_task(log, "Task 2", delay2))


def main(delay1=1.0, delay2=2.0):
    log = []
    asyncio.run(run_two(log, delay1, delay2))
    return log
