"""Grader for exercise 8: ``pump``, a producer/consumer with backpressure (asyncio.Queue).

Every item runs ``pump`` on a :class:`~asynclings.harness.sources.Conveyor`: a source
that records each request for an item (and how many items taken from it were unfinished
at that moment), and a handle that records each call (start, end, outcome, task). Counts
are judged in the order things happened, so several events at one simulated instant
never blur the picture. Times shown to the learner count from the start of each run.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asynclings
from asynclings.harness import (
    describe,
    expect,
    expect_awaitable,
    expect_callable,
    expect_same,
    fail,
    moment,
)
from asynclings.harness.calls import where_tasks_wait
from asynclings.harness.loop import TaskWait, task_waits
from asynclings.harness.sources import Conveyor, HandleCall
from asynclings.harness.timeline import Span, timeline
from asynclings.harness.world import Run, World, verdict_errors
from asynclings.rubric import item

MIXED_ITEMS: list[object] = [0, "", "apple", 1, "pear", 2, "plum", 3, "fig", 4, "kiwi", 5]
"""Distinct items, some of them falsy: an item is never a signal to stop."""

STUCK_AFTER = 1000.0
"""Simulated seconds after which a pump run counts as stuck (the longest correct run
here takes under 100)."""

_KIT = str(Path(asynclings.__file__).parent)


# Rubric -----------------------------------------------------------------------------


@item(points=1)
async def test_each_item_handled_once(learner, world):
    """pump calls handle once per item of the source and returns how many it handled."""
    for scenario, items in (
        (Scenario(len(MIXED_ITEMS), 3, 2, handle=cycle(1.0, 0.5, 2.0)), MIXED_ITEMS),
        (Scenario(5, workers=4, maxsize=1, produce=0.5, handle=1.0), None),
        (Scenario(0, workers=2, maxsize=2), None),
    ):
        conveyor = scenario.conveyor(items)
        what = args(scenario.workers, scenario.maxsize)
        run, _ = await scenario.run(learner, world, conveyor)
        run.result  # an exception here is the verdict
        expect_all_handled(conveyor, what)
        expect_same(
            run.value,
            scenario.count,
            f"pump({what}) handled {scenario.count} items but did not return that number",
        )


@item(points=1)
async def test_never_more_than_workers(learner, world):
    """At most `workers` handles run at once, all from `workers` worker tasks."""
    for scenario in (
        FAST_SOURCE_SLOW_HANDLES,
        Scenario(6, workers=1, maxsize=3, handle=0.5),
        SLOW_SOURCE_SLOW_HANDLES,
        Scenario(12, workers=2, maxsize=4, handle=cycle(0.25, 1.0)),
    ):
        conveyor = scenario.conveyor()
        workers, what = scenario.workers, args(scenario.workers, scenario.maxsize)
        run, _ = await scenario.run(learner, world, conveyor)
        run.result
        expect(
            conveyor.max_in_flight <= workers,
            f"pump({what}) had {conveyor.max_in_flight} handles running at once; at most "
            f"`workers` = {workers} may run: start exactly `workers` worker tasks, and let "
            "only them call handle",
            details=picture(conveyor),
        )
        tasks = conveyor.handle.tasks()
        expect(
            len(tasks) <= workers,
            f"pump({what}) called handle from {len(tasks)} different tasks; the contract asks "
            f"for exactly `workers` = {workers} worker tasks, each taking item after item "
            "from the queue (not a new task per item)",
        )


@item(points=1)
async def test_workers_busy_while_items_wait(learner, world):
    """Exactly `workers` handles run whenever items are waiting, with a fast or a slow source."""

    async def check(scenario: Scenario) -> None:
        conveyor = scenario.conveyor()
        run, _ = await scenario.run(learner, world, conveyor)
        run.result
        expect_busy_workers(conveyor, scenario.workers, scenario.maxsize)

    for scenario in (FAST_SOURCE_SLOW_HANDLES, SLOW_SOURCE_QUICK_HANDLES, SLOW_SOURCE_SLOW_HANDLES):
        await check(scenario)
    await world.explore(lambda seed: check(seeded(seed)), count=40)


@item(points=2)
async def test_backpressure(learner, world):
    """pump never reads more than `maxsize + workers` items ahead of the finished handles."""

    async def check(scenario: Scenario) -> None:
        conveyor = scenario.conveyor()
        run, _ = await scenario.run(learner, world, conveyor)
        run.result
        expect_backpressure(conveyor, scenario.workers, scenario.maxsize)

    for workers, maxsize in ((1, 1), (2, 3), (3, 1)):
        await check(Scenario(20, workers, maxsize, handle=cycle(1.0, 2.0)))
    await world.explore(lambda seed: check(seeded(seed)), count=40)


@item(points=1)
async def test_failure_propagates(learner, world):
    """When handle raises, pump raises that same exception object (not wrapped, not swallowed)."""
    for scenario, failing in FAILURES:
        conveyor = scenario.conveyor()
        run, _ = await scenario.run(learner, world, conveyor)
        call = failure_of(conveyor, failing)
        what = f"handle({call.item!r})"
        if run.error is None:
            fail(
                f"pump returned {describe(run.value)} although {what} raised {call.error!r}: "
                "a failing handle must make pump raise that exception (a worker that catches "
                "it and carries on swallows it)",
                details=picture(conveyor),
            )
        if isinstance(run.error, BaseExceptionGroup):
            fail(
                f"pump raised an ExceptionGroup wrapping the error of {what}; the contract asks "
                "for the original exception itself: with a TaskGroup, catch the group and "
                "raise its exception (`except ExceptionGroup as group: raise "
                "group.exceptions[0]`)"
            )
        expect(
            run.error is call.error,
            f"pump raised {type(run.error).__name__}: {run.error} instead of the exception "
            f"{what} raised ({call.error!r}): let that exception object propagate unchanged",
        )


@item(points=1)
async def test_failure_stops_source_and_cancels_workers(learner, world):
    """After a handle fails, pump reads no more items and cancels the handles still running."""
    for scenario, failing in FAILURES:
        conveyor = scenario.conveyor()
        await scenario.run(learner, world, conveyor)
        call = failure_of(conveyor, failing)
        failed_at = call.ended
        assert failed_at is not None
        head = f"after handle({call.item!r}) raised at {at(conveyor, failed_at)}"
        later_asks = [when for when in conveyor.ask_times() if when > failed_at]
        if later_asks:
            fail(
                f"{head}, pump still asked the source for {len(later_asks)} more item(s) "
                f"(the first at {at(conveyor, later_asks[0])}): once a handle fails, stop "
                "reading the source",
                details=picture(conveyor),
            )
        later_starts = [c for c in conveyor.handle.calls if c.started > failed_at]
        if later_starts:
            fail(
                f"{head}, pump still started handle({later_starts[0].item!r}) at "
                f"{at(conveyor, later_starts[0].started)}: once a handle fails, cancel the "
                "workers instead of letting them take more items from the queue",
                details=picture(conveyor),
            )
        not_cancelled = running_on(conveyor, failed_at, besides=call)
        if not_cancelled:
            first = not_cancelled[0]
            fail(
                f"{head}, handle({first.item!r}) {ran_on(conveyor, first)}: when a handle "
                "fails, cancel the other workers (their handles see CancelledError), e.g. by "
                "running them in an asyncio.TaskGroup or with task.cancel()",
                details=picture(conveyor),
            )


@item(points=1)
async def test_no_worker_left_running(learner, world):
    """When pump returns or raises, every worker task it started has finished."""
    success = Scenario(8, workers=3, maxsize=2, handle=cycle(1.0, 0.5))
    for scenario, how in ((success, "returned"), *((s, "raised") for s, _ in FAILURES)):
        conveyor = scenario.conveyor()
        run, at_exit = await scenario.run(learner, world, conveyor)
        if how == "returned":
            run.result
        ended = at(conveyor, run.ended)
        if at_exit.handles:
            fail(
                f"pump {how} at {ended} while handle({at_exit.handles[0].item!r}) was still "
                "running: cancel the workers and await them (task.cancel() only asks; `await "
                "asyncio.gather(*tasks, return_exceptions=True)` waits until they have "
                "stopped) before returning or raising",
                details=picture(conveyor),
            )
        left = at_exit.tasks or run.leftover
        expect(
            not left,
            f"pump {how} at {ended} while {len(left)} task(s) it started were still running: "
            "once the queue is drained (or a handle failed), cancel the worker tasks and "
            "await them before returning, e.g. by creating them in an asyncio.TaskGroup",
            details=where_tasks_wait(left),
        )


@item(points=1)
async def test_cancelling_pump(learner, world):
    """Cancelling pump propagates CancelledError and cancels the handles it started."""
    pump = expect_callable(learner.pump, "pump")
    conveyor = Conveyor(jobs(20), handle=1.0)
    conveyor.origin = world.now
    before = world.tasks()
    task = asyncio.ensure_future(
        expect_awaitable(pump(conveyor.source, conveyor.handle, workers=2, maxsize=2), "pump")
    )
    await asyncio.sleep(2.5)
    cancelled_at = world.now
    if task.done():
        task.result()  # an exception here is the verdict
        fail(
            f"pump returned {describe(task.result())} by t=2.5, before 2 workers could "
            "handle 20 items of 1 s each",
            details=picture(conveyor),
        )
    task.cancel()
    try:
        value = await task
    except asyncio.CancelledError:
        pass
    except verdict_errors:
        raise
    except Exception as error:
        fail(
            f"pump, cancelled at t=2.5, raised {type(error).__name__}: {error} instead of "
            "letting CancelledError propagate",
            details=picture(conveyor),
        )
    else:
        fail(
            f"pump, cancelled at t=2.5, returned {describe(value)} at {at(conveyor, world.now)}: "
            "cancellation must propagate (never catch CancelledError without raising it "
            "again)",
            details=picture(conveyor),
        )
    finished = at(conveyor, world.now)
    await world.idle()
    later = [c for c in conveyor.handle.calls if c.started > cancelled_at]
    if later:
        fail(
            f"pump, cancelled at t=2.5, still started handle({later[0].item!r}) at "
            f"{at(conveyor, later[0].started)}: cancelling pump must cancel its workers",
            details=picture(conveyor),
        )
    not_cancelled = running_on(conveyor, cancelled_at)
    if not_cancelled:
        fail(
            f"pump was cancelled at t=2.5 and had finished at {finished}, but "
            f"handle({not_cancelled[0].item!r}) {ran_on(conveyor, not_cancelled[0])}: "
            "cancelling pump must cancel the worker tasks (create them in an "
            "asyncio.TaskGroup, or cancel them in a `finally:` block and await them)",
            details=picture(conveyor),
        )
    left = task_waits(world.tasks() - before)
    expect(
        not left,
        f"pump was cancelled at t=2.5, but {len(left)} task(s) it started were still running "
        f"at {finished} once the loop had gone idle: cancel and await them before the "
        "cancellation propagates",
        details=where_tasks_wait(left),
    )


@item(points=1)
async def test_bad_arguments(learner, world):
    """workers < 1 or maxsize < 1 raises ValueError before the source is read."""
    for workers, maxsize in ((0, 1), (1, 0), (-1, 2), (2, -3), (0, 0)):
        conveyor = Conveyor(jobs(3), handle=0.5)
        what = args(workers, maxsize)
        try:
            async with asyncio.timeout(60):
                run, _ = await run_pump(learner, world, conveyor, workers=workers, maxsize=maxsize)
        except TimeoutError:
            fail(
                f"pump({what}) did not raise ValueError: it was still waiting 60 s later "
                "(with no worker, nothing ever takes the items). Check the arguments first "
                "and raise ValueError"
            )
        if run.error is None:
            fail(
                f"pump({what}) returned {describe(run.value)}; expected ValueError "
                "(asyncio.Queue(0) is unbounded rather than an error: check the arguments "
                "yourself)"
            )
        expect(
            isinstance(run.error, ValueError),
            f"pump({what}) raised {type(run.error).__name__}: {run.error}; expected ValueError",
        )
        expect(
            not conveyor.events,
            f"pump({what}) raised ValueError, but only after reading the source or calling "
            "handle: check the arguments first, so that no item is consumed and lost",
        )


# Helpers ------------------------------------------------------------------------------


def jobs(count: int) -> list[str]:
    return [f"job{i}" for i in range(count)]


def cycle(*values: float) -> Callable[[int], float]:
    """Seconds for item ``i``: the values in turn."""
    return lambda index: values[index % len(values)]


def args(workers: int, maxsize: int) -> str:
    return f"workers={workers}, maxsize={maxsize}"


def at(conveyor: Conveyor, when: float | None) -> str:
    """A moment of the run as the learner reads it: ``t=1.5``."""
    return moment(when, conveyor.origin)


def _not_learner(filename: str) -> bool:
    return filename.startswith(_KIT) or filename == __file__


@dataclass
class AtExit:
    """What was still running at the very instant ``pump`` returned or raised."""

    tasks: list[TaskWait] = field(default_factory=list)
    handles: list[HandleCall] = field(default_factory=list)


def _stuck(conveyor: Conveyor, here: str) -> str:
    handled = [c for c in conveyor.handle.calls if c.outcome == "returned"]
    last = max((c.ended or 0.0 for c in conveyor.handle.calls), default=conveyor.origin)
    total = len(conveyor.items)
    progress = (
        f"every item had been handled by {at(conveyor, last)}"
        if len(handled) == total
        else f"{len(handled)} of {total} items had been handled, the last at {at(conveyor, last)}"
    )
    where = f", yet pump was still waiting at {here}" if here else ""
    code = here.split("  ", 1)[-1]
    if ".join(" in code:
        cause = (
            "queue.join() waits until queue.task_done() has been called once for every item "
            "put in the queue: call it for each item a worker takes, in a `finally:` block"
        )
    elif "TaskGroup" in code or "gather(" in code or "wait(" in code:
        cause = (
            "it waits for worker tasks that loop forever: once the queue is drained (await "
            "queue.join()), cancel them"
        )
    else:
        cause = (
            "worker tasks that loop forever and are never cancelled once the queue is "
            "drained, or queue.task_done() not called once per item, so that queue.join() "
            "waits forever"
        )
    return f"pump never finished: {progress}{where}. Likely cause: {cause}"


async def run_pump(
    learner: Any, world: World, conveyor: Conveyor, *, workers: int, maxsize: int
) -> tuple[Run, AtExit]:
    """Call the learner's pump through :meth:`World.call`, noting what was still
    running at the instant it returned or raised (before the loop runs anything else).
    A run still going after :data:`STUCK_AFTER` simulated seconds fails the item."""
    pump = expect_callable(learner.pump, "pump")
    at_exit = AtExit()
    conveyor.origin = world.now

    async def watched(*args: Any, **kwargs: Any) -> Any:
        before = world.tasks()
        me = asyncio.current_task()
        assert me is not None
        stuck: list[str] = []

        def look() -> None:
            # Just before the deadline cancels it: where pump and its tasks wait.
            [pump_wait] = task_waits([me], skip=_not_learner)
            others = task_waits(world.tasks() - before - {me}, skip=_not_learner)
            here = pump_wait.where[-1] if pump_wait.where else ""
            stuck[:] = [here, where_tasks_wait(others)]

        watchdog = world.loop.call_later(STUCK_AFTER - 1, look)
        try:
            async with asyncio.timeout(STUCK_AFTER) as deadline:
                try:
                    return await expect_awaitable(pump(*args, **kwargs), "pump")
                finally:
                    at_exit.tasks = task_waits(world.tasks() - before)
                    at_exit.handles = conveyor.handle.running()
        except TimeoutError:
            if deadline.expired() and stuck:
                fail(_stuck(conveyor, stuck[0]), details="\n".join(stuck[1:]))
            raise
        finally:
            watchdog.cancel()

    watched.__name__ = "pump"
    run = await world.call(
        watched, conveyor.source, conveyor.handle, workers=workers, maxsize=maxsize
    )
    return run, at_exit


# Pictures ---------------------------------------------------------------------------


def picture(conveyor: Conveyor, *, limit: int = 14) -> str:
    """The handle calls on a timeline, and when the source delivered each item."""
    origin = conveyor.origin
    calls = conveyor.handle.calls
    rows = [
        Span(
            f"handle({call.item!r})",
            call.started - origin,
            None if call.ended is None else call.ended - origin,
            call.outcome,
        )
        for call in calls[:limit]
    ]
    lines = timeline(rows) if rows else ["(handle was never called)"]
    if len(calls) > limit:
        lines.append(f"... {len(calls) - limit} more handle calls")
    by_time: dict[float, list[str]] = {}
    for event in conveyor.events:
        if event.kind == "take" and event.index is not None:
            by_time.setdefault(event.time, []).append(repr(conveyor.items[event.index]))
    reads = [f"{at(conveyor, when)}: {', '.join(got)}" for when, got in by_time.items()]
    if reads:
        more = " ..." if len(reads) > 8 else ""
        lines.append(f"items read from the source at {'; '.join(reads[:8])}{more}")
    lines.append("('=' handling, 'x' cancelled, '!' raised, '>' still running)")
    return "\n".join(lines)


# Checks shared by several items -----------------------------------------------------


def expect_all_handled(conveyor: Conveyor, what: str) -> None:
    """Every item's handle was called, awaited, and ran to its end, once."""
    handle = conveyor.handle
    twice = [item for i, item in enumerate(conveyor.items) if len(handle.calls_for(i)) > 1]
    expect(
        not twice,
        f"pump({what}) called handle more than once with {describe(twice)}: each item must "
        "be handled exactly once",
        details=picture(conveyor),
    )
    expect(
        handle.requested == len(handle.calls),
        f"pump({what}) called handle() {handle.requested} times but awaited only "
        f"{len(handle.calls)} of the coroutines: a coroutine that is never awaited never runs",
    )
    never = [item for i, item in enumerate(conveyor.items) if not handle.calls_for(i)]
    expect(
        not never,
        f"pump({what}) returned without ever calling handle with {describe(never)}: every "
        "item of the source must be handled. An item is never a signal to stop (`while item "
        ":= await queue.get()` stops at a falsy item such as 0 or ''; compare a sentinel "
        "with `is`)",
        details=picture(conveyor),
    )
    cut = [c.item for c in handle.calls if c.outcome != "returned"]
    expect(
        not cut,
        f"pump({what}) returned while handle({describe(cut[0]) if cut else ''}) had not "
        "finished (it was cancelled or still running): return only once every item has "
        "been handled, i.e. call queue.task_done() after handle(item) has finished, "
        "then await queue.join()",
        details=picture(conveyor),
    )


def expect_busy_workers(conveyor: Conveyor, workers: int, maxsize: int) -> None:
    """Whenever the loop waits for time to move, either every worker is handling an
    item or nothing waits: no item taken from the source waits, and the source is being
    read or has ended."""
    for state in conveyor.settled():
        if state.in_flight >= workers:
            continue
        idle = workers - state.in_flight
        head = (
            f"pump({args(workers, maxsize)}): at {at(conveyor, state.time)} only "
            f"{state.in_flight} handle(s) were running"
        )
        if state.waiting > 0:
            fail(
                f"{head} while {state.waiting} item(s) already read from the source waited: "
                f"{idle} worker(s) sat idle. Start exactly `workers` worker tasks, each taking "
                "the next item from the queue as soon as it has finished one (a single "
                "worker, or reading the whole source before handling starts, leaves workers "
                "idle)",
                details=picture(conveyor),
            )
        if not state.reading and not state.exhausted:
            fail(
                f"{head} while the source still had items and pump was not reading it: keep "
                "the producer reading (`await queue.put(item)` waits only while the queue is "
                "full) so that no worker sits idle while items wait",
                details=picture(conveyor),
            )


def expect_backpressure(conveyor: Conveyor, workers: int, maxsize: int) -> None:
    """At every request for an item, at most ``maxsize + workers`` items taken from the
    source are unfinished."""
    limit = maxsize + workers
    for state in conveyor.asks():
        if state.unfinished <= limit:
            continue
        whole = state.unfinished >= len(conveyor.items) - 1 and len(conveyor.items) > limit + 1
        cause = (
            "it reads the source up front (into a list?) instead of one item at a time as "
            "the queue has room"
            if whole
            else "the queue is not bounded by `maxsize` (asyncio.Queue(maxsize)), or items "
            "are held outside it"
        )
        fail(
            f"pump({args(workers, maxsize)}) asked the source for another item at "
            f"{at(conveyor, state.time)} while {state.unfinished} items it had already "
            f"taken were unfinished (queued or being handled); at most maxsize + workers = "
            f"{limit} may be. Likely cause: {cause}. `await queue.put(item)` on an "
            "asyncio.Queue(maxsize) waits while the queue is full: that wait is the "
            "backpressure",
            details=picture(conveyor),
        )


def running_on(
    conveyor: Conveyor, moment: float, *, besides: HandleCall | None = None
) -> list[HandleCall]:
    """Handle calls in flight at ``moment`` that were not cancelled: they ran on."""
    return [
        call
        for call in conveyor.handle.calls
        if call is not besides
        and call.started <= moment
        and call.outcome != "cancelled"
        and (call.ended is None or call.ended > moment)
    ]


def ran_on(conveyor: Conveyor, call: HandleCall) -> str:
    if call.outcome == "running":
        return "was still running after pump finished"
    return f"ran on to {at(conveyor, call.ended)} instead of being cancelled"


# Scenarios --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One pump run: how many items, their timings, and pump's arguments."""

    count: int
    workers: int
    maxsize: int
    produce: float | Callable[[int], float] = 0.0
    handle: float | Callable[[int], float] = 1.0
    fail: frozenset[int] = frozenset()

    def conveyor(self, items: Sequence[object] | None = None) -> Conveyor:
        return Conveyor(
            items if items is not None else jobs(self.count),
            produce=self.produce,
            handle=self.handle,
            fail=self.fail,
        )

    async def run(self, learner: Any, world: World, conveyor: Conveyor) -> tuple[Run, AtExit]:
        return await run_pump(learner, world, conveyor, workers=self.workers, maxsize=self.maxsize)


def seeded(seed: int) -> Scenario:
    """A random mix: fast or slow source, quick or slow handles, small pools and queues."""
    rng = random.Random(seed)
    produce = [rng.choice((0.0, 0.0, 0.5, 1.0, 2.0)) for _ in range(16)]
    handle = [rng.choice((0.25, 0.5, 1.0, 2.0, 3.0)) for _ in range(16)]
    return Scenario(
        count=rng.randint(0, 16),
        workers=rng.randint(1, 4),
        maxsize=rng.randint(1, 3),
        produce=produce.__getitem__,
        handle=handle.__getitem__,
    )


def failure_of(conveyor: Conveyor, failing: int) -> HandleCall:
    calls = conveyor.handle.calls_for(failing)
    if not calls or calls[0].error is None:
        fail(
            f"handle({conveyor.items[failing]!r}) never ran to its failure, so what pump "
            "does on a failure could not be judged: every item must reach handle",
            details=picture(conveyor),
        )
    return calls[0]


FAST_SOURCE_SLOW_HANDLES = Scenario(15, workers=3, maxsize=2, handle=cycle(1.0, 2.5, 0.5, 1.5))


SLOW_SOURCE_QUICK_HANDLES = Scenario(8, workers=2, maxsize=2, produce=1.0, handle=0.5)


SLOW_SOURCE_SLOW_HANDLES = Scenario(10, workers=2, maxsize=1, produce=0.5, handle=cycle(2.0, 0.5))


FAILURES = [
    # job5 fails at t=1.5 while job3 and job4 are being handled, two more are queued and
    # most of the source is unread.
    (Scenario(30, 3, 2, handle=cycle(1, 1, 1, 1, 1, 0.5), fail=frozenset({5})), 5),
    # job2 fails at t=3.25 while job1 is being handled and job3 is being produced.
    (Scenario(10, 2, 2, produce=1.0, handle=cycle(0.5, 5.0, 0.25), fail=frozenset({2})), 2),
]
