"""A virtual-time event loop: time bounds become exact and instant.

:class:`VirtualLoop` is a stock ``SelectorEventLoop`` whose clock only moves when every
task is waiting: instead of sleeping until the next timer, the loop jumps straight to
it. ``asyncio.gather`` of 1, 2 and 3 second sleeps therefore ends at ``loop.time() ==
3.0`` exactly, after a millisecond of real time.

Contract (after trio's ``MockClock(autojump_threshold=0)``):

* ``loop.time()`` starts at ``0.0`` and advances only when no callback is ready; it then
  jumps to the earliest scheduled timer, exactly (no float drift).
* Real I/O and thread work keep real time: while a ``run_in_executor`` job (and so
  ``asyncio.to_thread``) or the default executor's shutdown is pending, the loop polls
  its real selector instead of declaring a deadlock.
* **Deadlock**: nothing ready, no timer, no thread work pending: :class:`Deadlock` is
  raised at once from ``run_until_complete`` with where every task is waiting — or,
  while a :meth:`VirtualLoop.deadlocked` future is pending, handed to that future, so
  that a grader can catch it inside the loop and explain it.
* **Horizon**: a clock that would pass ``horizon`` simulated seconds raises
  :class:`SimulatedTimeExceeded` (an endless loop of sleeps ends instead of spinning).
* Errors the loop would log ("Task exception was never retrieved", an exception in a
  callback) are kept in :attr:`VirtualLoop.unhandled` instead: formatting them can run
  at any later garbage collection, even inside pytest's own parser.
* :func:`virtual_clocks` makes ``time.monotonic()``, ``time.perf_counter()`` and
  ``time.time()`` follow the virtual clock inside a running VirtualLoop, so code that
  measures a deadline with them sees the same time as ``loop.time()``.
* :meth:`VirtualLoop.idle` resolves once the loop has run out of ready callbacks at the
  current instant, before the clock moves: "the loop has gone idle".

Virtual time is blind to code that blocks the loop (``time.sleep`` leaves ``loop.time()``
unchanged); pair every time bound with a blocking check and a wall-clock budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import linecache
import selectors
import sysconfig
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Deadlock",
    "SimulatedTimeExceeded",
    "TaskWait",
    "VirtualLoop",
    "task_waits",
    "virtual_clocks",
]

_STDLIB = sysconfig.get_paths()["stdlib"]
_POLL_WHILE_THREADS_WORK = 0.05
"""Real seconds the selector waits per poll while thread work is pending."""


@dataclass(frozen=True)
class TaskWait:
    """Where one task is suspended: its name and its innermost non-library frames."""

    name: str
    where: tuple[str, ...]
    """``file:line  source`` for each frame outside the standard library, outermost first."""

    def describe(self) -> str:
        if not self.where:
            return f"task {self.name!r} (no frame outside asyncio)"
        return f"task {self.name!r} waits at {self.where[-1]}"


def task_waits(
    tasks: Iterable[asyncio.Task[Any]], *, skip: Callable[[str], bool] | None = None
) -> list[TaskWait]:
    """Describe where each of ``tasks`` is suspended (for deadlock and leak reports).

    ``skip(filename)`` drops frames from files the reader does not need to see (the
    harness's own files, say); standard-library frames are always dropped.
    """
    waits = []
    for task in sorted(tasks, key=lambda task: task.get_name()):
        if task.done():
            continue
        where = []
        for frame in _suspended_frames(task):
            filename = frame.f_code.co_filename
            if filename.startswith(_STDLIB) or (skip is not None and skip(filename)):
                continue
            line = linecache.getline(filename, frame.f_lineno).strip()
            where.append(f"{Path(filename).name}:{frame.f_lineno}  {line}")
        waits.append(TaskWait(task.get_name(), tuple(where)))
    return waits


def _first_attribute(obj: object, names: tuple[str, ...]) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _suspended_frames(task: asyncio.Task[Any]) -> list[Any]:
    """The frames of the chain of coroutines ``task`` is suspended in, outermost first.

    ``Task.get_stack()`` shows only the task's own coroutine; the line that actually
    waits (``async with self._lock:`` in a method it awaits) is further down the chain
    of awaits.
    """
    frames = []
    awaited: object = task.get_coro()
    while awaited is not None:
        frame = _first_attribute(awaited, ("cr_frame", "gi_frame", "ag_frame"))
        if frame is not None:
            frames.append(frame)
        awaited = _first_attribute(awaited, ("cr_await", "gi_yieldfrom", "ag_await"))
    return frames


class Deadlock(RuntimeError):
    """No task can ever run again: nothing is ready, no timer is set, no thread works."""

    def __init__(self, now: float, waits: list[TaskWait]) -> None:
        self.now = now
        self.waits = waits
        lines = [f"deadlock at t={now:g} s: every task is waiting and nothing can wake it"]
        lines += [f"  - {wait.describe()}" for wait in waits]
        super().__init__("\n".join(lines))


class SimulatedTimeExceeded(RuntimeError):
    """The virtual clock would pass the loop's horizon."""

    def __init__(self, horizon: float, waits: list[TaskWait]) -> None:
        self.horizon = horizon
        self.waits = waits
        lines = [
            f"still running after {horizon:g} simulated seconds: the code never finishes "
            "(an endless loop of sleeps or retries, or a wait that is never satisfied)"
        ]
        lines += [f"  - {wait.describe()}" for wait in waits]
        super().__init__("\n".join(lines))


class _VirtualSelector(selectors.DefaultSelector):
    """The real selector, except that waiting for a timer moves the virtual clock."""

    loop: VirtualLoop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        loop = self.loop
        if timeout is not None and timeout <= 0:
            return list(super().select(0))
        # Nothing is ready at this instant: the loop has gone idle.
        if loop._idle_waiters:
            waiters, loop._idle_waiters = loop._idle_waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
            return []
        threads_working = loop._thread_work > 0  # read before the final poll
        events = list(super().select(0))
        if events:
            return events
        if threads_working:
            real_timeout = _POLL_WHILE_THREADS_WORK
            if timeout is not None:
                real_timeout = min(real_timeout, timeout)
            events = list(super().select(real_timeout))
            if events or timeout is None:
                return events
        if timeout is None:
            deadlock = Deadlock(loop.time(), task_waits(asyncio.all_tasks(loop)))
            watchers = [watcher for watcher in loop._deadlock_waiters if not watcher.done()]
            loop._deadlock_waiters = []
            if not watchers:
                raise deadlock
            for watcher in watchers:  # someone asked to be woken instead
                watcher.set_result(deadlock)
            return []
        loop._advance(timeout)
        return []


def _keep_unhandled(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    assert isinstance(loop, VirtualLoop)
    loop.unhandled.append(context)


class VirtualLoop(asyncio.SelectorEventLoop):
    """An event loop on a virtual clock. See the module docstring for the contract."""

    def __init__(self, *, horizon: float = 3600.0) -> None:
        selector = _VirtualSelector()
        selector.loop = self
        self._now = 0.0
        self.__clock = 0.0  # the loop's own clock: _now is visible to the code under test
        self._horizon = horizon
        self._thread_work = 0
        self._idle_waiters: list[asyncio.Future[None]] = []
        self._deadlock_waiters: list[asyncio.Future[Deadlock]] = []
        self.real_epoch = {name: clock() for name, clock in _REAL_CLOCKS.items()}
        """What each of the ``time`` module's clocks read when the loop was made: the
        base that :func:`virtual_clocks` adds the virtual time to."""
        self.unhandled: list[dict[str, Any]] = []
        """Contexts of the errors the loop would have logged, in order."""
        super().__init__(selector)
        self.set_exception_handler(_keep_unhandled)

    @property
    def horizon(self) -> float:
        return self._horizon

    def time(self) -> float:
        if self._now != self.__clock:
            self._now = self.__clock  # set by the code under test: not the loop's time
            self.clock_tampered = True
        return self.__clock

    clock_tampered = False
    """Whether the code under test changed the loop's clock (it is put back)."""

    def idle(self) -> asyncio.Future[None]:
        """A future that resolves when nothing is ready at the current instant."""
        waiter: asyncio.Future[None] = self.create_future()
        self._idle_waiters.append(waiter)
        return waiter

    def deadlocked(self) -> asyncio.Future[Deadlock]:
        """A future that resolves with the next :class:`Deadlock` instead of the loop
        raising it.

        While such a future is pending, a deadlock does not end ``run_until_complete``:
        the future gets the :class:`Deadlock` (where every task waits) as its result and
        wakes whoever awaits it, who can then cancel the stuck tasks and explain them.
        Cancel the future once it is no longer wanted.
        """
        waiter: asyncio.Future[Deadlock] = self.create_future()
        self._deadlock_waiters = [w for w in self._deadlock_waiters if not w.done()]
        self._deadlock_waiters.append(waiter)
        return waiter

    def _advance(self, timeout: float) -> None:
        # Jump to the earliest timer itself, not to now + timeout, so that a timer
        # set for 3.0 fires at 3.0 and not at 2.9999999999999996.
        scheduled = self._scheduled  # type: ignore[attr-defined]  # own timer heap, no cancelled head
        now = self.time()
        target = scheduled[0].when() if scheduled else now + timeout
        target = max(target, now)
        if target > self._horizon:
            raise SimulatedTimeExceeded(self._horizon, task_waits(asyncio.all_tasks(self)))
        self._now = self.__clock = target

    def run_in_executor(  # type: ignore[override]
        self, executor: Any, func: Any, *args: Any
    ) -> asyncio.Future[Any]:
        future = super().run_in_executor(executor, func, *args)
        self._thread_work += 1
        future.add_done_callback(self._thread_work_done)
        return future

    def _thread_work_done(self, _: object) -> None:
        self._thread_work -= 1

    async def shutdown_default_executor(self, *args: Any, **kwargs: Any) -> None:
        # The shutdown waits for a helper thread: real work, not a deadlock.
        self._thread_work += 1
        try:
            await super().shutdown_default_executor(*args, **kwargs)
        finally:
            self._thread_work -= 1


_REAL_CLOCKS: dict[str, Callable[[], float]] = {
    "monotonic": time.monotonic,
    "perf_counter": time.perf_counter,
    "time": time.time,
}
_REAL_NS_CLOCKS: dict[str, Callable[[], int]] = {
    "monotonic_ns": time.monotonic_ns,
    "perf_counter_ns": time.perf_counter_ns,
    "time_ns": time.time_ns,
}


def _virtual_clock(name: str) -> Callable[[], float]:
    real = _REAL_CLOCKS[name]

    def clock() -> float:
        loop = asyncio._get_running_loop()
        if isinstance(loop, VirtualLoop):
            return loop.real_epoch[name] + loop.time()
        return real()

    clock.__name__ = name
    return clock


def _virtual_ns_clock(name: str) -> Callable[[], int]:
    real = _REAL_NS_CLOCKS[name]
    base = name.removesuffix("_ns")

    def clock() -> int:
        loop = asyncio._get_running_loop()
        if isinstance(loop, VirtualLoop):
            return round((loop.real_epoch[base] + loop.time()) * 1e9)
        return real()

    clock.__name__ = name
    return clock


@contextlib.contextmanager
def virtual_clocks() -> Iterator[None]:
    """While active, the ``time`` module's clocks read virtual time inside a running
    :class:`VirtualLoop` (and real time everywhere else).

    A deadline computed as ``time.monotonic() + timeout`` is as valid as one computed
    with ``loop.time()``; under virtual time the two must agree. Modules that bound a
    clock before this was activated (``from time import monotonic``) keep the real one,
    so activate it before the code under test is imported.
    """
    replacements: dict[str, Callable[[], Any]] = {
        **{name: _virtual_clock(name) for name in _REAL_CLOCKS},
        **{name: _virtual_ns_clock(name) for name in _REAL_NS_CLOCKS},
    }
    originals = {name: getattr(time, name) for name in replacements}
    for name, clock in replacements.items():
        setattr(time, name, clock)
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(time, name, original)
