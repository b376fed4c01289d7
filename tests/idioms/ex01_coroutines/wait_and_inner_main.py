"""run_two with asyncio.wait on a list of tasks, cancelled and awaited in `finally:`; main
runs an inner coroutine that builds the log and returns it through asyncio.run;
greet_after sleeps in an asyncio.timeout."""
import asyncio
import contextlib


async def greet_after(delay, name):
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(delay):
            await asyncio.Event().wait()
    return f"Hello, {name}!"


async def run_two(log: list[str], delay1: float = 1.0, delay2: float = 2.0) -> None:
    async def one(label: str, delay: float) -> None:
        log.append(label + " started")
        await asyncio.sleep(delay)
        log.append(label + " completed")

    tasks = [asyncio.create_task(one("Task 1", delay1)), asyncio.create_task(one("Task 2", delay2))]
    try:
        done, _ = await asyncio.wait(tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()


def main(delay1: float = 1.0, delay2: float = 2.0) -> list[str]:
    async def collect() -> list[str]:
        log: list[str] = []
        await run_two(log, delay1, delay2)
        return log

    return asyncio.run(collect())
