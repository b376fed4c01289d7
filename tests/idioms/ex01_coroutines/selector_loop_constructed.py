"""main constructs its event loop class directly (not through asyncio.run or the policy),
runs run_two on it and closes it: a fresh loop per call all the same."""
import asyncio


async def greet_after(delay, name):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def _task(log, number, delay):
    log.append(f"Task {number} started")
    await asyncio.sleep(delay)
    log.append(f"Task {number} completed")


async def run_two(log, delay1=1.0, delay2=2.0):
    await asyncio.gather(_task(log, 1, delay1), _task(log, 2, delay2))


def main(delay1=1.0, delay2=2.0):
    log = []
    loop = asyncio.SelectorEventLoop()
    try:
        loop.run_until_complete(run_two(log, delay1, delay2))
    finally:
        loop.close()
    return log
