"""Grader for exercise 2: ``fetch_all`` and ``fetch_all_settled`` with asyncio.gather.

Cancellation of the exercise functions is checked by running the call in a task,
cancelling it while its fetches run and awaiting it: ``CancelledError`` must come out
(not a value, not another error), and once the loop has gone idle at that same instant
no fetch it started may still be running, nor may one it started have been left to
finish rather than cancelled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from asynclings.harness import (
    FakeFetch,
    FetchCall,
    Reply,
    World,
    expect,
    expect_same,
    fail,
    seconds,
)
from asynclings.harness.probes import (
    cancel_during,
    cancelled_picture,
    expect_cancellation_obeyed,
    expect_each_url_once,
    expect_finished_at,
    expect_results_fetched,
)
from asynclings.rubric import item

# Finishing order (b, c, a) differs from input order (a, b, c) on purpose.
LATENCIES = {"a": 3.0, "b": 1.0, "c": 2.0}
URLS = list(LATENCIES)
CANCEL_AT = 0.5
"""When the cancellation items cancel the call: every fetch is still running then."""


@item(points=2)
async def test_results_in_url_order(learner, world):
    """fetch_all returns every result in the order of the urls, not the finishing order."""
    fetch = world.fetch(LATENCIES)
    run = await world.call(learner.fetch_all, URLS, fetch)
    expected = [fetch.results[url] for url in URLS]
    got = run.result
    if isinstance(got, list) and sorted(map(str, got)) == sorted(map(str, expected)):
        expect_same(
            got,
            expected,
            "fetch_all returned the right results in the wrong order: the list must "
            "follow the order of `urls` (gather keeps argument order; appending as "
            "fetches finish does not)",
        )
    expect_same(got, expected, "fetch_all did not return one result per url, in url order")
    expect_results_fetched(run, fetch, URLS)


@item(points=2)
async def test_fetches_run_concurrently(learner, world):
    """fetch_all runs the fetches concurrently: 3 s for fetches of 3, 1 and 2 s."""
    fetch = world.fetch(LATENCIES)
    run = await world.call(learner.fetch_all, URLS, fetch)
    run.result  # an exception here is the verdict
    expect_finished_at(run, 3.0, fetch)


@item(points=1)
async def test_each_url_fetched_once(learner, world):
    """Both functions call fetch(url) exactly once per url."""
    for function in (learner.fetch_all, learner.fetch_all_settled):
        fetch = world.fetch(LATENCIES)
        run = await world.call(function, URLS, fetch)
        run.result
        expect_each_url_once(run, fetch, URLS)


@item(points=1)
async def test_failure_propagates(learner, world):
    """When a fetch raises, fetch_all raises that same exception object."""
    fetch = world.fetch({"a": 1.0, "b": Reply(0.5, fail=True), "c": 2.0})
    run = await world.call(learner.fetch_all, ["a", "b", "c"], fetch)
    failure = fetch.calls_for("b")[0].error if fetch.calls_for("b") else None
    if run.error is None:
        fail(
            f"fetch_all returned {run.value!r} although fetch('b') raised: the failure must "
            "propagate (gather raises the first exception unless return_exceptions=True)"
        )
    if isinstance(run.error, BaseExceptionGroup):
        fail(
            "fetch_all raised an ExceptionGroup wrapping the fetch's error; the contract asks "
            "for the original exception itself (with a TaskGroup, catch the group and raise "
            "its first exception, or use asyncio.gather)"
        )
    expect(
        run.error is failure,
        f"fetch_all raised {type(run.error).__name__}: {run.error} instead of the fetch's own "
        "exception object: let it propagate unchanged (no wrapping, no new exception)",
    )


@item(points=1)
async def test_settled_keeps_failures_in_place(learner, world):
    """fetch_all_settled returns every result in url order, each failure's exception in its slot."""
    fetch = world.fetch(
        {"a": 3.0, "b": Reply(1.0, fail=True), "c": 2.0, "d": Reply(0.5, fail=True)}
    )
    urls = ["a", "b", "c", "d"]
    run = await world.call(learner.fetch_all_settled, urls, fetch)
    if run.error is not None:
        fail(
            f"fetch_all_settled raised {type(run.error).__name__}: {run.error}; it must never "
            "raise for a failed fetch but return the exception object in that fetch's slot "
            "(gather(..., return_exceptions=True))"
        )
    expected = [
        fetch.results[url] if url in ("a", "c") else fetch.calls_for(url)[0].error for url in urls
    ]
    expect_same(
        run.value,
        expected,
        "fetch_all_settled must return, in url order, each result or the exception object "
        "that fetch raised",
    )


@item(points=1)
async def test_settled_runs_concurrently(learner, world):
    """fetch_all_settled runs the fetches concurrently too, failures included."""
    fetch = world.fetch({"a": 3.0, "b": Reply(1.0, fail=True), "c": 2.0})
    run = await world.call(learner.fetch_all_settled, URLS, fetch)
    run.result
    expect_finished_at(run, 3.0, fetch)


@item(points=1)
async def test_empty_urls(learner, world):
    """An empty list of urls gives an empty list, at once, from both functions."""
    for function in (learner.fetch_all, learner.fetch_all_settled):
        fetch = world.fetch({})
        run = await world.call(function, [], fetch)
        expect_same(run.result, [], f"{run.name}([]) must return []")
        expect(run.duration == 0, f"{run.name}([]) took {run.duration} s; it must return at once")


@item(points=1)
async def test_cancellation_propagates(learner, world):
    """Cancelling either function propagates CancelledError and cancels the fetches it started."""
    fetch = world.fetch(LATENCIES)
    await _expect_cancellation_propagates(world, learner.fetch_all, URLS, fetch)
    fetch = world.fetch({"a": 3.0, "b": Reply(1.0, fail=True), "c": 2.0})
    await _expect_cancellation_propagates(world, learner.fetch_all_settled, URLS, fetch)


# Helpers ------------------------------------------------------------------------------


def _urls(calls: Sequence[FetchCall]) -> str:
    return ", ".join(repr(call.url) for call in calls)


async def _expect_cancellation_propagates(
    world: World, function: Callable[..., Any], urls: Sequence[str], fetch: FakeFetch
) -> None:
    """Cancel a call of ``function(urls, fetch)`` at t=CANCEL_AT: CancelledError comes out
    of it, the fetches running then were cancelled (not left to finish), and none is still
    running once the loop has gone idle at the instant the call finished."""
    run = await cancel_during(world, function, list(urls), fetch, at=CANCEL_AT)
    picture = cancelled_picture(run, fetch)
    expect_cancellation_obeyed(
        run,
        unfinished="before the fetches it was given had finished; it must wait for them",
        swallowed_details=picture,
        advice="the cancellation reaches only what the call was awaiting at that moment, "
        "never the other tasks it started (asyncio.as_completed and asyncio.wait do not "
        "cancel theirs either). asyncio.gather and a TaskGroup cancel their children for "
        "you; with tasks you created yourself, wrap the waiting in try/finally and in "
        "`finally:` cancel every task and await them (asyncio.gather(*tasks, "
        "return_exceptions=True))",
        details=picture,
    )
    finished = [call for call in run.running_at_cancel if call.outcome != "cancelled"]
    expect(
        not finished,
        f"{run.name} was cancelled at t={seconds(CANCEL_AT)} but let the fetches of "
        f"{_urls(finished)} run to their end, finishing only at t={seconds(run.ended)}: "
        "cancelling it must cancel the work it started, not wait for it. Cancel the tasks "
        "(task.cancel()) before awaiting them in `finally:`, or use asyncio.gather or a "
        "TaskGroup, which cancel their children",
        details=picture,
    )
