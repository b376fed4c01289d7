"""The simulated world of one rubric item.

A :class:`World` hands out fakes, reads the clock, calls the code under test and answers
the questions graders ask of a run (what was still running after it returned, what it
left behind). It is the only thing a grader needs besides the learner's module; the code
under test meets it only through the fakes' calls and the loop's time.

::

    async def test_runs_concurrently(learner, world):
        fetch = world.fetch({"a": 1, "b": 2, "c": 3})
        run = await world.call(learner.fetch_all, ["a", "b", "c"], fetch)
        expect(run.duration == 3, ...)
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from blockbuster import BlockingError

from . import fakes
from .checks import RubricFailure, describe, expect_awaitable, expect_callable
from .fakes import FakeFetch, FakeStore, FetchCall, Latency, ReplySpec, StoreOp
from .integrity import report, run_checks, tampered_message
from .loop import Deadlock, SimulatedTimeExceeded, TaskWait, VirtualLoop, task_waits

__all__ = ["Run", "World", "verdict_errors"]

verdict_errors: tuple[type[BaseException], ...] = (
    NotImplementedError,
    BlockingError,
    Deadlock,
    SimulatedTimeExceeded,
    RubricFailure,
)
"""Exceptions that decide an item by themselves: :meth:`World.call` never keeps them
as the call's outcome but lets them reach the plugin, which explains them."""


@dataclass
class Run:
    """One call of the code under test, as it happened."""

    name: str
    started: float
    ended: float = 0.0
    value: object = None
    error: Exception | None = None
    leftover: list[TaskWait] = field(default_factory=list)
    """Tasks the call started that were still running once the loop went idle at the
    instant it returned."""
    running_at_return: list[FetchCall] = field(default_factory=list)
    """Calls of this world's fetches still running at the very instant the call returned
    or raised, before any other task got a turn (a fetch cancelled but not yet awaited
    is among them)."""

    @property
    def duration(self) -> float:
        return self.ended - self.started

    @property
    def result(self) -> object:
        """The returned value; if the call raised, that exception is raised again."""
        if self.error is not None:
            raise self.error
        return self.value


class World:
    """Fakes, clock and probes for one rubric item. ``seed`` shapes everything random."""

    def __init__(
        self, seed: int = 0, *, replay_seed: int | None = None, data_seed: int | None = None
    ) -> None:
        self.seed = seed
        self.replay_seed = replay_seed
        """When set (``--asynclings-seed``), :meth:`explore` runs only this seed."""
        self.data_seed = data_seed
        """When set (batch grading), the fakes' results are drawn from it."""
        self.tag = (
            f"{random.Random(data_seed).getrandbits(32):08x}" if data_seed is not None else ""
        )
        """Marks every result of this world's fakes (see FakeFetch)."""
        self.fetches: list[FakeFetch] = []
        """Every fake fetch :meth:`fetch` made, in order."""
        fakes.forget()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    @property
    def now(self) -> float:
        return self.loop.time()

    def fetch(
        self, replies: Mapping[str, ReplySpec], *, results: Mapping[str, object] | None = None
    ) -> FakeFetch:
        """A fake ``fetch``: see :class:`~asynclings.harness.fakes.FakeFetch`."""
        fetch = FakeFetch(replies, results=results, tag=self.tag)
        self.fetches.append(fetch)
        return fetch

    def store(
        self,
        initial: Mapping[str, int] | None = None,
        *,
        latency: Latency = 0.01,
        fail: Callable[[StoreOp], bool] | None = None,
    ) -> FakeStore:
        """A fake ``Store``: see :class:`~asynclings.harness.fakes.FakeStore`."""
        return FakeStore(initial, latency=latency, fail=fail)

    async def idle(self) -> None:
        """Return once nothing is ready at this instant (no simulated time passes)."""
        loop = self.loop
        if isinstance(loop, VirtualLoop):
            await loop.idle()
        else:  # a real loop: a few rounds let ready callbacks run
            for _ in range(20):
                await asyncio.sleep(0)

    def tasks(self) -> set[asyncio.Task[Any]]:
        """Unfinished tasks other than the grader's own."""
        current = asyncio.current_task()
        return {task for task in asyncio.all_tasks() if task is not current and not task.done()}

    async def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Run:
        """Call ``function(*args, **kwargs)``, await what it returns and record the run.

        An exception from the call is kept in :attr:`Run.error`, except the ones in
        :data:`verdict_errors`, which propagate. The fetch calls running at the instant
        it returned or raised are kept in :attr:`Run.running_at_return`. Then the loop is
        let go idle at the same instant and the tasks the call left running are kept in
        :attr:`Run.leftover`.
        """
        name = getattr(function, "__name__", describe(function))
        expect_callable(function, name)
        before = self.tasks()
        used = [(fake, fake.touched) for fake in fakes.live()]
        run = Run(name=name, started=self.now)
        try:
            awaitable = expect_awaitable(function(*args, **kwargs), name)
            try:
                run.value = await awaitable
            finally:
                run.running_at_return = [c for f in self.fetches for c in f.running()]
        except verdict_errors:
            raise
        except Exception as error:
            run.error = error
        run.ended = self.now
        await self.idle()
        run.leftover = task_waits(self.tasks() - before)
        # The fakes this call used or made; the item's end checks them all.
        seen = {fake: count for fake, count in used}
        self.verify([f for f in fakes.live() if seen.get(f) != f.touched])
        return run

    def verify(self, chosen: Iterable[Any] | None = None) -> None:
        """Fail the item if the code under test changed the fakes' records (``chosen``
        ones, default all), the loop's clock or what a registered integrity check
        watches (in batch grading, the grader's tools: see :mod:`.integrity`): the
        facts graders judge by must be the world's own."""
        checked = fakes.live() if chosen is None else chosen
        found = [change for fake in checked for change in fake.tampering()]
        loop = asyncio._get_running_loop()
        if isinstance(loop, VirtualLoop):
            loop.time()  # puts a changed clock back and notes it
            if loop.clock_tampered:
                found.append("the event loop's clock was changed")
        found += run_checks()
        if found:
            report(found)
            raise RubricFailure(tampered_message(found))

    def seeds(self, count: int) -> Iterable[int]:
        """The seeds an exploration runs: ``range(count)``, or only the replayed one."""
        if self.replay_seed is not None:
            return [self.replay_seed]
        return range(count)

    async def explore(self, scenario: Callable[[int], Awaitable[None]], *, count: int = 200) -> int:
        """Run ``scenario(seed)`` for ``count`` seeds (each shapes the fakes' latencies).

        The first seed whose scenario fails stops the exploration; its failure names the
        seed and how to replay it alone. Returns how many seeds ran.
        """
        ran = 0
        for seed in self.seeds(count):
            try:
                await scenario(seed)
            except RubricFailure as failure:
                failure.message = (
                    f"{failure.message}\n(interleaving seed {seed}; replay it alone with "
                    f"--asynclings-seed {seed})"
                )
                failure.args = (failure.message,)
                raise
            ran += 1
        return ran
