"""Grader for exercise 10: ``Bank.transfer`` takes two locks, race-free and deadlock-free.

The kit's hardest race item: all twelve directions between four accounts transfer at
once under 200 seeded store latencies; money created or lost, a negative balance ever
written, a spurious ``InsufficientFunds`` or a deadlock fails it with the seed and the
interleaving. Transfers run as named tasks ("transfer A→B #1") and deadlocks are caught
inside the item (:meth:`~asynclings.harness.VirtualLoop.deadlocked`), so the learner
sees where each transfer waits and the lock-ordering cure, not only that the loop stopped.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from asynclings.harness import (
    FakeStore,
    Span,
    StoreError,
    StoreOp,
    close,
    describe,
    expect,
    expect_same,
    fail,
    jitter,
    seconds,
    side_by_side,
    store_trace,
    task_waits,
)
from asynclings.harness.calls import until_done_or_deadlock
from asynclings.harness.stores import fail_first
from asynclings.harness.world import verdict_errors
from asynclings.rubric import item

ORDER_HINT = (
    "take the two locks in one fixed global order, e.g. sorted by account name "
    "(`first, second = sorted((src, dst))`), so that no two transfers can each hold "
    "the lock the other waits for"
)
LEAKED_LOCK = (
    "a lock stayed held after the store failed: use async with / try-finally so that "
    "every lock is released however the transfer ends"
)
Move = tuple[str, str, int]
INITIAL = {"A": 60, "B": 40, "C": 20, "D": 0}
# Every one of the twelve directions between four accounts; amounts large enough that,
# depending on the interleaving, some transfers must raise InsufficientFunds.
ALL_DIRECTIONS: list[Move] = [
    ("A", "B", 30),
    ("B", "A", 20),
    ("A", "C", 25),
    ("C", "A", 10),
    ("B", "C", 35),
    ("C", "B", 15),
    ("A", "D", 20),
    ("D", "A", 10),
    ("B", "D", 10),
    ("D", "C", 5),
    ("C", "D", 30),
    ("D", "B", 15),
]
# Each scenario is started in this order. The first deadlocks when a transfer awaits
# between its two acquisitions; the others also catch `async with locks[src],
# locks[dst]` (or dst first), whose acquisitions are atomic when both locks are free:
# a third transfer keeps the shared lock busy so that the second acquisition waits.
OPPOSITE_SCENARIOS: list[list[Move]] = [
    [("A", "B", 10), ("B", "A", 10)],
    [("A", "C", 10), ("A", "B", 10), ("B", "A", 10)],
    [("C", "A", 10), ("B", "A", 10), ("A", "B", 10)],
]


# Rubric items -------------------------------------------------------------------------


@item(points=1)
async def test_transfer_moves_money(learner, world):
    """transfer moves the amount from src to dst; balance reads the store (0 if missing)."""
    store = world.store({"A": 100, "B": 20})
    bank = learner.Bank(store)
    [outcome] = await run_transfers(learner, bank, [("A", "B", 30)])
    expect_returned(outcome, "with 100 in 'A' it must move 30 to 'B'", store)
    expect_same(
        dict(store.data),
        {"A": 70, "B": 50},
        "after transfer('A', 'B', 30) from {'A': 100, 'B': 20} the store must hold 70 in "
        "'A' and 50 in 'B'",
        details=store_trace(store),
    )
    [outcome] = await run_transfers(learner, bank, [("A", "C", 5)])
    expect_returned(outcome, "a transfer may go to an account the store does not hold yet", store)
    expect_same(
        dict(store.data),
        {"A": 65, "B": 50, "C": 5},
        "after transfer('A', 'C', 5) to a new account 'C' (read as 0) the store must hold "
        "65 in 'A' and 5 in 'C'",
        details=store_trace(store),
    )
    for account, expected in [("A", 65), ("B", 50), ("C", 5), ("Z", 0)]:
        run = await world.call(bank.balance, account)
        missing = " (0 for an account the store does not hold)" if account == "Z" else ""
        expect_same(
            run.result, expected, f"balance({account!r}) must return the store's value{missing}"
        )
    store.set("A", 999)
    run = await world.call(bank.balance, "A")
    expect_same(
        run.result,
        999,
        "the store's value of 'A' was changed to 999 directly, but balance('A') did not "
        "report it: read the balance from the store on every call, keep no copy",
    )


@item(points=3)
async def test_concurrent_transfers_conserve_money(learner, world):
    """Transfers in all 12 directions at once never make or lose money, overdraw or deadlock."""
    await world.explore(lambda seed: _all_directions(learner, world, seed), count=200)


@item(points=2)
async def test_opposite_transfers_do_not_deadlock(learner, world):
    """Opposite transfers (A→B with B→A) started together both complete: no deadlock."""
    for moves in OPPOSITE_SCENARIOS:
        store = world.store({"A": 100, "B": 100, "C": 100}, latency=0.01)
        bank = learner.Bank(store)
        outcomes = await run_transfers(learner, bank, moves)
        for outcome in outcomes:
            expect_returned(outcome, "with 100 in every account each transfer must complete", store)


@item(points=1)
async def test_disjoint_transfers_run_concurrently(learner, world):
    """Transfers A→B and C→D, sharing no account, run concurrently (one global lock does not)."""
    store = world.store({"A": 100, "C": 100}, latency=0.01)
    [alone] = await run_transfers(learner, learner.Bank(store), [("A", "B", 10)])
    expect_returned(alone, "with 100 in 'A' it must complete", store)
    assert alone.ended is not None
    single = alone.ended - alone.started
    store = world.store({"A": 100, "C": 100}, latency=0.01)
    started = world.now
    outcomes = await run_transfers(learner, learner.Bank(store), [("A", "B", 10), ("C", "D", 10)])
    for outcome in outcomes:
        expect_returned(outcome, "with 100 in its source account it must complete", store)
    took = max(o.ended for o in outcomes if o.ended is not None) - started
    if close(took, single):
        return
    message = (
        f"transfer('A', 'B', 10) and transfer('C', 'D', 10), started together, took "
        f"{seconds(took)}; one transfer alone takes {seconds(single)}"
    )
    if took > single:
        message += (
            ": they share no account, yet one waited for the other. One lock for the whole "
            "bank serialises every transfer; use one lock per account and take only the "
            "locks of src and dst"
        )
    expected = [Span("A→B", 0.0, single), Span("C→D", 0.0, single)]
    fail(message, details=side_by_side(_spans(outcomes, started), expected))


@item(points=1)
async def test_insufficient_funds_changes_nothing(learner, world):
    """InsufficientFunds when src has less than the amount (not equal), and nothing is written."""
    insufficient = learner.InsufficientFunds
    expect(
        isinstance(insufficient, type) and issubclass(insufficient, Exception),
        f"InsufficientFunds must be an exception class (class InsufficientFunds(Exception)) "
        f"defined in your module, not {describe(insufficient)}",
    )
    start = {"A": 50, "B": 10}
    store = world.store(start)
    bank = learner.Bank(store)
    for turn, (src, dst, amount) in enumerate([("A", "B", 80), ("Z", "A", 5)]):
        already = len(store.ops)
        [outcome] = await run_transfers(
            learner,
            bank,
            [(src, dst, amount)],
            deadlock=_kept_lock(src, dst, amount) if turn else None,
        )
        held = start.get(src, 0)
        if outcome.error is None:
            fail(
                f"{outcome.label} returned although {src!r} holds only {held}: it must raise "
                "InsufficientFunds",
                details=store_trace(store),
            )
        if not isinstance(outcome.error, insufficient):
            fail(
                f"{outcome.label} raised {type(outcome.error).__name__}: {outcome.error}; "
                f"with only {held} in {src!r} it must raise InsufficientFunds",
            )
        written = writes(store.ops[already:])
        expect(
            not written,
            f"{outcome.label} raised InsufficientFunds, but first wrote "
            + ", ".join(f"{op.value!r} to {op.key!r}" for op in written)
            + ": it must change nothing, so check the funds before writing anything",
            details=store_trace(store),
        )
        expect_same(dict(store.data), start, f"{outcome.label} must leave the store unchanged")
    [outcome] = await run_transfers(
        learner, bank, [("A", "B", 50)], deadlock=_kept_lock("A", "B", 50)
    )
    if isinstance(outcome.error, insufficient):
        fail(
            "transfer('A', 'B', 50) with exactly 50 in 'A' raised InsufficientFunds: funds "
            "are insufficient only when src holds *less* than the amount (`<`, not `<=`)"
        )
    expect_returned(outcome, "with exactly 50 in 'A' it must move the 50", store)
    expect_same(
        dict(store.data),
        {"A": 0, "B": 60},
        "after transfer('A', 'B', 50) with exactly 50 in 'A' the store must hold 0 in 'A' "
        "and 60 in 'B'",
        details=store_trace(store),
    )


@item(points=1)
async def test_invalid_transfers_raise_value_error(learner, world):
    """An amount <= 0, or src == dst, raises ValueError and changes nothing."""
    start = {"A": 50, "B": 10}
    store = world.store(start)
    bank = learner.Bank(store)
    for src, dst, amount in [("A", "B", 0), ("A", "B", -5), ("A", "A", 10)]:
        already = len(store.ops)
        [outcome] = await run_transfers(
            learner,
            bank,
            [(src, dst, amount)],
            deadlock=f"transfer({src!r}, {dst!r}, {amount}) never finished: it waits for a "
            "lock it already holds itself (the same account twice); check `src == dst` "
            "first and raise ValueError",
        )
        why = "the amount must be positive" if amount <= 0 else "src and dst are the same"
        if not isinstance(outcome.error, ValueError):
            did = (
                "returned"
                if outcome.error is None
                else f"raised {type(outcome.error).__name__}: {outcome.error}"
            )
            fail(
                f"{outcome.label} {did}; {why}, so it must raise ValueError",
                details=store_trace(store),
            )
        written = writes(store.ops[already:])
        expect(
            not written,
            f"{outcome.label} raised ValueError, but first wrote "
            + ", ".join(f"{op.value!r} to {op.key!r}" for op in written)
            + ": check the arguments before touching the store",
            details=store_trace(store),
        )
        expect_same(dict(store.data), start, f"{outcome.label} must leave the store unchanged")


@item(points=1)
async def test_store_failure_releases_locks(learner, world):
    """A store error mid-transfer propagates and leaves no lock held: later transfers complete."""
    for kind, key, what in [("write", None, "first write"), ("read", "B", "read of 'B'")]:
        store = world.store({"A": 100, "B": 100}, fail=fail_first(kind, key))
        bank = learner.Bank(store)
        [outcome] = await run_transfers(learner, bank, [("A", "B", 10)], deadlock=LEAKED_LOCK)
        error = outcome.error
        if error is None:
            fail(
                f"transfer('A', 'B', 10) returned although the store's {what} raised "
                "StoreError: the store's exception must propagate",
                details=store_trace(store),
            )
        if isinstance(error, BaseExceptionGroup):
            fail(
                "transfer('A', 'B', 10) raised an ExceptionGroup wrapping the store's "
                "StoreError; the contract asks for the store's exception itself",
            )
        if type(error) is not StoreError:
            fail(
                f"transfer('A', 'B', 10) raised {type(error).__name__}: {error} when the "
                f"store's {what} raised StoreError; let the store's exception propagate "
                "unchanged",
            )
        for moves in ([("B", "A", 5)], [("A", "B", 5)]):
            [later] = await run_transfers(learner, bank, moves, deadlock=LEAKED_LOCK)
            expect_returned(later, "after the store failure later transfers must still work", store)


# Helpers ------------------------------------------------------------------------------


# Running transfers as named tasks, deadlocks caught ----------------------------------


@dataclass
class Outcome:
    """One transfer, as it happened."""

    src: str
    dst: str
    amount: int
    task: str
    """The name of the task it ran in, as the store's operations record it."""
    started: float
    ended: float | None = None
    """``None`` while running, and for ever if it was stuck in a deadlock."""
    error: Exception | None = None

    @property
    def label(self) -> str:
        return f"transfer({self.src!r}, {self.dst!r}, {self.amount})"


async def _transfer(bank: object, outcome: Outcome) -> None:
    awaitable = bank.transfer(outcome.src, outcome.dst, outcome.amount)  # type: ignore[attr-defined]
    if not inspect.isawaitable(awaitable):
        fail(
            f"{outcome.label} returned {describe(awaitable)} instead of a coroutine: "
            "declare it with `async def transfer(...)`"
        )
    try:
        await awaitable
    except verdict_errors:
        raise
    except Exception as error:
        outcome.error = error
    outcome.ended = asyncio.get_running_loop().time()


def where_it_waits(task: asyncio.Task[None], learner_file: str) -> str:
    """``task 'transfer A→B #1' waits at ex10_bank.py:27  async with ...``: the innermost
    line of the learner's file in the chain of coroutines the task is suspended in."""
    (wait,) = task_waits([task], skip=lambda filename: filename != learner_file)
    if not wait.where:
        return f"task {task.get_name()!r} (not inside your code)"
    return wait.describe()


async def run_transfers(
    learner: object, bank: object, moves: Sequence[Move], *, deadlock: str | None = None
) -> list[Outcome]:
    """Start ``bank.transfer`` for every move at once, each in a task named like
    ``transfer A→B #1``, and wait for all. A deadlock fails the item with ``deadlock``
    (default: the lock-ordering explanation) and where each stuck transfer waits."""
    now = asyncio.get_running_loop().time()
    outcomes = [
        Outcome(src, dst, amount, f"transfer {src}→{dst} #{i}", now)
        for i, (src, dst, amount) in enumerate(moves, 1)
    ]
    tasks = [asyncio.create_task(_transfer(bank, o), name=o.task) for o in outcomes]
    await until_done_or_deadlock(tasks)
    pending = {task for task in tasks if not task.done()}
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]  # not implemented, blocking...
    if not pending:
        return outcomes
    learner_file = str(learner.path)  # type: ignore[attr-defined]
    waits = [
        where_it_waits(task, learner_file) for task in sorted(pending, key=asyncio.Task.get_name)
    ]
    for task in pending:
        task.cancel()
    await until_done_or_deadlock(pending)
    stuck = [outcome for outcome in outcomes if outcome.ended is None]
    if deadlock is None and len(outcomes) == 1:
        deadlock = (
            f"{outcomes[0].label}, run alone, never finished: it waits for something nothing "
            "will ever give (a lock it already holds, or one never released)"
        )
    if deadlock is None:
        names = (
            " and ".join(outcome.label for outcome in stuck)
            if len(stuck) <= 2
            else f"{len(stuck)} of the {len(outcomes)} transfers"
        )
        deadlock = (
            f"deadlock: {names} never finished: they wait, for ever, for locks that no "
            f"running transfer will release. To never deadlock, {ORDER_HINT}"
        )
        raised = [outcome.label for outcome in outcomes if outcome.error is not None]
        if raised:
            deadlock += (
                f". Or a transfer that raised ({raised[0]}) kept its locks: hold them with "
                "async with / try-finally so that raising releases them too"
            )
    fail(deadlock, details="\n".join(f"- {wait}" for wait in waits))


def expect_returned(outcome: Outcome, why: str, store: FakeStore) -> None:
    if outcome.error is not None:
        fail(
            f"{outcome.label} raised {type(outcome.error).__name__}: {outcome.error}; {why}",
            details=store_trace(store, limit=40),
        )


def writes(ops: Iterable[StoreOp]) -> list[StoreOp]:
    return [op for op in ops if op.op == "write"]


def _values_while_running(store: FakeStore, key: str, start: float, end: float) -> list[int]:
    """Every value ``key`` held at some moment of ``[start, end]`` (writes ending exactly
    at ``start`` count both ways: same-instant order is not judged)."""
    history = sorted(
        (op.ended, op.value)
        for op in store.ops
        if op.op == "write" and op.key == key and op.outcome == "returned" and op.ended is not None
    )
    value = INITIAL.get(key, 0)
    seen: list[int] = []
    for ended, written in history:
        if ended < start:
            value = written  # type: ignore[assignment]
        elif ended == start:
            seen.append(value)
            value = written  # type: ignore[assignment]
        elif ended <= end:
            seen.append(written)  # type: ignore[arg-type]
    return [value, *seen]


async def _all_directions(learner, world, seed: int) -> None:
    store = world.store(INITIAL, latency=jitter(seed))
    bank = learner.Bank(store)
    insufficient = learner.InsufficientFunds
    outcomes = await run_transfers(learner, bank, ALL_DIRECTIONS)
    trace = store_trace(store, limit=60)
    for outcome in outcomes:
        if outcome.error is not None and not isinstance(outcome.error, insufficient):
            fail(
                f"{outcome.label} raised {type(outcome.error).__name__}: {outcome.error}; "
                "each of these transfers must either complete or raise InsufficientFunds",
                details=trace,
            )
    for op in writes(store.ops):
        if isinstance(op.value, int | float) and op.value < 0:
            fail(
                f"a balance went negative: task {op.task!r} wrote {op.value} to {op.key!r} "
                f"at t={op.ended:g} s. Another transfer changed {op.key!r} between this "
                "one's funds check and its write: check the funds and write both balances "
                "while holding the locks of both accounts",
                details=store_trace(store, key=op.key, limit=60),
            )
    # A refused transfer that writes and then undoes its writes is judged by the
    # InsufficientFunds item alone; here only the balances it leaves count.
    total_before, total_after = sum(INITIAL.values()), sum(store.data.values())
    if total_after != total_before:
        fail(
            f"money was {'created' if total_after > total_before else 'lost'}: the accounts "
            f"held {total_before} in total before the transfers and {total_after} after. "
            "A transfer wrote over a balance that another transfer had changed since it "
            "read it (a lost update): hold the locks of both accounts for the whole "
            "read-check-write",
            details=trace,
        )
    expected = dict(INITIAL)
    for outcome in outcomes:
        if outcome.error is None:
            expected[outcome.src] -= outcome.amount
            expected[outcome.dst] += outcome.amount
    expect_same(
        dict(store.data),
        expected,
        "the final balances are not those of the transfers that completed: a transfer "
        "that returned must have moved its whole amount, and one that raised "
        "InsufficientFunds must have changed nothing",
        details=trace,
    )
    for outcome in outcomes:
        if outcome.error is None:
            continue
        assert outcome.ended is not None
        held = _values_while_running(store, outcome.src, outcome.started, outcome.ended)
        if min(held) >= outcome.amount:
            fail(
                f"{outcome.label} raised InsufficientFunds although {outcome.src!r} held at "
                f"least {min(held)} the whole time it ran: raise it only when src holds "
                "less than the amount, judged on a balance read under the locks",
                details=store_trace(store, key=outcome.src, limit=60),
            )


def _spans(outcomes: Sequence[Outcome], origin: float) -> list[Span]:
    return [
        Span(
            f"{o.src}→{o.dst}",
            o.started - origin,
            None if o.ended is None else o.ended - origin,
        )
        for o in outcomes
    ]


def _kept_lock(src: str, dst: str, amount: int) -> str:
    return (
        f"transfer({src!r}, {dst!r}, {amount}) never finished after an earlier transfer "
        "raised InsufficientFunds: that transfer kept its lock; hold locks with async with "
        "/ try-finally so that raising releases them too"
    )
