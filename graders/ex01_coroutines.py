"""Grader for exercise 1: ``greet_after``, ``run_two`` and ``main``.

``greet_after`` and ``run_two`` are graded on the virtual-time loop: exact simulated
instants, blocking calls caught by blockbuster. ``main`` starts its own event loop, so its
items are plain (synchronous) tests graded with real wall-clock time; each sets up the
thread's event-loop state itself, so that the verdict never depends on what ran before.
Cancelling ``run_two`` is checked by running it in a task, cancelling it while both tasks
wait and awaiting it: ``CancelledError`` must come out, no task it started may be left
running once the loop has gone idle at that instant, and no "completed" entry may reach
the log afterwards.

Orphaned tasks: a wrong ``run_two`` can leave a task whose exception nobody retrieves
(task 2 failing while ``run_two`` waits on task 1). Its loop reports it when the garbage
collector finalizes the task, at an unpredictable moment; formatting that report calls
``ast.parse``, and if the collector happens to run inside another ``ast.parse`` (pytest
rewrites and reports with it) CPython raises "SystemError: AST constructor recursion
depth mismatch" and the grading session crashes. So the virtual loops get a handler that
drops those reports, and a failed ``main`` is finalized here, at a safe point.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from asynclings.feedback import NOT_IMPLEMENTED, explain
from asynclings.harness import (
    RubricFailure,
    close,
    describe,
    expect,
    expect_awaitable,
    expect_same,
    fail,
    same,
    seconds,
    task_waits,
)
from asynclings.harness.calls import where_tasks_wait
from asynclings.harness.world import verdict_errors
from asynclings.rubric import item

STARTED_1, STARTED_2 = "Task 1 started", "Task 2 started"
COMPLETED_1, COMPLETED_2 = "Task 1 completed", "Task 2 completed"
IN_ORDER = [STARTED_1, STARTED_2, COMPLETED_1, COMPLETED_2]
"""The log with delay1 < delay2."""

TASK_2_FIRST = [STARTED_1, STARTED_2, COMPLETED_2, COMPLETED_1]
"""The log with delay1 > delay2."""

CANCEL_AT = 0.5
"""When the cancellation item cancels run_two(log, 1.0, 2.0): both tasks are waiting."""


# greet_after --------------------------------------------------------------------------


@item(points=1)
async def test_greet_after_returns_the_greeting(learner, world):
    """greet_after(delay, name) returns exactly "Hello, <name>!"."""
    _drop_orphan_reports(world.loop)
    for delay, name in ((2.5, "Ada"), (0.5, "Grace Hopper")):
        run = await world.call(learner.greet_after, delay, name)
        expect_same(
            run.result,
            f"Hello, {name}!",
            f'greet_after({delay}, {name!r}) must return the string f"Hello, {{name}}!"',
        )


@item(points=1)
async def test_greet_after_waits_without_blocking(learner, world):
    """greet_after waits exactly `delay` seconds, letting other tasks run meanwhile."""
    _drop_orphan_reports(world.loop)
    run = await world.call(learner.greet_after, 2.5, "Ada")
    run.result
    if not close(run.duration, 2.5):
        hint = (
            "it did not wait at all on the event loop's clock: `await asyncio.sleep(delay)` "
            "(a call to asyncio.sleep without `await` creates a coroutine that never runs; "
            "waiting in a thread, with asyncio.to_thread or loop.run_in_executor, is "
            "invisible to the event loop's clock and ties up a thread: use asyncio.sleep)"
            if run.duration == 0
            else "wait once, with `await asyncio.sleep(delay)`"
        )
        fail(f"greet_after(2.5, 'Ada') took {seconds(run.duration)}; expected 2.5 s: {hint}")

    started = world.now
    await asyncio.gather(learner.greet_after(2.0, "Ada"), learner.greet_after(1.0, "Bo"))
    took = world.now - started
    expect(
        close(took, 2.0),
        f"two greet_after calls of 2 s and 1 s awaited together took {seconds(took)}; expected "
        "2 s: while one greeting waits, the event loop must be free to run the other",
    )


# run_two ------------------------------------------------------------------------------


@item(points=1)
async def test_run_two_appends_to_the_given_log(learner, world):
    """run_two(log) appends both starts, then both completions, to the very list it was given."""
    _drop_orphan_reports(world.loop)
    log: list[str] = []
    run = await world.call(learner.run_two, log)
    run.result
    _expect_final_log(run, log, IN_ORDER)
    expect(
        close(run.duration, 2.0),
        f"run_two(log) took {seconds(run.duration)}; with its default delays (delay1=1.0, "
        "delay2=2.0) it must take 2 s",
    )


@item(points=1)
async def test_run_two_runs_both_tasks_concurrently(learner, world):
    """run_two starts both tasks at once; each completes after its own delay; total: the longer."""
    _drop_orphan_reports(world.loop)
    log: list[str] = []
    instants = [0.0, 0.5, 1.5, 2.0]
    expected = [IN_ORDER[:2], IN_ORDER[:3], IN_ORDER, IN_ORDER]
    watcher = asyncio.create_task(_snapshots(world, log, instants))
    run = await world.call(learner.run_two, log, 0.5, 1.5)
    seen = await watcher
    run.result
    table = _log_table(seen, expected)
    if all(same(got, []) for _, got in seen):
        fail(
            "run_two(log, 0.5, 1.5) never appended anything to the list it was given: append "
            "to that very list (the `log` argument), and await the tasks so that they run",
            details=table,
        )
    for (instant, got), want in zip(seen, expected, strict=True):
        if not same(got, want):
            if instant == 0.0 and same(got, [STARTED_1]):
                cause = (
                    "task 2 had not started yet: it waited for task 1, so the tasks run one "
                    "after the other; start both (asyncio.create_task twice, or asyncio.gather) "
                    "before awaiting either"
                )
            else:
                cause = "each entry must be appended when its task starts or finishes its wait"
            fail(
                f"run_two(log, 0.5, 1.5): at t={seconds(instant)} the log was {describe(got)}, "
                f"expected {describe(want)}; {cause}",
                details=table,
            )
    if not close(run.duration, 1.5):
        fail(
            f"run_two(log, 0.5, 1.5) returned after {seconds(run.duration)}; expected 1.5 s, "
            "the slower task's delay: "
            + (
                "it returned before its tasks had finished; await them"
                if run.duration < 1.5
                else "it waited longer than its tasks needed"
            ),
            details=table,
        )


@item(points=1)
async def test_run_two_task_2_may_finish_first(learner, world):
    """With delay1 > delay2, task 2 completes first and run_two takes delay1."""
    _drop_orphan_reports(world.loop)
    log: list[str] = []
    run = await world.call(learner.run_two, log, 2.0, 0.5)
    run.result
    if same(log, IN_ORDER):
        fail(
            "run_two(log, 2.0, 0.5) logged 'Task 1 completed' before 'Task 2 completed', but "
            "task 2 finished 1.5 s earlier: each task must append its own 'completed' entry "
            "right after its own wait, not in a fixed order after awaiting the tasks"
        )
    _expect_final_log(run, log, TASK_2_FIRST)
    expect(
        close(run.duration, 2.0),
        f"run_two(log, 2.0, 0.5) took {seconds(run.duration)}; expected 2 s, the slower "
        "task's delay",
    )


@item(points=1)
async def test_run_two_cancellation_propagates(learner, world):
    """Cancelling run_two propagates CancelledError and cancels both of its tasks."""
    _drop_orphan_reports(world.loop)
    log: list[str] = []
    before = world.tasks()

    async def call() -> Any:
        return await expect_awaitable(learner.run_two(log, 1.0, 2.0), "run_two")

    started = world.now
    task = asyncio.create_task(call(), name="grader: run_two")
    await asyncio.sleep(CANCEL_AT)
    if task.done():
        expect(
            not task.cancelled(),
            f"run_two(log, 1.0, 2.0) raised CancelledError at t={seconds(world.now - started)} "
            "although nobody had cancelled it yet",
        )
        value = task.result()  # an exception here is the verdict
        fail(
            f"run_two(log, 1.0, 2.0) returned {describe(value)} at once, before its tasks had "
            "completed (after 1 s and 2 s): it must await them, so that cancelling run_two "
            "can cancel them"
        )
    at_cancel = len(log) if isinstance(log, list) else 0
    task.cancel()
    try:
        value = await task
    except asyncio.CancelledError:
        pass
    except verdict_errors:
        raise
    except Exception as error:
        fail(
            f"run_two was cancelled at t={seconds(CANCEL_AT)} and raised "
            f"{type(error).__name__}: {error} instead of letting CancelledError propagate: "
            "never turn CancelledError into another error (it is a BaseException: avoid bare "
            "`except:`, `except BaseException` and `except asyncio.CancelledError`), and "
            "re-raise it as it is if you must clean up"
        )
    else:
        fail(
            f"run_two was cancelled at t={seconds(CANCEL_AT)} but returned {describe(value)} at "
            f"t={seconds(world.now - started)}: it swallowed the cancellation. CancelledError "
            "is a BaseException: never catch it with a bare `except:`, `except BaseException` "
            "or `except asyncio.CancelledError` without re-raising it"
        )
    ended = world.now - started
    await world.idle()
    leftover = task_waits(world.tasks() - before)
    await asyncio.sleep(5.0)  # would a task left behind still complete?
    later = (
        [entry for entry in log[at_cancel:] if entry in (COMPLETED_1, COMPLETED_2)]
        if isinstance(log, list)
        else []
    )
    count = (
        "1 task it started was" if len(leftover) == 1 else f"{len(leftover)} tasks it started were"
    )
    expect(
        not leftover,
        f"run_two was cancelled at t={seconds(CANCEL_AT)} and let CancelledError out, but "
        f"{count} still running afterwards"
        + (f" (the log later received {describe(later)})" if later else "")
        + ": cancelling run_two cancels only what it is awaiting at that moment, never the "
        "other tasks it started. asyncio.gather and a TaskGroup cancel their children for "
        "you; after asyncio.create_task, await the tasks inside try/finally and in "
        "`finally:` cancel both and await them (asyncio.gather(first, second, "
        "return_exceptions=True))",
        details=where_tasks_wait(
            leftover,
            elsewhere="a task waits inside asyncio (no line of yours, e.g. "
            "create_task(asyncio.sleep(...)))",
        ),
    )
    if ended > CANCEL_AT:
        cause = (
            f"run_two finished only at t={seconds(ended)}: it waited for its tasks instead of "
            "cancelling them. Cancel them (task.cancel()) before awaiting them in `finally:`, "
            "or use asyncio.gather or a TaskGroup, which cancel their children"
        )
    else:
        cause = (
            "something it left behind went on to complete: cancelling run_two must "
            "cancel both tasks (asyncio.gather or a TaskGroup, or task.cancel() in `finally:`)"
        )
    expect(
        not later,
        f"run_two was cancelled at t={seconds(CANCEL_AT)}, yet the log then received "
        f"{describe(later)}: {cause}",
    )


# main (real time) ----------------------------------------------------------------------


@item(points=1)
def test_main_returns_the_log(learner):
    """main(delay1, delay2) returns run_two's complete log, a new list on every call."""
    _expect_default_delays(learner.main)
    with _current_loop_set():
        first = _call_main(learner, 0.02, 0.04)
        first_copy = list(first) if isinstance(first, list) else first
        expect_same(first_copy, IN_ORDER, "main(0.02, 0.04) must return the log of run_two")
        second = _call_main(learner, 0.02, 0.04)
    expect_same(
        second,
        IN_ORDER,
        "called a second time, main(0.02, 0.04) did not return the log of that call alone: "
        "start a new list inside main on every call",
    )
    expect(
        first is not second and first == first_copy,
        "the second call of main changed the list the first call had returned: each call "
        "must start and return a new list",
    )


@item(points=1)
def test_main_runs_concurrently_in_real_time(learner):
    """main(0.4, 0.4) takes about 0.4 s of real time: both tasks wait at once."""
    with _current_loop_set():
        started = time.perf_counter()
        _call_main(learner, 0.4, 0.4)
        took = time.perf_counter() - started
    expect(
        took >= 0.39,
        f"main(0.4, 0.4) returned after {took:.3f} s of real time: it must run run_two to "
        "the end, waiting for both tasks (asyncio.run(run_two(log, delay1, delay2)))",
    )
    expect(
        took < 0.6,
        f"main(0.4, 0.4) took {took:.2f} s of real time; expected about 0.4 s"
        + (
            ": about 0.8 s is the sum, so the tasks waited one after the other; start both "
            "before awaiting either"
            if took >= 0.75
            else ": something waited longer than the tasks need"
        ),
    )


@item(points=2)
def test_main_starts_a_fresh_event_loop_each_call(learner):
    """main starts a fresh loop per call: works repeatedly, after loops closed, in a new thread."""
    module, original = learner.module, learner.run_two
    loops: list[asyncio.AbstractEventLoop] = []
    module.run_two = _loop_recorder(original, loops)
    try:
        # Another event loop ran and was closed in this thread: no current loop is left.
        asyncio.run(asyncio.sleep(0))
        for situation in (
            "after another event loop had run and been closed in this thread",
            "called again after that",
            "called in a new thread (no event loop there)",
        ):
            earlier = list(loops)
            with _loops_created() as created:
                value = _call_main(
                    learner, 0.01, 0.02, situation=situation, new_thread="thread" in situation
                )
            _expect_complete_log(value, situation)
            # A loop asked of asyncio (asyncio.run, Runner, new_event_loop), or one that
            # run_two ran on for the first time (a loop class constructed directly).
            ran_on_new = any(
                all(loop is not old for old in earlier) for loop in loops[len(earlier) :]
            )
            expect(
                bool(created) or ran_on_new,
                f"{situation}, main(0.01, 0.02) created no event loop: each call must start "
                "a fresh one (asyncio.run creates it, runs the coroutine and closes it); a "
                "loop made once at import and reused outlives the call",
            )
    finally:
        module.run_two = original
    # `loops` keeps every loop alive, so equal ids mean the same loop.
    expect(
        len({id(loop) for loop in loops}) == len(loops),
        "main ran run_two on the same event loop in two calls: it must start a fresh loop each "
        "time (asyncio.run creates one, runs the coroutine and closes it); a loop kept at module "
        "level or reused through asyncio.get_event_loop() outlives the call",
    )


# Helpers ------------------------------------------------------------------------------


def _drop_orphan_reports(loop: asyncio.AbstractEventLoop) -> None:
    """Make ``loop`` drop "exception was never retrieved" reports (see the module
    docstring); the handler stays with the loop, which the orphaned tasks keep alive."""

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if "never retrieved" not in str(context.get("message", "")):
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


# run_two ------------------------------------------------------------------------------


async def _snapshots(world, log: object, instants: list[float]) -> list[tuple[float, object]]:
    """A copy of ``log`` at each instant (seconds from now), once the loop has gone idle
    there: everything due at that instant has run."""
    start = world.now
    seen: list[tuple[float, object]] = []
    for instant in instants:
        await asyncio.sleep(start + instant - world.now)
        await world.idle()
        seen.append((instant, list(log) if isinstance(log, list) else log))
    return seen


def _entries(log: object) -> str:
    if isinstance(log, list) and all(isinstance(entry, str) for entry in log):
        return ", ".join(log) if log else "(empty)"
    return describe(log)


def _log_table(seen: list[tuple[float, object]], expected: list[list[str]]) -> str:
    lines = []
    for (instant, got), want in zip(seen, expected, strict=True):
        mark = "" if same(got, want) else "   <--"
        lines.append(f"t={seconds(instant):<7} yours:    {_entries(got)}{mark}")
        lines.append(f"{'':9} expected: {_entries(want)}")
    return "\n".join(lines)


def _expect_final_log(run, log: list[str], expected: list[str]) -> None:
    """``log`` (the list given to run_two) holds exactly ``expected`` once it returned."""
    if not log and isinstance(run.value, list) and run.value:
        fail(
            f"run_two left the list it was given empty and returned {describe(run.value)}: it "
            "must append to the very list passed in as `log` (the caller reads it from there)"
        )
    if not log:
        fail(
            "run_two returned with the log still empty: did it append to the list it was "
            "given, and did it await its tasks? (calling task1(...) without await, or "
            "create_task(...) without awaiting the task, does not run them to the end)"
        )
    entries_only = all(isinstance(entry, str) for entry in log)
    if (
        entries_only
        and sorted(log) == sorted(expected)
        and log.index(STARTED_2) > log.index(COMPLETED_1)
    ):
        fail(
            f"run_two's log is {describe(log)}: task 2 started only after task 1 had completed, "
            "so the tasks ran one after the other; start both (asyncio.create_task twice, "
            "or asyncio.gather) before waiting for either"
        )
    expect_same(log, expected, "run_two did not leave the expected entries in the log it was given")


# main (real time) ----------------------------------------------------------------------


@contextlib.contextmanager
def _current_loop_set() -> Iterator[None]:
    """This thread as a script leaves it after calling ``asyncio.get_event_loop()``: a
    current event loop is set, not running. The state is the grader's, not whatever an
    earlier test left, so that verdicts never depend on test order; whether ``main`` also
    works without a current loop is the fresh-loop item's question."""
    loop = asyncio.new_event_loop()
    _drop_orphan_reports(loop)
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _not_a_coroutine(value: object) -> None:
    if asyncio.iscoroutine(value):
        value.close()  # never run: no "was never awaited" noise
        fail(
            "main(...) returned a coroutine: main must be a plain `def` that starts the event "
            "loop itself, e.g. `asyncio.run(run_two(log, delay1, delay2))`, and returns the log"
        )


def _in_new_thread(main: Callable[..., object], *args: float) -> object:
    """``main(*args)`` in a new thread, which has no event loop."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = main(*args)
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=target, name="main-in-new-thread", daemon=True)
    thread.start()
    thread.join(3.0)
    if thread.is_alive():
        fail(f"called in a new thread, main{args} had not returned after 3 s")
    if "error" in outcome:
        raise outcome.pop("error")
    return outcome["value"]


def _call_main(
    learner, delay1: float, delay2: float, *, situation: str = "", new_thread: bool = False
) -> object:
    """``learner.main(delay1, delay2)``; if it raises, the item fails with the explanation
    (prefixed with ``situation``), once the error's garbage has been collected."""
    main = learner.main
    try:
        value = _in_new_thread(main, delay1, delay2) if new_thread else main(delay1, delay2)
    except RubricFailure:
        raise
    except Exception as error:
        message, details = explain(error, learner.path)
    else:
        _not_a_coroutine(value)
        return value
    # The error and the tasks its frames hold are garbage now: finalize them at this safe
    # point rather than at a random later one (see the module docstring).
    gc.collect()
    if situation and not message.startswith(NOT_IMPLEMENTED):
        message = f"{situation}, main({delay1}, {delay2}) failed: {message}"
    fail(message, details=details)


def _expect_default_delays(main: Callable[..., object]) -> None:
    """``main``'s parameters default to delay1=1.0 and delay2=2.0 (main() takes 2 s of
    real time, so the defaults are read, not run)."""
    try:
        parameters = inspect.signature(main).parameters
    except (TypeError, ValueError):
        return
    for name, default in (("delay1", 1.0), ("delay2", 2.0)):
        parameter = parameters.get(name)
        if parameter is None or parameter.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        expect(
            parameter.default is not inspect.Parameter.empty and parameter.default == default,
            f"main's parameter {name} must default to {default} (def main(delay1: float = 1.0, "
            "delay2: float = 2.0)), like run_two's",
        )


@contextlib.contextmanager
def _loops_created() -> Iterator[list[asyncio.AbstractEventLoop]]:
    """The event loops made while this is active, by asyncio.run, asyncio.Runner or
    asyncio.new_event_loop (all of which ask the event loop policy for one). The policy
    itself stays, with its state (whether this thread's loop was set, say)."""
    created: list[asyncio.AbstractEventLoop] = []
    policy = asyncio.get_event_loop_policy()
    make = policy.new_event_loop

    def new_event_loop() -> asyncio.AbstractEventLoop:
        loop = make()
        created.append(loop)
        return loop

    policy.new_event_loop = new_event_loop  # type: ignore[method-assign]
    try:
        yield created
    finally:
        del policy.new_event_loop


def _loop_recorder(
    original: Callable[..., Any], loops: list[asyncio.AbstractEventLoop]
) -> Callable[..., Any]:
    """Stands in for the learner's ``run_two``: notes the loop each call runs on."""

    async def run_two(*args: Any, **kwargs: Any) -> Any:
        loops.append(asyncio.get_running_loop())
        return await original(*args, **kwargs)

    return run_two


def _expect_complete_log(value: object, situation: str) -> None:
    complete = (
        isinstance(value, list)
        and all(isinstance(entry, str) for entry in value)
        and set(value) == set(IN_ORDER)
    )
    expect(
        complete,
        f"{situation}, main(0.01, 0.02) returned {describe(value)}: it must run run_two to "
        "the end on a fresh event loop and return the log",
    )
