"""run_two with asyncio.gather; main with an asyncio.Runner; greet_after with
asyncio.sleep's `result` argument."""
import asyncio


async def greet_after(delay: float, name: str) -> str:
    return await asyncio.sleep(delay, result="Hello, " + name + "!")


async def run_two(log, delay1=1.0, delay2=2.0):
    async def task(number, delay):
        log.append(f"Task {number} started")
        await asyncio.sleep(delay)
        log.append(f"Task {number} completed")

    await asyncio.gather(task(1, delay1), task(2, delay2))


def main(delay1=1.0, delay2=2.0):
    log = []
    with asyncio.Runner() as runner:
        runner.run(run_two(log, delay1=delay1, delay2=delay2))
    return log
