"""main reuses one event loop made at import and runs its own copy of the two tasks
instead of run_two: every call shares that loop (nothing of run_two shows it)."""
# loses: test_main_starts_a_fresh_event_loop_each_call
import asyncio

_LOOP = asyncio.new_event_loop()


async def greet_after(delay, name):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def task(log, label, delay):
    log.append(f"{label} started")
    await asyncio.sleep(delay)
    log.append(f"{label} completed")


async def run_two(log, delay1=1.0, delay2=2.0):
    await asyncio.gather(task(log, "Task 1", delay1), task(log, "Task 2", delay2))


async def both(log, delay1, delay2):
    await asyncio.gather(task(log, "Task 1", delay1), task(log, "Task 2", delay2))


def main(delay1=1.0, delay2=2.0):
    log = []
    _LOOP.run_until_complete(both(log, delay1, delay2))
    return log
