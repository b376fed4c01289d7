"""Exercise 1: coroutines, tasks and the event loop.

Goal
    Write your first coroutines, run two of them *concurrently* as tasks, and start an
    event loop from ordinary (synchronous) code: the classic first asyncio example, two
    tasks that wait 1 s and 2 s and finish after 2 s in total, not 3 s.

The pattern
    ``async def`` makes a *coroutine function*: calling it runs nothing yet, it returns
    a coroutine object. The body runs when something awaits that object or wraps it in
    a task. ``await asyncio.sleep(d)`` pauses the coroutine for ``d`` seconds and lets
    the event loop run other tasks meanwhile; ``time.sleep(d)`` would freeze them all::

        async def task1():
            print("Task 1 started")
            await asyncio.sleep(1)
            print("Task 1 completed")

    Awaiting two coroutines one after the other runs them one after the other (1 s +
    2 s = 3 s). ``asyncio.create_task(coro)`` schedules a coroutine to run *now*, in the
    background, and gives back a task you can await later: start every task first, then
    wait for them (``asyncio.gather(...)`` or a ``TaskGroup`` do the same)::

        first = asyncio.create_task(task1())
        second = asyncio.create_task(task2())
        await first
        await second

    That sketch has a catch. When the coroutine running it is cancelled, the
    cancellation reaches only what it is awaiting at that moment (``first``): ``second``
    keeps running on its own. ``asyncio.gather(...)`` and a ``TaskGroup`` cancel their
    children when they are cancelled; with tasks from ``create_task``, await them inside
    ``try:`` and clean up in ``finally:``::

        try:
            ...                                   # await the tasks
        finally:
            first.cancel()                        # no-op for a finished task
            second.cancel()
            await asyncio.gather(first, second, return_exceptions=True)

    Coroutines need a running event loop. The classic tutorial starts one with
    ``asyncio.get_event_loop().run_until_complete(main())``: that call is deprecated, and
    it fails in a thread that has no loop, or once another loop has been closed.
    ``asyncio.run(coro)`` is the way today: it creates a fresh loop, runs the coroutine
    to the end, returns its result and closes the loop.

The contract
    Only ``main`` starts an event loop; ``greet_after`` and ``run_two`` run inside the
    caller's loop: they never call ``asyncio.run``, never create or close a loop, and
    never block it (no ``time.sleep``, busy-waits or blocking I/O).

    ``greet_after(delay, name)``
        Wait ``delay`` seconds without blocking the event loop, then return
        ``f"Hello, {name}!"``.
    ``run_two(log, delay1=1.0, delay2=2.0)``
        The tutorial's ``task1``/``task2``, run concurrently: task 1 appends
        ``"Task 1 started"`` to ``log``, waits ``delay1`` seconds, then appends
        ``"Task 1 completed"``; task 2 does the same with ``"Task 2 ..."`` and ``delay2``.
        Append to the very list you are given (the caller reads the log from it) and
        return ``None``. With ``delay1 < delay2`` the log ends up exactly
        ``["Task 1 started", "Task 2 started", "Task 1 completed", "Task 2 completed"]``
        and the whole call takes ``max(delay1, delay2)`` seconds: "concurrently" means
        the total time is the slower task's, not the sum. With ``delay1 > delay2``, task
        2 completes first.

        Cancelling ``run_two`` (the caller cancels the task running it) must always
        propagate: ``CancelledError`` comes out of it, never swallowed (no bare
        ``except:``, ``except BaseException`` or ``except asyncio.CancelledError`` that
        does not re-raise) and never turned into another error. And it cancels both of
        its tasks: once the cancelled call has finished, neither task is still running
        after the event loop has gone idle at that same instant (no time may pass
        first), and no "completed" entry reaches the log afterwards.
    ``main(delay1=1.0, delay2=2.0)``
        A plain, synchronous function: run ``run_two`` on a fresh event loop and return
        the log, a new list on every call. It must work when called again and again,
        from a thread that has no event loop, and after other event loops have run and
        been closed. It is graded with real wall-clock time: ``main(0.4, 0.4)`` takes
        about 0.4 s.

Example
    ::

        await greet_after(2.5, "Ada")     # "Hello, Ada!" after 2.5 s
        main(1.0, 2.0)                    # after 2 s of real time:
        # ["Task 1 started", "Task 2 started", "Task 1 completed", "Task 2 completed"]

Check your work
    In the folder that holds this file, ``asynclings check ex01`` grades it and
    shows every rubric item's verdict; ``pytest ex01_coroutines.py`` does the same.
    ``asynclings hint ex01`` gives a hint.
"""

from __future__ import annotations


async def greet_after(delay: float, name: str) -> str:
    """Wait ``delay`` seconds without blocking the loop, then return the greeting."""
    raise NotImplementedError


async def run_two(log: list[str], delay1: float = 1.0, delay2: float = 2.0) -> None:
    """Run task 1 and task 2 concurrently, each appending its entries to ``log``."""
    raise NotImplementedError


def main(delay1: float = 1.0, delay2: float = 2.0) -> list[str]:
    """Run ``run_two`` on a fresh event loop and return its log."""
    raise NotImplementedError
