"""Grader for exercise 5: ``Counter`` over a slow ``Store``, protected by ``asyncio.Lock``.

Races are explored through the public API: every scenario builds a fresh fake store
whose read and write latencies are drawn from a seeded jitter, so different seeds
interleave the increments' awaits the way varying I/O latency would. A lost update is
reported with the seed and the store trace of the interleaving that lost it; that seed
is then run once more with the learner's locks watched (:func:`watch_locks`), and when
every increment acquired only a lock it had just created itself, the message says so:
a lock created inside ``increment`` excludes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, cast

from asynclings.harness import (
    Span,
    World,
    close,
    describe,
    expect,
    expect_same,
    fail,
    jitter,
    same,
    seconds,
    side_by_side,
    task_waits,
)
from asynclings.harness.calls import Ended, together
from asynclings.harness.locks import lock_creations, watch_locks
from asynclings.harness.stores import RecordingStore, fail_first
from asynclings.rubric import item

KEY = "hits"
LATENCY = 0.01
SEEDS = 200
MOST = 20
"""The largest number of concurrent increments in one race scenario."""

PATIENCE = 60.0
"""Simulated seconds an increment after a failed one may take before it counts as stuck."""

LOCK_HINT = (
    "hold one asyncio.Lock per Counter across the whole read-add-write "
    "(`async with self._lock:` around both awaits)"
)
SHARED_LOCK = (
    "a lock shared by every Counter (created at module level or as a class attribute) "
    "makes them wait for each other: create one lock per Counter, in __init__"
)


# Plain increments and value() ---------------------------------------------------------


@item(points=2)
async def test_increment_returns_new_value(learner, world):
    """increment(amount) adds to the stored value, writes it back and returns the new value."""
    store = RecordingStore({KEY: 40})
    fresh = learner.Counter(store, "visits")
    run = await world.call(fresh.increment)
    expect_new_value(run.result, 1, 0, "increment() on a missing key (worth 0)")
    expect_stored(store, "visits", 1, "increment() on a missing key")

    counter = learner.Counter(store, KEY)
    run = await world.call(counter.increment)
    if same(run.result, 1):
        fail(
            "increment() returned 1 although the store already held 40 under the key: "
            "read the key's current value from the store and add to it (do not count from "
            "0 in the Counter itself)"
        )
    expect_new_value(run.result, 41, 40, "increment()")
    expect_stored(store, KEY, 41, "increment() from 40")
    steps = [((5,), {}, "increment(5)", 46), ((), {"amount": -3}, "increment(amount=-3)", 43)]
    before = 41
    for args, kwargs, what, expected in steps:
        run = await world.call(counter.increment, *args, **kwargs)
        expect_new_value(run.result, expected, before, what)
        expect_stored(store, KEY, expected, what)
        before = expected


@item(points=1)
async def test_value_reads_the_store(learner, world):
    """value() returns the key's current value in the store (0 for a missing key)."""
    store = RecordingStore({KEY: 7})
    counter = learner.Counter(store, KEY)
    run = await world.call(counter.value)
    expect_same(
        run.result,
        7,
        "value() of a Counter whose key already holds 7 in the store, before any increment, "
        "must return 7: read it from the store (`await store.read(key)`), not from an "
        "attribute of the Counter",
    )
    run = await world.call(learner.Counter(store, "visits").value)
    expect_same(run.result, 0, "value() of a key missing from the store must return 0")
    (await world.call(counter.increment, 3)).result
    run = await world.call(counter.value)
    stored = store.data.get(KEY, 0)
    expect_same(
        run.result,
        stored,
        f"after an increment the store holds {stored} under {KEY!r}, so value() must return "
        f"{stored}: read it from the store (`await store.read(key)`)",
    )


# Races -------------------------------------------------------------------------------


@item(points=3)
async def test_concurrent_increments_lose_no_update(learner, world):
    """Concurrent increments on one Counter lose no update and each returns its own new value."""
    # What the same increments return one after another: the values concurrent ones must
    # return too, in some order (1, 2, ..., n for a correct counter).
    sequential_store = RecordingStore({}, latency=LATENCY)
    sequential = learner.Counter(sequential_store, KEY)
    one_by_one = [(await world.call(sequential.increment)).result for _ in range(MOST)]
    judge_returns = all(type(value) is int for value in one_by_one)

    async def scenario(seed: int) -> None:
        n = 5 + seed % (MOST - 4)
        store = RecordingStore({}, latency=jitter(seed))
        counter = learner.Counter(store, KEY)
        start = world.now
        outcomes = await together({f"increment #{i + 1}": counter.increment for i in range(n)})
        raise_first_error(outcomes)
        final = store.data.get(KEY, 0)
        if not same(final, n):
            if isinstance(final, int) and final < n:
                what = f"{n - final} update(s) lost. {lost_update(store, KEY)}"
            else:
                what = "the store must end at exactly one per increment"
            cause = await lock_per_call(world, learner, seed, n)
            fail(
                f"{n} concurrent increments of a counter at 0 left it at {describe(final)}: "
                + (f"{what}. {cause}" if cause else f"{what}; {LOCK_HINT}"),
                details=race_details(store, outcomes, start),
            )
        if judge_returns:
            got = [outcome.value for outcome in outcomes.values()]
            expected = sorted(one_by_one[:n])
            if not (
                all(type(value) is int for value in got)
                and sorted(cast(list[int], got)) == expected
            ):
                fail(
                    f"{n} concurrent increments reached {n}, but they returned "
                    f"{describe(sorted(got, key=repr))} where, run one after another, they "
                    f"return {describe(expected)}: each increment must return the value it "
                    "wrote, taken inside the locked section (reading the store again after "
                    "releasing the lock sees the other increments' updates)",
                    details=race_details(store, outcomes, start),
                )

    await world.explore(scenario, count=SEEDS)


# Independence -------------------------------------------------------------------------


@item(points=2)
async def test_counters_do_not_wait_for_each_other(learner, world):
    """Increments on different Counters run at the same time: neither waits for the other."""
    alone = learner.Counter(RecordingStore({}, latency=LATENCY), KEY)
    run = await world.call(alone.increment)
    run.result
    single = run.duration

    store = RecordingStore({}, latency=LATENCY)
    a, b = learner.Counter(store, "a"), learner.Counter(store, "b")
    await expect_side_by_side(
        world, single, {"increment on key 'a'": a.increment, "increment on key 'b'": b.increment}
    )
    first = learner.Counter(RecordingStore({}, latency=LATENCY), KEY)
    second = learner.Counter(RecordingStore({}, latency=LATENCY), KEY)
    await expect_side_by_side(
        world,
        single,
        {
            f"increment on store 1, key {KEY!r}": first.increment,
            f"increment on store 2, key {KEY!r}": second.increment,
        },
    )


# Failures -----------------------------------------------------------------------------


@item(points=1)
async def test_failing_read_propagates(learner, world):
    """When store.read raises, increment raises that error and the next increment still works."""
    await expect_failure_propagates(world, learner, "read")


@item(points=1)
async def test_failing_write_propagates(learner, world):
    """When store.write raises, increment raises that error and the next increment still works."""
    await expect_failure_propagates(world, learner, "write")


# Helpers ------------------------------------------------------------------------------


def raise_first_error(outcomes: dict[str, Ended]) -> None:
    """An increment that raised where nothing should fail: the plugin explains it."""
    for outcome in outcomes.values():
        if outcome.error is not None:
            raise outcome.error


def expect_new_value(got: object, expected: int, before: int, what: str) -> None:
    if same(got, expected):
        return
    if same(got, before):
        fail(
            f"{what} returned {before}, the value before the increment: return the new "
            f"value ({expected}), the one written back"
        )
    expect_same(got, expected, f"{what} with the store holding {before} must return {expected}")


def expect_stored(store: RecordingStore, key: str, expected: int, what: str) -> None:
    got = store.data.get(key)
    expect(
        same(got, expected),
        f"after {what} the store holds {describe(got)} under {key!r} instead of {expected}: "
        "write the new value back with `await store.write(key, new_value)`",
        details=store.trace(key),
    )


def lost_update(store: RecordingStore, key: str) -> str:
    """Name two increments that read the same value (the signature of a lost update)."""
    reads = [
        op
        for op in store.finished
        if op.key == key and op.op == "read" and op.outcome == "returned"
    ]
    first_reader: dict[object, str] = {}
    for op in reads:
        earlier = first_reader.setdefault(op.value, op.task)
        if earlier != op.task:
            return (
                f"`{earlier}` and `{op.task}` both read {op.value!r}, so both wrote the same "
                "value and one update overwrote the other"
            )
    return "the writes overlapped, and a write of an older value landed after a newer one"


def race_details(store: RecordingStore, outcomes: dict[str, Ended], since: float) -> str:
    returned = ", ".join(
        f"{name.removeprefix('increment ')} -> {describe(outcome.value)}"
        for name, outcome in outcomes.items()
    )
    return (
        f"store operations on {KEY!r}, in the order they took effect:\n"
        f"{store.trace(KEY, since=since, limit=2 * MOST + 4)}\nreturned: {returned}"
    )


async def lock_per_call(world: World, learner: Any, seed: int, n: int) -> str | None:
    """Run the race scenario of ``seed`` again with the learner's locks watched; if every
    increment acquired only a lock it had created during its own call, say so (with the
    learner's lines that create one). ``None`` when that is not what happened."""
    store = RecordingStore({}, latency=jitter(seed))
    names = [f"increment #{i + 1}" for i in range(n)]
    try:
        with watch_locks(learner.module) as log:
            counter = learner.Counter(store, KEY)
            await together({name: counter.increment for name in names})
    except Exception:
        return None  # the lost update is the verdict; this run only looks for its cause
    acquired = [log.acquired_by(name) for name in names]
    if n < 2 or not all(acquired):
        return None
    if any(
        lock.created_by != name
        for name, locks in zip(names, acquired, strict=True)
        for lock in locks
    ):
        return None
    kinds = sorted({lock.kind for locks in acquired for lock in locks})
    made = sum(len(locks) for locks in acquired)
    message = (
        f"A lock created inside increment excludes nothing: each of the {n} calls acquired "
        f"a new {' or '.join(kinds)} that it had just created itself, {made} different locks "
        "in all, so no increment ever waited for another. Create the lock once per Counter, in "
        "__init__ (`self._lock = asyncio.Lock()`), and hold it across the whole "
        "read-add-write (`async with self._lock:`)"
    )
    lines = lock_creations(learner.path, "increment")
    if lines:
        message += "\n  in your file, " + "; ".join(lines)
    return message


async def expect_side_by_side(
    world: World, single: float, counters: dict[str, Callable[[], Awaitable[object]]]
) -> None:
    start = world.now
    outcomes = await together(counters)
    for outcome in outcomes.values():
        if isinstance(outcome.error, RuntimeError) and "different event loop" in str(outcome.error):
            fail(
                "two Counters met on one asyncio lock that an earlier event loop had already "
                f"used ({outcome.error}): {SHARED_LOCK}"
            )
    raise_first_error(outcomes)
    took = {name: outcome.ended - start for name, outcome in outcomes.items()}
    slow = [name for name, t in took.items() if not close(t, single)]
    if slow:
        name = slow[0]
        others = " and ".join(f"`{other}`" for other in took if other != name)
        fail(
            f"`{name}` took {seconds(took[name])} instead of the {seconds(single)} one "
            f"increment takes alone: it waited for {others}, on another Counter. Increments "
            f"on different Counters must not wait for each other: {SHARED_LOCK}",
            details=side_by_side(
                [Span(name, 0.0, t) for name, t in took.items()],
                [Span(name, 0.0, single) for name in took],
            ),
        )


async def next_increment(world: World, counter: Any, failed: str) -> object:
    """Run one more increment after a failed one; it must finish (no lock left held)."""
    task = asyncio.create_task(counter.increment(), name="the next increment")
    done, _ = await asyncio.wait({task}, timeout=PATIENCE)
    if not done:
        waits = task_waits([task])
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        fail(
            f"after the increment whose {failed} raised, the next increment never finished "
            f"(still waiting after {seconds(PATIENCE)}): the lock was left held after the "
            "failure. Use `async with lock:`, or release it in `finally:`, so that it is "
            "released even when the store raises",
            details="\n".join(wait.describe() for wait in waits),
        )
    return task.result()


async def expect_failure_propagates(world: World, learner: Any, kind: str) -> None:
    # What one increment does to a store holding 5 when nothing fails: after the failure,
    # the next increment must do exactly that (the failed one left no trace).
    control = RecordingStore({KEY: 5}, latency=LATENCY)
    (await world.call(learner.Counter(control, KEY).increment)).result
    expected = control.data.get(KEY)

    store = RecordingStore({KEY: 5}, latency=LATENCY, fail=fail_first(kind))
    counter = learner.Counter(store, KEY)
    start = world.now
    outcome = (await together({"the failing increment": counter.increment}))[
        "the failing increment"
    ]
    failed = f"store.{kind}"
    if not any(op.op == kind for op in store.ops_on(KEY)):
        fail(
            f"increment never called {failed}({KEY!r}{', ...' if kind == 'write' else ''}): "
            "it must read the key's current value from the store and write the new one back "
            "each time",
            details=store.trace(KEY, since=start),
        )
    if outcome.error is None:
        fail(
            f"increment returned {describe(outcome.value)} although {failed} raised "
            f"StoreError: the exception must propagate to the caller (do not catch it, retry "
            "or return something instead)",
            details=store.trace(KEY, since=start),
        )
    if isinstance(outcome.error, BaseExceptionGroup):
        fail(
            f"increment raised an ExceptionGroup wrapping the StoreError of {failed}; the "
            "store's exception must propagate as itself"
        )
    expect(
        bool(store.raised) and outcome.error is store.raised[0],
        f"increment raised {type(outcome.error).__name__}: {outcome.error} instead of the "
        f"StoreError that {failed} raised: let it propagate unchanged (no wrapping, no new "
        "exception)",
    )
    await next_increment(world, counter, failed)
    got = store.data.get(KEY)
    expect(
        same(got, expected),
        f"the failed {failed} left the store at 5, and the next increment took it to "
        f"{describe(got)} where one increment from 5 gives {describe(expected)}: the failed "
        "increment left something behind (a count bumped before the write succeeded?); read "
        "the current value from the store each time",
        details=store.trace(KEY, since=start),
    )
