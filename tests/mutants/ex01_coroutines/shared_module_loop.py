"""Creates one event loop at import time and reuses it in every call of main: not a fresh
loop per call (it is never closed, and two threads calling main at once would collide)."""
# loses: test_main_starts_a_fresh_event_loop_each_call
import asyncio

LOOP = asyncio.new_event_loop()


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
    LOOP.run_until_complete(run_two(log, delay1, delay2))
    return log
