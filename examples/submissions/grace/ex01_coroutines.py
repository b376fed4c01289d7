"""Exercise 1, reference solution: coroutines, tasks and ``asyncio.run``."""

from __future__ import annotations

import asyncio


async def greet_after(delay: float, name: str) -> str:
    """Wait ``delay`` seconds without blocking the loop, then return the greeting."""
    await asyncio.sleep(delay)
    return f"Hello, {name}!"


async def _task(log: list[str], label: str, delay: float) -> None:
    log.append(f"{label} started")
    await asyncio.sleep(delay)
    log.append(f"{label} completed")


async def run_two(log: list[str], delay1: float = 1.0, delay2: float = 2.0) -> None:
    """Run task 1 and task 2 concurrently, each appending its entries to ``log``."""
    first = asyncio.create_task(_task(log, "Task 1", delay1))
    second = asyncio.create_task(_task(log, "Task 2", delay2))
    try:
        await first
        await second
    finally:
        # If run_two is cancelled, the cancellation reaches only the task it is awaiting:
        # cancel both (a no-op for a finished task) and wait until they have stopped.
        first.cancel()
        second.cancel()
        await asyncio.gather(first, second, return_exceptions=True)


def main(delay1: float = 1.0, delay2: float = 2.0) -> list[str]:
    """Run ``run_two`` on a fresh event loop and return its log."""
    log: list[str] = []
    asyncio.run(run_two(log, delay1, delay2))
    return log
