"""main runs each task on its own asyncio.run, one after the other: every entry arrives,
but in sequence order and after the sum of the delays."""
# loses: test_main_returns_the_log test_main_runs_concurrently_in_real_time
import asyncio


async def greet_after(delay, name):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def task(log, label, delay):
    log.append(f"{label} started")
    await asyncio.sleep(delay)
    log.append(f"{label} completed")


async def run_two(log, delay1=1.0, delay2=2.0):
    await asyncio.gather(task(log, "Task 1", delay1), task(log, "Task 2", delay2))


def main(delay1=1.0, delay2=2.0):
    log = []
    asyncio.run(task(log, "Task 1", delay1))
    asyncio.run(task(log, "Task 2", delay2))
    return log
