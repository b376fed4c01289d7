"""main passes one module-level list to run_two on every call: the second call returns
eight entries, and the list the first call returned grows too."""
# loses: test_main_returns_the_log
import asyncio

LOG = []


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
    asyncio.run(run_two(LOG, delay1, delay2))
    return LOG
