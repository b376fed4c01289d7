"""greet_after waits with time.sleep: the greeting is right, but the whole loop freezes."""
# loses: test_greet_after_returns_the_greeting test_greet_after_waits_without_blocking
import asyncio
import time


async def greet_after(delay, name):
    time.sleep(delay)
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
