"""The harness pieces on their own: virtual loop, fakes, world, checks, timelines.

Async tests run on the VirtualLoop through pytest-asyncio's loop-factory hook
(tests/conftest.py), the same way the graders' rubric items do.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time

import pytest

from asynclings.harness import (
    Deadlock,
    FakeStore,
    FetchError,
    Reply,
    RubricFailure,
    SimulatedTimeExceeded,
    Span,
    VirtualLoop,
    World,
    describe,
    jitter,
    same,
    side_by_side,
    store_trace,
    timeline,
)
from asynclings.harness.probes import expect_finished_at

# Virtual time ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_gather_of_sleeps_ends_exactly_at_the_slowest():
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualLoop)
    started = time.perf_counter()
    await asyncio.gather(asyncio.sleep(1), asyncio.sleep(2), asyncio.sleep(3))
    assert loop.time() == 3.0
    for _ in range(3):
        await asyncio.sleep(1)
    assert loop.time() == 6.0
    assert time.perf_counter() - started < 0.5  # simulated seconds cost no real time


@pytest.mark.asyncio
async def test_timeouts_fire_at_exactly_their_deadline():
    loop = asyncio.get_running_loop()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(2.5):
            await asyncio.sleep(10)
    assert loop.time() == 2.5
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.sleep(10), 1.5)
    assert loop.time() == 4.0


@pytest.mark.asyncio
async def test_thread_work_keeps_real_time_and_is_not_a_deadlock():
    assert await asyncio.to_thread(lambda: threading.current_thread().name) != "MainThread"
    await asyncio.to_thread(time.sleep, 0.01)


def test_deadlock_is_reported_at_once_with_where_each_task_waits():
    async def waits_forever():
        await asyncio.Event().wait()

    async def main():
        await asyncio.gather(asyncio.create_task(waits_forever(), name="stuck"))

    started = time.perf_counter()
    with asyncio.Runner(loop_factory=VirtualLoop) as runner, pytest.raises(Deadlock) as caught:
        runner.run(main())
    assert time.perf_counter() - started < 1.0
    stuck = next(wait for wait in caught.value.waits if wait.name == "stuck")
    assert "await asyncio.Event().wait()" in stuck.describe()
    assert "test_harness.py" in stuck.describe()


def test_an_endless_loop_of_sleeps_stops_at_the_horizon():
    async def forever():
        while True:
            await asyncio.sleep(1)

    with (
        asyncio.Runner(loop_factory=lambda: VirtualLoop(horizon=50)) as runner,
        pytest.raises(SimulatedTimeExceeded, match="after 50 simulated seconds"),
    ):
        runner.run(forever())


def test_no_false_deadlock_when_a_runner_closes_after_thread_work():
    for _ in range(200):
        with asyncio.Runner(loop_factory=VirtualLoop) as runner:
            runner.run(asyncio.to_thread(lambda: None))


@pytest.mark.asyncio
async def test_idle_resolves_once_nothing_is_ready_without_moving_the_clock():
    loop = asyncio.get_running_loop()
    steps = []

    async def chain():
        for i in range(5):
            steps.append(i)
            await asyncio.sleep(0)

    task = asyncio.create_task(chain())
    await World().idle()
    assert steps == [0, 1, 2, 3, 4] and task.done()
    assert loop.time() == 0.0


# Fakes ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_fake_fetch_records_calls_in_flight_and_cancellation():
    world = World()
    fetch = world.fetch({"a": 1.0, "b": Reply(2.0, fail=True), "c": math.inf})
    task_c = asyncio.create_task(fetch("c"))
    results = await asyncio.gather(fetch("a"), fetch("b"), return_exceptions=True)
    assert results[0] == "<body of a>"
    assert isinstance(results[1], FetchError) and results[1] is fetch.calls_for("b")[0].error
    assert fetch.max_in_flight == 3 and fetch.in_flight_at(1.5) == 2
    task_c.cancel()
    await asyncio.gather(task_c, return_exceptions=True)
    (call_c,) = fetch.calls_for("c")
    assert call_c.outcome == "cancelled" and call_c.cancelled_at == 2.0
    assert fetch.running() == [] and fetch.requested == 3


@pytest.mark.asyncio
async def test_fake_fetch_replies_can_change_per_attempt():
    fetch = World().fetch({"u": [Reply(1.0, fail=True), Reply(0.5)]})
    with pytest.raises(FetchError):
        await fetch("u")
    assert await fetch("u") == "<body of u>"
    assert await fetch("u") == "<body of u>"  # the last reply repeats
    assert [c.attempt for c in fetch.calls] == [0, 1, 2]


@pytest.mark.asyncio
async def test_fake_store_reads_at_the_end_of_the_read_so_races_lose_updates():
    store = FakeStore({"n": 0}, latency=0.1)

    async def unsafe_increment():
        value = await store.read("n")
        await store.write("n", value + 1)

    await asyncio.gather(unsafe_increment(), unsafe_increment())
    assert store.data["n"] == 1  # both read 0: the classic lost update
    trace = store_trace(store, key="n")
    assert trace.count("read  'n' -> 0") == 2 and trace.count("write 'n' <- 1") == 2


def test_jitter_is_reproducible_per_seed():
    first, again, other = jitter(7), jitter(7), jitter(8)
    draws = [first() for _ in range(20)]
    assert draws == [again() for _ in range(20)]
    assert draws != [other() for _ in range(20)]


@pytest.mark.asyncio
async def test_world_call_records_the_run_and_what_it_left_running():
    world = World()
    fetch = world.fetch({"slow": 5.0})

    async def leaves_a_task():
        asyncio.create_task(fetch("slow"), name="orphan")  # noqa: RUF006 - left behind on purpose
        await asyncio.sleep(1)
        return 42

    run = await world.call(leaves_a_task)
    assert (run.started, run.ended, run.value, run.error) == (0.0, 1.0, 42, None)
    assert [wait.name for wait in run.leftover] == ["orphan"]


@pytest.mark.asyncio
async def test_world_call_fails_clearly_when_the_function_is_not_async():
    def plain(urls, fetch):
        return []

    with pytest.raises(RubricFailure, match="declare it with `async def plain"):
        await World().call(plain, [], None)


@pytest.mark.asyncio
async def test_explore_names_the_failing_seed_and_how_to_replay_it():
    async def scenario(seed):
        if seed == 3:
            raise RubricFailure("lost an update")

    with pytest.raises(RubricFailure, match=r"seed 3; replay it alone with --asynclings-seed 3"):
        await World().explore(scenario, count=10)
    assert await World(replay_seed=5).explore(scenario, count=10) == 1


# Checks and pictures -------------------------------------------------------------------


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def test_same_compares_exact_types_and_never_trusts_the_learners_eq():
    assert same([1, "a", (2.0, None)], [1, "a", (2.0, None)])
    assert not same(AlwaysEqual(), [1, 2])
    assert not same([AlwaysEqual()], [1])
    assert not same((1, 2), [1, 2])
    assert not same([True], [1])
    error = ValueError("x")
    assert same([error], [error]) and not same([ValueError("x")], [error])


def test_describe_survives_a_repr_that_raises():
    class Hostile:
        def __repr__(self):
            raise RuntimeError("no")

    assert describe(Hostile()).startswith("<Hostile")


def test_timeline_draws_runs_on_one_scale():
    lines = timeline([Span("a", 0, 1), Span("b", 1, 2, "cancelled")], width=10)
    assert lines == ["a  |=====     |  0-1", "b  |     ====x|  1-2"]
    picture = side_by_side([Span("a", 0, 2)], [Span("a", 0, 1)], width=10)
    assert "your run (simulated seconds)" in picture and "expected" in picture


@pytest.mark.asyncio
async def test_time_bound_failure_names_sequential_awaiting():
    world = World()
    fetch = world.fetch({"a": 1.0, "b": 2.0})

    async def sequential(urls, fetch):
        return [await fetch(url) for url in urls]

    run = await world.call(sequential, ["a", "b"], fetch)
    with pytest.raises(RubricFailure) as caught:
        expect_finished_at(run, 2.0, fetch)
    assert (
        "took 3 s for fetches of 1 and 2 s; expected 2 s: that is the sum" in caught.value.message
    )
    assert "b  |        ================|  1-3" in caught.value.details


def test_deadlock_waits_name_the_innermost_awaiting_line():
    class Account:
        def __init__(self):
            self.lock = asyncio.Lock()

        async def both(self):
            async with self.lock:
                await self.inner()

        async def inner(self):
            async with self.lock:  # the same lock again: waits for itself
                pass

    async def main():
        await asyncio.create_task(Account().both(), name="self-deadlock")

    with asyncio.Runner(loop_factory=VirtualLoop) as runner, pytest.raises(Deadlock) as caught:
        runner.run(main())
    stuck = next(wait for wait in caught.value.waits if wait.name == "self-deadlock")
    assert stuck.describe().endswith(
        "async with self.lock:  # the same lock again: waits for itself"
    )


@pytest.mark.asyncio
async def test_a_deadlock_can_be_caught_inside_the_loop():
    loop = asyncio.get_running_loop()
    stuck = asyncio.create_task(asyncio.Event().wait(), name="stuck")
    deadlock = await loop.deadlocked()
    assert isinstance(deadlock, Deadlock)
    assert [wait.name for wait in deadlock.waits if wait.name == "stuck"] == ["stuck"]
    stuck.cancel()
    await asyncio.gather(stuck, return_exceptions=True)


def test_unretrieved_task_errors_are_kept_not_logged(caplog):
    async def fails():
        raise ValueError("nobody awaits me")

    async def main():
        asyncio.create_task(fails())  # noqa: RUF006 - never retrieved on purpose
        await asyncio.sleep(0)

    with asyncio.Runner(loop_factory=VirtualLoop) as runner:
        runner.run(main())
        loop = runner.get_loop()
    import gc

    gc.collect()
    assert [str(c.get("exception")) for c in loop.unhandled] == ["nobody awaits me"]
    assert "never retrieved" not in caplog.text


def test_time_module_clocks_follow_virtual_time_inside_the_loop():
    from asynclings.harness import virtual_clocks

    async def measure():
        started = (time.monotonic(), time.perf_counter(), time.time(), time.monotonic_ns())
        await asyncio.sleep(2.5)
        return (
            time.monotonic() - started[0],
            time.perf_counter() - started[1],
            time.time() - started[2],
            (time.monotonic_ns() - started[3]) / 1e9,
        )

    real_before = time.perf_counter()
    with virtual_clocks(), asyncio.Runner(loop_factory=VirtualLoop) as runner:
        elapsed = runner.run(measure())
        outside = time.perf_counter()
    assert all(abs(e - 2.5) < 1e-6 for e in elapsed)
    assert 0 <= outside - real_before < 1.0  # outside the loop: real time
    assert time.monotonic.__module__ == "time"  # restored


# Running at return, cancellation probe --------------------------------------------------


@pytest.mark.asyncio
async def test_world_call_snapshots_fetches_running_at_the_instant_of_return():
    world = World()
    fetch = world.fetch({"fast": 1.0, "slow": 5.0, "other": 5.0})

    async def cancels_without_waiting():
        slow = asyncio.create_task(fetch("slow"))
        other = asyncio.create_task(fetch("other"))
        await fetch("fast")
        slow.cancel()  # asked, not awaited: still running at the return instant
        await asyncio.gather(other)
        return "done"

    run = await world.call(cancels_without_waiting)
    assert run.ended == 5.0
    assert run.running_at_return == []  # "slow" finished cancelling long before t=5

    async def returns_at_once():
        task = asyncio.create_task(fetch("slow"))
        await asyncio.sleep(0)
        task.cancel()
        return "early"

    run = await world.call(returns_at_once)
    assert [call.url for call in run.running_at_return] == ["slow"]
    assert run.running_at_return[0].outcome == "cancelled"  # it saw the cancellation later
    assert fetch.running() == []


@pytest.mark.asyncio
async def test_cancel_during_reports_a_propagated_cancellation_and_what_kept_running():
    from asynclings.harness.probes import (
        cancel_during,
        expect_cancellation_propagated,
        expect_fetches_cancelled,
        expect_still_running_when_cancelled,
    )

    world = World()
    fetch = world.fetch({"a": 3.0, "b": 4.0})

    async def leaks(urls, fetch):
        tasks = [asyncio.create_task(fetch(url), name=f"t-{url}") for url in urls]
        await tasks[0]

    run = await cancel_during(world, leaks, ["a", "b"], fetch, at=1.0)
    assert (run.at, run.ended, run.early, run.cancelled, run.error) == (1.0, 1.0, False, True, None)
    assert [call.url for call in run.running_at_cancel] == ["a", "b"]
    assert [call.url for call in run.running] == ["b"]
    assert [wait.name for wait in run.leftover] == ["t-b"]
    expect_still_running_when_cancelled(run, "too early")
    expect_cancellation_propagated(run)
    with pytest.raises(RubricFailure, match=r"fetches of 'b' it started were still running"):
        expect_fetches_cancelled(run, "cancel them in `finally:`")


@pytest.mark.asyncio
async def test_cancel_during_explains_swallowed_and_early_calls():
    from asynclings.harness.probes import (
        cancel_during,
        expect_cancellation_propagated,
        expect_still_running_when_cancelled,
    )

    world = World()

    async def swallows():
        try:
            await asyncio.sleep(10)
        except BaseException:
            return "carried on"

    run = await cancel_during(world, swallows, at=2.0)
    assert (run.cancelled, run.value, run.ended) == (False, "carried on", 2.0)
    with pytest.raises(RubricFailure, match="returned 'carried on' at t=2 s: it swallowed"):
        expect_cancellation_propagated(run)

    async def converts():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            raise ValueError("oops") from None

    run = await cancel_during(world, converts, at=1.0)
    assert isinstance(run.error, ValueError) and not run.cancelled
    with pytest.raises(RubricFailure, match="raised ValueError: oops instead of letting"):
        expect_cancellation_propagated(run)

    async def quick():
        await asyncio.sleep(0.5)
        return 7

    run = await cancel_during(world, quick, at=1.0)
    assert (run.early, run.value, run.ended) == (True, 7, 0.5)
    with pytest.raises(RubricFailure, match=r"quick returned 7 at t=0.5 s, before it ended"):
        expect_still_running_when_cancelled(run, "before it ended")

    def not_async():
        return None

    with pytest.raises(RubricFailure, match="declare it with `async def not_async"):
        await cancel_during(world, not_async, at=1.0)


# Integrity checks registered with the harness ---------------------------------------------


@pytest.mark.asyncio
async def test_world_verify_runs_with_no_integrity_check_registered():
    from asynclings.harness import integrity

    assert integrity.registered() == ()
    world = World()
    fetch = world.fetch({"a": 1.0})

    async def honest():
        return await fetch("a")

    run = await world.call(honest)
    assert run.error is None and run.duration == 1.0
    world.verify()  # nothing registered: only the fakes and the clock are checked


@pytest.mark.asyncio
async def test_a_fake_changed_by_the_code_fails_the_item_with_nothing_registered():
    world = World()
    fetch = world.fetch({"a": 1.0})

    async def rewrites_its_record():
        await fetch("a")
        fetch.calls.clear()

    with pytest.raises(RubricFailure) as failure:
        await world.call(rewrites_its_record)
    assert failure.value.message.startswith(
        "the submission changed the grader's own tools (the fake fetch's record of calls "
        "was changed): no verdict on this module can be trusted"
    )


@pytest.mark.asyncio
async def test_a_registered_check_fails_the_item_and_its_reporter_hears_every_change():
    from asynclings.harness import integrity

    found: list[list[str]] = [[]]
    heard: list[list[str]] = []

    def check() -> list[str]:
        changes, found[0] = found[0], []
        return changes

    integrity.register(check, report=heard.append)
    integrity.register(check, report=heard.append)  # once, however often registered
    try:
        world = World()
        fetch = world.fetch({"a": 1.0})

        async def clean():
            return await fetch("a")

        await world.call(clean)
        assert heard == []
        found[0] = ["asynclings.rubric.expect was replaced"]
        with pytest.raises(RubricFailure, match=r"tools \(asynclings.rubric.expect was replaced\)"):
            await world.call(clean)
        assert heard == [["asynclings.rubric.expect was replaced"]]

        async def rewrites_its_record():
            await fetch("a")
            fetch.calls.clear()

        heard.clear()
        found[0] = ["time.monotonic was replaced"]
        with pytest.raises(RubricFailure, match="record of calls was changed; time.monotonic"):
            await world.call(rewrites_its_record)
        assert heard == [
            ["the fake fetch's record of calls was changed", "time.monotonic was replaced"]
        ]
    finally:
        integrity.unregister(check)
    assert integrity.registered() == ()
    integrity.unregister(check)  # unregistering twice is harmless


def test_tampered_message_shows_five_changes_then_an_ellipsis():
    from asynclings.harness.integrity import tampered_message

    message = tampered_message([f"m.f{n} was replaced" for n in range(7)])
    assert "(m.f0 was replaced; m.f1 was replaced; m.f2 was replaced; m.f3 was replaced; " in (
        message
    )
    assert "m.f4 was replaced; ...): no verdict on this module can be trusted" in message
    assert "m.f5" not in message
