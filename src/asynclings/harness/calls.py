"""Running several calls of the code under test at once, and racing a call against a
deadlock.

* :func:`together` — start calls at one instant, each in a task named for it (so that
  the fakes record who did what), and keep how each ended.
* :func:`until_done_or_deadlock` — wait for tasks, but stop when every task is stuck
  (:meth:`~asynclings.harness.loop.VirtualLoop.deadlocked`), so that the grader can say
  where each waits instead of the loop raising :class:`~asynclings.harness.loop.Deadlock`.
* :func:`where_tasks_wait` — where leftover or stuck tasks wait, for ``details``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .loop import Deadlock, TaskWait, VirtualLoop
from .world import verdict_errors

__all__ = ["Ended", "together", "until_done_or_deadlock", "where_tasks_wait"]


@dataclass
class Ended:
    """How one call started by :func:`together` ended."""

    ended: float
    """The loop's time when it returned or raised."""
    value: object = None
    error: BaseException | None = None
    """What it raised (never one of :data:`~asynclings.harness.world.verdict_errors`)."""


async def together(calls: Mapping[str, Callable[[], Awaitable[object]]]) -> dict[str, Ended]:
    """Start every call at this instant, each in a task named by its key (so the fakes
    record who did what); wait for all of them and keep when and how each ended.

    An exception in :data:`~asynclings.harness.world.verdict_errors` propagates; any
    other is kept in :attr:`Ended.error`.
    """
    loop = asyncio.get_running_loop()
    outcomes: dict[str, Ended] = {}

    async def timed(name: str, call: Callable[[], Awaitable[object]]) -> None:
        try:
            value = await call()
        except verdict_errors:
            raise
        except Exception as error:
            outcomes[name] = Ended(loop.time(), error=error)
        else:
            outcomes[name] = Ended(loop.time(), value=value)

    tasks = [asyncio.create_task(timed(name, call), name=name) for name, call in calls.items()]
    await asyncio.gather(*tasks)
    return outcomes


async def until_done_or_deadlock(tasks: Iterable[asyncio.Future[Any]]) -> Deadlock | None:
    """Wait until every one of ``tasks`` is done, or until no task can ever run again.

    Returns ``None`` when they all finished, or the :class:`~asynclings.harness.loop.Deadlock`
    (where every task waits) when the loop got stuck first; the tasks still pending are
    left as they are, for the caller to explain and cancel. On a loop other than a
    :class:`~asynclings.harness.loop.VirtualLoop` it simply waits for all of them.
    """
    pending = set(tasks)
    loop = asyncio.get_running_loop()
    if not isinstance(loop, VirtualLoop):
        if pending:
            await asyncio.wait(pending)
        return None
    watch = loop.deadlocked()
    try:
        while pending and not watch.done():
            await asyncio.wait([*pending, watch], return_when=asyncio.FIRST_COMPLETED)
            pending = {task for task in pending if not task.done()}
    finally:
        watch.cancel()
    if not pending:
        return None
    return watch.result()


def where_tasks_wait(
    waits: Sequence[TaskWait], *, elsewhere: str = "a task waits inside asyncio"
) -> str:
    """One line per task: ``a task waits at <file>:<line>  <code>``, the innermost line
    shown, without the task's name (a counter that differs from run to run); a task
    suspended outside any file shown reads ``elsewhere``."""
    return "\n".join(
        f"a task waits at {wait.where[-1]}" if wait.where else elsewhere for wait in waits
    )
