"""Calls asyncio.sleep(delay) without await: the coroutine is created and dropped, so the
greeting comes back at once."""
# loses: test_greet_after_waits_without_blocking
import asyncio


async def greet_after(delay, name):
    asyncio.sleep(delay)
    return f"Hello, {name}!"


async def _task(log, label, delay):
    log.append(f"{label} started")
    await asyncio.sleep(delay)
    log.append(f"{label} completed")


async def run_two(log, delay1=1.0, delay2=2.0):
    await asyncio.gather(_task(log, "Task 1", delay1), _task(log, "Task 2", delay2))


def main(delay1=1.0, delay2=2.0):
    log = []
    asyncio.run(run_two(log, delay1, delay2))
    return log
