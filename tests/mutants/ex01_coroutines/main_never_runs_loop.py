"""main calls run_two like a plain function: the coroutine never runs, the log comes back
empty at once."""
# loses: test_main_returns_the_log test_main_runs_concurrently_in_real_time test_main_starts_a_fresh_event_loop_each_call
import asyncio


async def greet_after(delay, name):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def _task(log, label, delay):
    log.append(f"{label} started")
    await asyncio.sleep(delay)
    log.append(f"{label} completed")


async def run_two(log, delay1=1.0, delay2=2.0):
    await asyncio.gather(_task(log, "Task 1", delay1), _task(log, "Task 2", delay2))


def main(delay1=1.0, delay2=2.0):
    log = []
    run_two(log, delay1, delay2)
    return log
