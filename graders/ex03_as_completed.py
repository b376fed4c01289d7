"""Grader for exercise 3: ``in_completion_order``, ``stream`` and ``first_successful``
with asyncio.as_completed.

Every scenario gives the fetches distinct finishing times, so the finishing order is
never a tie. ``first_successful`` is watched from inside: the fetches still running are
read the instant the learner's coroutine returns, before the loop gets another turn, so
``task.cancel()`` without awaiting the cancelled tasks is told apart from a real
cancellation.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from typing import Any, cast

from asynclings.harness import (
    FakeFetch,
    Reply,
    Run,
    Span,
    World,
    close,
    describe,
    expect,
    expect_same,
    fail,
    rebase,
    same,
    seconds,
    side_by_side,
    spans,
)
from asynclings.harness.probes import (
    cancel_during,
    expect_cancellation_obeyed,
    expect_each_url_once,
    expect_finished_at,
    expect_results_fetched,
)
from asynclings.harness.world import verdict_errors
from asynclings.rubric import item

# Finishing order (b, c, a) differs from input order (a, b, c) on purpose.
LATENCIES = {"a": 3.0, "b": 1.0, "c": 2.0}
URLS = list(LATENCIES)


# in_completion_order ------------------------------------------------------------------


@item(points=1)
async def test_pairs_in_finishing_order(learner, world):
    """in_completion_order returns (url, result) pairs in the order the fetches finished."""
    fetch = world.fetch(LATENCIES)
    run = await world.call(learner.in_completion_order, URLS, fetch)
    got = run.result
    expected = [(url, fetch.results[url]) for url in ("b", "c", "a")]
    problem = _pair_shape_problem(got)
    if problem is not None:
        fail(f"in_completion_order returned {describe(got)}: {problem}")
    reordered = (
        isinstance(got, list)
        and len(got) == len(expected)
        and all(any(same(g, e) for g in got) for e in expected)
    )
    if reordered:
        hint = (
            "that is the order of `urls`, so results were read in input order (as "
            "gather does); take them from asyncio.as_completed, which yields the fastest first"
            if _order(got) == _order([(url,) for url in URLS])
            else "take them in the order asyncio.as_completed hands them out"
        )
        expect_same(
            got,
            expected,
            f"in_completion_order returned the right pairs in the order {_order(got)}; the "
            f"fetches finished in the order b (1 s), c (2 s), a (3 s): {hint}",
        )
    expect_same(
        got,
        expected,
        "in_completion_order must return one (url, result) tuple per url, in the order the "
        "fetches finished",
    )
    expect_each_url_once(run, fetch, URLS)
    expect_results_fetched(run, fetch, URLS)


@item(points=1)
async def test_in_completion_order_concurrent(learner, world):
    """in_completion_order runs the fetches concurrently: 3 s for fetches of 3, 1 and 2 s."""
    fetch = world.fetch(LATENCIES)
    run = await world.call(learner.in_completion_order, URLS, fetch)
    run.result  # an exception here is the verdict
    expect_finished_at(
        run,
        3.0,
        fetch,
        sequential_hint="start every fetch first (asyncio.as_completed or create_task does), "
        "then wait for them",
    )


@item(points=1)
async def test_failures_propagate(learner, world):
    """A failing fetch's own exception propagates from in_completion_order and from stream."""
    fetch = world.fetch({"a": 1.0, "b": Reply(0.5, fail=True), "c": 2.0})
    run = await world.call(learner.in_completion_order, ["a", "b", "c"], fetch)
    failure = fetch.calls_for("b")[0].error if fetch.calls_for("b") else None
    _expect_the_failure("in_completion_order(...)", run.value, run.error, failure)

    fetch = world.fetch({"a": 2.0, "b": Reply(1.0, fail=True), "c": 0.5})
    agen = await _open_stream(learner, ["a", "b", "c"], fetch)
    pairs: object = None
    error: Exception | None = None
    try:
        pairs = [pair for _, pair in await _consume(agen, world)]
    except verdict_errors:
        raise
    except Exception as raised:
        error = raised
    failure = fetch.calls_for("b")[0].error if fetch.calls_for("b") else None
    _expect_the_failure("iterating over stream(...)", pairs, error, failure)


# stream -------------------------------------------------------------------------------


@item(points=2)
async def test_stream_yields_each_pair_when_its_fetch_finishes(learner, world):
    """stream is an async generator yielding each (url, result) the moment its fetch finishes."""
    fetch = world.fetch(LATENCIES)
    started = world.now
    agen = await _open_stream(learner, URLS, fetch)
    arrivals = await _consume(agen, world)
    pairs = [pair for _, pair in arrivals]
    expected = [(url, fetch.results[url]) for url in ("b", "c", "a")]
    problem = _pair_shape_problem(pairs)
    if problem is not None:
        fail(f"stream yielded {describe(pairs)}: {problem}")
    expect_same(
        pairs,
        expected,
        f"stream yielded the pairs of {_order(pairs) or 'nothing'}; it must yield one "
        "(url, result) tuple per url, in the order the fetches finished: b (1 s), c (2 s), "
        "a (3 s)",
    )
    expect_each_url_once(Run("stream", started, world.now), fetch, URLS)
    timed = cast(list[tuple[float, tuple[str, object]]], arrivals)  # checked just above
    when = {url: moment - started for moment, (url, _) in timed}
    finished = {call.url: call.ended - started for call in fetch.calls if call.ended is not None}
    details = "\n".join(
        f"({url!r}, ...) yielded at t={seconds(when[url])}; its fetch finished at "
        f"t={seconds(finished[url])} (expected: {seconds(LATENCIES[url])})"
        for url in ("b", "c", "a")
    )
    details += "\n\n" + _picture(fetch, started, _expected_spans())
    if not close(when["b"], finished["b"]):
        fail(
            f"stream yielded its first pair at t={seconds(when['b'])}, but the fastest fetch "
            f"(b) had finished at t={seconds(finished['b'])}: each pair must be yielded as "
            "soon as its fetch finishes, not after collecting the others (no gather, no "
            "list built first: `yield` inside the as_completed loop)",
            details=details,
        )
    late = [url for url in ("c", "a") if not close(when[url], finished[url])]
    if late:
        fail(
            f"stream yielded the pair of {late[0]!r} at t={seconds(when[late[0]])}, after its "
            f"fetch had finished at t={seconds(finished[late[0]])}: yield each pair as soon "
            "as its fetch finishes",
            details=details,
        )
    off = [url for url in URLS if not close(finished[url], LATENCIES[url])]
    expect(
        not off,
        "stream yielded each pair when its fetch finished, but the fetches finished at "
        f"{', '.join(f'{u}: {seconds(finished[u])}' for u in URLS)} instead of a: 3 s, b: 1 s, "
        "c: 2 s: start every fetch at once so that they run concurrently",
        details=details,
    )


@item(points=1)
async def test_stream_close_cancels_running_fetches(learner, world):
    """Closing stream early (agen.aclose()) cancels the fetches still running before it returns."""
    replies = {"a": 3.0, "b": 1.0, "c": 2.0, "d": 10.0}
    fetch = world.fetch(replies)
    started = world.now
    agen = await _open_stream(learner, list(replies), fetch)
    try:
        first = await anext(agen)
    except StopAsyncIteration:
        fail("stream ended without yielding anything for four urls")
    expect(
        _is_a_success(first, fetch),
        f"stream's first item was {describe(first)}, not the (url, result) tuple of a fetch "
        "that had finished, so closing it early cannot be judged",
    )
    if not hasattr(agen, "aclose"):
        fail(
            f"the object stream returned ({describe(agen)}) has no aclose(): write stream as "
            "an async generator (`async def` with `yield`)"
        )
    closed_at = world.now
    try:
        await agen.aclose()
    except verdict_errors:
        raise
    except BaseExceptionGroup as group:
        fail(
            f"agen.aclose() raised {type(group).__name__}: {describe(group)} instead of "
            "returning: aclose() throws GeneratorExit in at the paused `yield`, and a "
            "TaskGroup (or anything else) that wraps it in a group breaks the close. Do not "
            "`yield` inside `async with asyncio.TaskGroup()`: keep the tasks yourself and "
            "cancel them in `finally:`"
        )
    except Exception as error:
        fail(
            f"agen.aclose() raised {type(error).__name__}: {describe(error)} instead of "
            "returning. In `finally:` an async generator may await (to cancel its tasks and "
            "wait for them) but must not yield again or raise"
        )
    running = [call.url for call in fetch.running()]
    took = world.now - closed_at
    if running:
        await world.idle()
        afterwards = [call.url for call in fetch.running()]
        cause = (
            "they saw the cancellation only after aclose() returned: task.cancel() only "
            "asks; await the cancelled tasks (asyncio.gather(*tasks, return_exceptions="
            "True)) before leaving `finally:`"
            if not afterwards
            else "nothing cancelled them: put the clean-up in a `finally:` around the loop "
            "(aclose() raises GeneratorExit at the paused `yield`), cancel the tasks there "
            "and await them"
        )
        fail(
            f"after taking {describe(first)} the consumer closed the stream at "
            f"t={seconds(closed_at)}; when aclose() returned the fetches of "
            f"{describe(running)} were still running: {cause}",
            details=_picture(fetch, started, []),
        )
    expect(
        close(took, 0.0),
        f"aclose() took {seconds(took)} of simulated time: cancelling must not wait for the "
        "fetches to finish on their own",
        details=_picture(fetch, started, []),
    )


# first_successful ---------------------------------------------------------------------


@item(points=1)
async def test_first_successful_returns_first_success(learner, world):
    """first_successful returns the first fetch to succeed, at that moment, skipping failures."""
    replies = {"a": 3.0, "b": Reply(1.0, fail=True), "c": 2.0, "d": Reply(0.5, fail=True)}
    fetch = world.fetch(replies)
    run = await world.call(learner.first_successful, list(replies), fetch)
    if run.error is not None and any(run.error is call.error for call in fetch.calls):
        fail(
            f"first_successful raised {type(run.error).__name__}: {describe(run.error)}, "
            "the error of a fetch that failed early; a failure must be skipped (remember "
            "it for AllFailed) and the next fetch to finish waited for: 'c' succeeded at 2 s"
        )
    got = run.result
    expected = ("c", fetch.results["c"])
    if isinstance(got, tuple) and got and isinstance(got[0], str) and got[0] == "a":
        fail(
            f"first_successful returned {describe(got)}, the first url to succeed in list "
            "order; it must return the first to succeed in time: 'c' at 2 s (the fetches "
            "must run concurrently, taken in finishing order)",
            details=_picture(fetch, run.started, _first_success_spans()),
        )
    expect_same(
        got,
        expected,
        "first_successful must return the (url, result) tuple of the first fetch to "
        "succeed ('c' at 2 s; 'd' and 'b' failed before it)",
    )
    expect_each_url_once(run, fetch, list(replies))
    expect(
        close(run.duration, 2.0),
        f"first_successful returned the right pair at t={seconds(run.duration)}; it must "
        "return as soon as the first fetch succeeds ('c' at 2 s), not wait for the others "
        "to finish (return from inside the as_completed loop)",
        details=_picture(fetch, run.started, _first_success_spans()),
    )


@item(points=1)
async def test_first_successful_cancels_the_rest(learner, world):
    """first_successful cancels the rest, and they finish cancelling, before it returns."""
    replies = {"a": 2.0, "b": 1.0, "c": 5.0, "d": 3.0}
    fetch = world.fetch(replies)
    run = await world.call(learner.first_successful, list(replies), fetch)
    got = run.result  # an exception here is the verdict
    expect(
        _is_a_success(got, fetch),
        f"first_successful returned {describe(got)}, not the (url, result) tuple of a fetch "
        "that succeeded, so whether it cancels the rest cannot be judged",
    )
    running_at_return = [call.url for call in run.running_at_return]
    if not running_at_return:
        return
    still_running = [call.url for call in fetch.running()]
    cause = (
        "they were cancelled, but saw it only after first_successful had returned: "
        "task.cancel() only asks; await the cancelled tasks (asyncio.gather(*rest, "
        "return_exceptions=True)) before returning"
        if not still_running
        else "nothing cancelled them: cancel every task still running (task.cancel()) "
        "and await them before returning"
    )
    fail(
        f"first_successful returned at t={seconds(run.duration)} while the fetches of "
        f"{describe(running_at_return)} were still running: {cause}",
        details=_picture(
            fetch,
            run.started,
            [
                Span("a", 0.0, 1.0, "cancelled"),
                Span("b", 0.0, 1.0),
                Span("c", 0.0, 1.0, "cancelled"),
                Span("d", 0.0, 1.0, "cancelled"),
            ],
        ),
    )


@item(points=1)
async def test_all_failed_lists_errors_in_order(learner, world):
    """If all fetches fail (or no urls), first_successful raises AllFailed, errors in order."""
    all_failed = learner.AllFailed
    expect(
        isinstance(all_failed, type) and issubclass(all_failed, Exception),
        f"AllFailed must be an exception class (a subclass of Exception); it is "
        f"{describe(all_failed)}",
    )
    replies = {"a": Reply(3.0, fail=True), "b": Reply(1.0, fail=True), "c": Reply(2.0, fail=True)}
    fetch = world.fetch(replies)
    run = await world.call(learner.first_successful, list(replies), fetch)
    errors = {url: fetch.calls_for(url)[0].error for url in replies if fetch.calls_for(url)}
    expected = [errors.get(url) for url in ("b", "c", "a")]
    _expect_all_failed(run, all_failed, expected, "every fetch failed")
    got = list(run.error.errors)
    if len(got) == 3 and all(any(e is x for x in expected) for e in got):
        in_input_order = all(e is errors.get(url) for e, url in zip(got, replies, strict=True))
        expect(
            all(e is x for e, x in zip(got, expected, strict=True)),
            "AllFailed.errors holds the right exceptions but in "
            + ("the order of `urls`" if in_input_order else "another order")
            + "; they must be in the order they happened: b (1 s), c (2 s), a (3 s). Append "
            "each failure as the as_completed loop meets it",
        )
    expect(
        len(got) == 3 and all(e is x for e, x in zip(got, expected, strict=True)),
        f"AllFailed.errors is {describe(got)}; it must hold the three exception objects the "
        "fetches raised (the objects themselves), in the order they happened",
    )

    fetch = world.fetch({})
    run = await world.call(learner.first_successful, [], fetch)
    _expect_all_failed(run, all_failed, [], "there were no urls")
    expect(
        len(run.error.errors) == 0,
        f"first_successful([]) raised AllFailed with errors {describe(run.error.errors)}; "
        "with no urls nothing failed, so .errors must be empty",
    )


# Cancellation of the exercise functions -----------------------------------------------


@item(points=1)
async def test_cancellation_propagates(learner, world):
    """Cancelling in_completion_order or first_successful propagates and leaves no fetch running."""
    fetch = world.fetch({"a": 1.0, "b": 3.0, "c": 5.0})
    await _cancel_midway(world, learner.in_completion_order, fetch, at=2.0)
    fetch = world.fetch({"a": 3.0, "b": 4.0, "c": 5.0})
    await _cancel_midway(world, learner.first_successful, fetch, at=2.0)


# Helpers ------------------------------------------------------------------------------


def _picture(fetch: FakeFetch, started: float, expected: Sequence[Span]) -> str:
    """The learner's fetch timeline beside the expected one."""
    return side_by_side(rebase(spans(fetch.calls), started), expected)


def _order(pairs: object) -> str:
    """``b, c, a`` for a list of pairs (whatever their shape), for messages."""
    if not isinstance(pairs, list | tuple):
        return describe(pairs)
    return ", ".join(
        str(pair[0]) if isinstance(pair, list | tuple) and pair else describe(pair)
        for pair in pairs
    )


def _pair_shape_problem(pairs: object) -> str | None:
    """A message if ``pairs`` holds something other than ``(url, result)`` tuples."""
    for pair in pairs if isinstance(pairs, list | tuple) else ():
        if isinstance(pair, list) and len(pair) == 2:
            return (
                f"the pairs are lists such as {describe(pair)}; each must be a tuple "
                "`(url, result)`"
            )
        if not isinstance(pair, tuple) or len(pair) != 2:
            return (
                f"{describe(pair)} is not a `(url, result)` pair: each item must be a "
                "tuple of the url and what fetch(url) returned"
            )
    return None


def _is_a_success(value: object, fetch: FakeFetch) -> bool:
    """``value`` is the ``(url, result)`` pair (tuple or list) of a fetch that returned."""
    return isinstance(value, tuple | list) and any(
        call.outcome == "returned" and same(tuple(value), (call.url, call.result))
        for call in fetch.calls
    )


async def _open_stream(learner: Any, urls: Sequence[str], fetch: FakeFetch) -> AsyncIterator[Any]:
    """Call ``learner.stream(urls, fetch)`` and check it gave an async iterator."""
    made = learner.stream(urls, fetch)
    if isinstance(made, AsyncIterator):
        return made
    if isinstance(made, AsyncIterable):
        return aiter(made)
    what = describe(made)
    if inspect.isawaitable(made):
        # Run it, so that an unchanged body still reads "not implemented yet".
        try:
            what = f"a coroutine (awaiting it gave {describe(await made)})"
        except verdict_errors:
            raise
        except Exception as error:
            what = f"a coroutine (awaiting it raised {type(error).__name__})"
        fail(
            f"stream(...) returned {what} instead of an async generator: `stream` must "
            "have `yield (url, result)` in its body, so that callers can write `async for "
            "url, result in stream(urls, fetch)` and get each pair as soon as it is ready "
            "(an `async def` without `yield` is a plain coroutine)"
        )
    fail(
        f"stream(...) returned {what} instead of an async generator: declare it with "
        "`async def stream(...)` and `yield (url, result)` in its body, so that callers "
        "can write `async for url, result in stream(urls, fetch)`"
    )


async def _consume(agen: AsyncIterator[Any], world: World) -> list[tuple[float, object]]:
    """Every item of ``agen`` with the simulated time it arrived."""
    arrivals: list[tuple[float, object]] = []
    async for pair in agen:
        arrivals.append((world.now, pair))
    return arrivals


async def _cancel_midway(
    world: World, function: Callable[..., Any], fetch: FakeFetch, at: float
) -> None:
    """Start ``function(fetch.urls, fetch)`` in a task, cancel it ``at`` seconds later,
    and check the cancellation propagated and left no fetch running."""
    run = await cancel_during(world, function, fetch.urls, fetch, at=at)
    expect_cancellation_obeyed(
        run,
        unfinished="before the fetches it was given had finished",
        advice="asyncio.as_completed does not cancel its work when you stop waiting: keep "
        "the tasks, and in `finally:` cancel them and await them (asyncio.gather(*tasks, "
        "return_exceptions=True))",
        details=_picture(fetch, run.started, []),
    )


def _expect_the_failure(
    what: str, value: object, error: Exception | None, failure: BaseException | None
) -> None:
    if error is None:
        fail(
            f"{what} gave {describe(value)} although fetch('b') raised: the fetch's "
            "exception must propagate, not be skipped or stored as a result"
        )
    if isinstance(error, BaseExceptionGroup):
        fail(
            f"{what} raised an ExceptionGroup wrapping the fetch's error; the contract asks "
            "for the original exception itself (with a TaskGroup, catch the group and raise "
            "its first exception)"
        )
    expect(
        error is failure,
        f"{what} raised {type(error).__name__}: {describe(error)} instead of the exception "
        "object fetch('b') raised: let it propagate unchanged (no wrapping, no new exception)",
    )


def _expected_spans() -> list[Span]:
    return [Span(url, 0.0, LATENCIES[url]) for url in URLS]


def _first_success_spans() -> list[Span]:
    return [
        Span("a", 0.0, 2.0, "cancelled"),
        Span("b", 0.0, 1.0, "raised"),
        Span("c", 0.0, 2.0),
        Span("d", 0.0, 0.5, "raised"),
    ]


def _expect_all_failed(run: Run, all_failed: type, expected: list[Any], situation: str) -> None:
    call = "first_successful([])" if not expected else "first_successful"
    if run.error is None:
        fail(f"{call} returned {describe(run.value)} although {situation}: it must raise AllFailed")
    if not isinstance(run.error, all_failed):
        error = run.error
        if isinstance(error, BaseExceptionGroup):
            what = "an ExceptionGroup"
            advice = "catch each failure yourself and raise AllFailed(errors) with all of them"
        elif any(error is e for e in expected):
            what = f"the error of fetch({getattr(error, 'url', '?')!r})"
            advice = (
                "instead of re-raising one fetch's error, collect every failure as it "
                "happens and raise AllFailed(errors)"
            )
        else:
            what = f"{type(error).__name__}: {describe(error)}"
            advice = "raise AllFailed(errors), with .errors holding every failure"
        fail(f"{call} raised {what} although {situation}: {advice}")
    errors = getattr(run.error, "errors", None)
    expect(
        isinstance(errors, list | tuple),
        f"{call} raised AllFailed whose .errors is {describe(errors)}; it must be the list of "
        "the failures",
    )
