"""main forgets the default delays of its signature: main() with no arguments fails."""
# loses: test_main_returns_the_log
import asyncio


async def greet_after(delay, name):
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def run_two(log, delay1=1.0, delay2=2.0):
    async def task(label, delay):
        log.append(f"{label} started")
        await asyncio.sleep(delay)
        log.append(f"{label} completed")

    await asyncio.gather(task("Task 1", delay1), task("Task 2", delay2))


def main(delay1, delay2):
    log = []
    asyncio.run(run_two(log, delay1, delay2))
    return log
