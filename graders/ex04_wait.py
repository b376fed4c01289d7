"""Grader for exercise 4: ``fetch_before_deadline`` and ``race`` with asyncio.wait.

Every scenario uses distinct finishing times, none equal to a deadline, so "first to
finish" and "still running at the deadline" are never a matter of tie-breaking.
"Cancelled before returning" is judged at the very instant the call returns or raises
(before the loop gets another turn): a fetch that was merely asked to cancel is still
running then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from asynclings.harness import (
    FakeFetch,
    FetchCall,
    Reply,
    Run,
    Span,
    World,
    close,
    describe,
    expect,
    expect_same,
    fail,
    seconds,
    side_by_side,
    spans,
)
from asynclings.harness.probes import (
    cancel_during,
    cancelled_picture,
    expect_cancellation_obeyed,
    expect_each_url_once,
)
from asynclings.rubric import item

TIMEOUT = 2.0
# Outcomes of every kind around the deadline: a success and a failure before it, two
# fetches still running at it (one of them would finish soon after).
MIXED = {"a": 1.0, "b": Reply(0.5, fail=True), "c": 2.5, "d": 6.0}
# Something still running at the deadline.
SLOW = {"a": 1.0, "b": 2.5, "c": 6.0}
# Everything finished (the last one failing) long before a deadline of 5 s.
QUICK = {"a": 1.0, "b": Reply(1.5, fail=True), "c": 0.5}
QUICK_TIMEOUT = 5.0
# Finishing order (b, c, a) differs from the order of the urls on purpose.
RACE = {"a": 3.0, "b": 1.0, "c": 2.0}
RACE_LOST = {"a": 3.0, "b": Reply(1.0, fail=True), "c": 2.0}
CANCEL_AT = 0.5


# fetch_before_deadline ----------------------------------------------------------------


@item(points=1)
async def test_deadline_sorts_outcomes(learner, world):
    """fetch_before_deadline puts successes in done, failures in failed, the rest in timed_out."""
    fetch = world.fetch(MIXED)
    urls = list(MIXED)
    run = await observe(world, learner.fetch_before_deadline, urls, fetch, TIMEOUT)
    got = run.result
    expect_each_url_once(run, fetch, urls)
    expect(
        isinstance(got, learner.DeadlineResult),
        f"fetch_before_deadline returned {describe(got)}; it must return a DeadlineResult "
        "(the dataclass defined in the exercise file)",
    )
    fields = {"done": dict, "failed": dict, "timed_out": set}
    for field, kind in fields.items():
        value = getattr(got, field, None)
        expect(
            type(value) is kind,
            f"DeadlineResult.{field} must be a {kind.__name__}; got {describe(value)} "
            f"({type(value).__name__})",
        )
    expected_field = {"a": "done", "b": "failed", "c": "timed_out", "d": "timed_out"}
    what = {
        "a": "returns after 1 s, before the deadline",
        "b": "raises after 0.5 s, before the deadline",
        "c": "is still running at the deadline (it needs 2.5 s)",
        "d": "is still running at the deadline (it needs 6 s)",
    }
    for url in urls:
        found = [field for field in fields if url in getattr(got, field)]
        expected = expected_field[url]
        if found != [expected]:
            where = " and ".join(found) if found else "none of done, failed and timed_out"
            fail(
                f"with timeout={seconds(TIMEOUT)}, fetch({url!r}) {what[url]}, so {url!r} "
                f"belongs in {expected} only; your result lists it in {where}",
                details=picture(run, fetch, deadline_spans(fetch, TIMEOUT)),
            )
    extra = sorted(
        str(key) for field in fields for key in getattr(got, field) if key not in expected_field
    )
    expect(not extra, f"your result lists urls that were never asked for: {describe(extra)}")
    expect_same(
        got.done,
        {"a": fetch.results["a"]},
        "done must map each url whose fetch returned to the value it returned",
    )
    error = fetch.calls_for("b")[0].error
    expect(
        got.failed["b"] is error,
        f"failed['b'] is {describe(got.failed['b'])} ({type(got.failed['b']).__name__}); it "
        f"must be the exception object fetch('b') raised, {describe(error)}: use "
        "task.exception(), not a message or a new exception",
    )


@item(points=1)
async def test_deadline_returns_at_the_deadline(learner, world):
    """fetch_before_deadline returns at the deadline, not later, when fetches are still running."""
    fetch = world.fetch(SLOW)
    run = await observe(world, learner.fetch_before_deadline, list(SLOW), fetch, TIMEOUT)
    run.result  # an exception here is the verdict
    if close(run.duration, TIMEOUT):
        return
    if run.duration > TIMEOUT:
        why = (
            "after the deadline: it must stop waiting at the deadline, even though 'b' and "
            "'c' are still running then (asyncio.wait(tasks, timeout=...) returns at the "
            "deadline; a separate timeout per fetch restarts the clock for each)"
        )
    else:
        why = "before the deadline, while 'b' and 'c' were still running and could finish"
    fail(
        f"with timeout={seconds(TIMEOUT)}, fetch_before_deadline returned at "
        f"t={seconds(run.duration)}, {why}",
        details=picture(run, fetch, deadline_spans(fetch, TIMEOUT)),
    )


@item(points=1)
async def test_deadline_returns_early(learner, world):
    """fetch_before_deadline returns as soon as every fetch has finished, before the deadline."""
    fetch = world.fetch(QUICK)
    run = await observe(world, learner.fetch_before_deadline, list(QUICK), fetch, QUICK_TIMEOUT)
    run.result
    last = max(fetch.reply_for(url, 0).after for url in QUICK)
    if close(run.duration, last):
        return
    if close(run.duration, QUICK_TIMEOUT):
        why = (
            "it waited out the whole timeout although every fetch had finished: return as "
            "soon as all are done (asyncio.wait with a timeout does exactly that; sleeping "
            "for the timeout does not)"
        )
    elif run.duration > last:
        why = f"it kept waiting after the last fetch had finished at t={seconds(last)}"
    else:
        why = f"it returned before every fetch had finished (the last ends at t={seconds(last)})"
    fail(
        f"with timeout={seconds(QUICK_TIMEOUT)} and fetches of 1, 1.5 and 0.5 s, "
        f"fetch_before_deadline took {seconds(run.duration)}; expected {seconds(last)}: {why}",
        details=picture(run, fetch, deadline_spans(fetch, QUICK_TIMEOUT)),
    )


@item(points=2)
async def test_deadline_cancels_before_returning(learner, world):
    """The fetches still running at the deadline have finished cancelling when it returns."""
    fetch = world.fetch(SLOW)
    run = await observe(world, learner.fetch_before_deadline, list(SLOW), fetch, TIMEOUT)
    run.result
    expect_cancelled_at_return(
        run,
        fetch,
        ["b", "c"],
        moment=f"at the deadline (t={seconds(TIMEOUT)})",
        expected=deadline_spans(fetch, TIMEOUT),
    )


@item(points=1)
async def test_empty_urls(learner, world):
    """Empty urls: fetch_before_deadline returns an empty result at once, race raises ValueError."""
    fetch = world.fetch({})
    run = await observe(world, learner.fetch_before_deadline, [], fetch, QUICK_TIMEOUT)
    if isinstance(run.error, ValueError) and "is empty" in str(run.error):
        fail(
            f"fetch_before_deadline([], ...) raised ValueError: {run.error} With no urls it "
            "must return an empty DeadlineResult at once: asyncio.wait() refuses an empty "
            "collection, so check for that case before calling it"
        )
    got = run.result
    expect(
        isinstance(got, learner.DeadlineResult),
        f"fetch_before_deadline([], ...) returned {describe(got)}; it must return a DeadlineResult",
    )
    for field, empty in (("done", {}), ("failed", {}), ("timed_out", set())):
        expect_same(
            getattr(got, field, None),
            empty,
            f"fetch_before_deadline([], ...) must return a DeadlineResult whose {field} is "
            f"an empty {type(empty).__name__}",
        )
    expect(
        run.duration == 0,
        f"fetch_before_deadline([], ...) took {seconds(run.duration)}; with nothing to fetch "
        "it must return at once, not wait out the timeout",
    )
    fetch = world.fetch({})
    run = await observe(world, learner.race, [], fetch)
    if run.error is None:
        fail(f"race([], ...) returned {describe(run.value)}; it must raise ValueError")
    expect(
        isinstance(run.error, ValueError),
        f"race([], ...) raised {type(run.error).__name__}: {run.error}; it must raise "
        "ValueError (check for an empty list first)",
    )


# race ---------------------------------------------------------------------------------


@item(points=1)
async def test_race_returns_first_to_finish(learner, world):
    """race returns (url, result) of the first fetch to finish, as soon as it finishes."""
    fetch = world.fetch(RACE)
    urls = list(RACE)
    run = await observe(world, learner.race, urls, fetch)
    got = run.result
    expect_each_url_once(run, fetch, urls)
    winner, when = finished_first(fetch)
    expect_same(
        got,
        (winner, fetch.results[winner]),
        f"race must return the tuple (url, result) of the fetch that finished first: "
        f"fetch({winner!r}) after {seconds(when)}",
    )
    expect(
        close(run.duration, when),
        f"race returned after {seconds(run.duration)}; the first fetch finished after "
        f"{seconds(when)}, so it must return then (asyncio.wait with "
        "return_when=asyncio.FIRST_COMPLETED)",
        details=picture(run, fetch, deadline_spans(fetch, when)),
    )
    fetch = world.fetch({"only": 0.5})
    run = await observe(world, learner.race, ["only"], fetch)
    expect_same(
        run.result,
        ("only", fetch.results["only"]),
        "race(['only'], ...) must return ('only', result): with a single url, that fetch "
        "is the first to finish",
    )


@item(points=1)
async def test_race_cancels_the_others(learner, world):
    """race cancels every other fetch, and waits until they stopped, before returning or raising."""
    for replies in (RACE, RACE_LOST):
        fetch = world.fetch(replies)
        urls = list(replies)
        run = await observe(world, learner.race, urls, fetch)
        winner, when = finished_first(fetch)
        if replies is RACE:
            run.result  # an exception here is the verdict
        expect_cancelled_at_return(
            run,
            fetch,
            [url for url in urls if url != winner],
            moment=f"when fetch({winner!r}) finished first (t={seconds(when)})",
            expected=deadline_spans(fetch, when),
        )


@item(points=1)
async def test_race_reraises_the_winners_error(learner, world):
    """When the first fetch to finish raised, race raises that same exception object, then."""
    fetch = world.fetch(RACE_LOST)
    run = await observe(world, learner.race, list(RACE_LOST), fetch)
    winner, when = finished_first(fetch)
    error = fetch.calls_for(winner)[0].error
    if run.error is None:
        fail(
            f"race returned {describe(run.value)} although the first fetch to finish, "
            f"fetch({winner!r}), raised {describe(error)}: it must re-raise that exception "
            "(task.result() raises it; do not skip failures or return the exception)"
        )
    if isinstance(run.error, BaseExceptionGroup):
        fail(
            "race raised an ExceptionGroup wrapping the fetch's error; it must re-raise the "
            f"exception fetch({winner!r}) raised, itself, not wrapped"
        )
    expect(
        run.error is error,
        f"race raised {type(run.error).__name__}: {run.error} instead of the exception "
        f"object fetch({winner!r}) raised: re-raise it unchanged (no wrapping, no new "
        "exception)",
    )
    expect(
        close(run.duration, when),
        f"race raised after {seconds(run.duration)}; fetch({winner!r}) failed after "
        f"{seconds(when)}, so the error must come out then",
        details=picture(run, fetch, deadline_spans(fetch, when)),
    )


# Both ---------------------------------------------------------------------------------


@item(points=1)
async def test_cancellation_propagates(learner, world):
    """Cancelling either function propagates CancelledError and cancels the fetches it started."""
    fetch = world.fetch(SLOW)
    await expect_cancellation_propagates(
        world, learner.fetch_before_deadline, list(SLOW), fetch, TIMEOUT
    )
    fetch = world.fetch(RACE)
    await expect_cancellation_propagates(world, learner.race, list(RACE), fetch)


# Helpers ------------------------------------------------------------------------------


async def observe(
    world, function: Callable[..., Any], urls: list[str], fetch: FakeFetch, *args: Any
):
    """``world.call(function, urls, fetch, *args)``, explaining a CancelledError the call
    raised by itself or an empty asyncio.wait()."""
    try:
        run = await world.call(function, urls, fetch, *args)
    except asyncio.CancelledError:
        # Nobody cancelled the call: the learner's code raised it itself.
        name = getattr(function, "__name__", describe(function))
        fail(
            f"{name} raised CancelledError although nobody cancelled it: "
            "awaiting a task you cancelled raises CancelledError; wait for cancelled tasks "
            "with asyncio.gather(*tasks, return_exceptions=True) (or catch CancelledError "
            "around each of them) before returning"
        )
    if urls and isinstance(run.error, ValueError) and "is empty" in str(run.error):
        fail(
            f"{run.name} raised ValueError: {run.error} asyncio.wait() refuses an empty "
            "collection; do not call it when there is nothing left to wait for (e.g. no "
            "pending task once everything has finished)"
        )
    return run


def _urls(calls: Iterable[FetchCall]) -> str:
    return ", ".join(repr(call.url) for call in calls)


def picture(
    run: Run,
    fetch: FakeFetch,
    expected: Sequence[Span],
    *,
    running_at_return: Sequence[FetchCall] = (),
) -> str:
    """The learner's fetch timeline beside the expected one, in seconds since the call.
    Calls in ``running_at_return`` are drawn as still running (as they were then)."""
    yours = []
    for call, span in zip(fetch.calls, spans(fetch.calls), strict=True):
        running = any(call is other for other in running_at_return)
        end = None if running or span.end is None else span.end - run.started
        yours.append(Span(span.label, span.start - run.started, end, span.outcome))
    return side_by_side(yours, expected)


def deadline_spans(fetch: FakeFetch, deadline: float) -> list[Span]:
    """Every fetch started at 0; those still running at ``deadline`` cancelled then."""
    rows = []
    for url in fetch.urls:
        reply = fetch.reply_for(url, 0)
        if reply.after <= deadline:
            rows.append(Span(url, 0.0, reply.after, "raised" if reply.fail else "returned"))
        else:
            rows.append(Span(url, 0.0, deadline, "cancelled"))
    return rows


def finished_first(fetch: FakeFetch) -> tuple[str, float]:
    """The url that finishes first, and when."""
    url = min(fetch.urls, key=lambda u: fetch.reply_for(u, 0).after)
    return url, fetch.reply_for(url, 0).after


def expect_cancelled_at_return(
    run: Run,
    fetch: FakeFetch,
    must_cancel: Sequence[str],
    *,
    moment: str,
    expected: Sequence[Span],
) -> None:
    """No fetch was running the instant the call returned or raised, and each url in
    ``must_cancel`` was cancelled rather than left to finish."""
    running_at_return = [c for c in run.running_at_return if any(c is d for d in fetch.calls)]
    verb = "raised" if run.error is not None else "returned"
    details = picture(run, fetch, expected, running_at_return=running_at_return)
    if running_at_return:
        still = [call for call in running_at_return if call.outcome == "running"]
        if still:
            fail(
                f"{run.name} {verb} at t={seconds(run.ended)} and left the fetches of "
                f"{_urls(still)} running: asyncio.wait() never cancels anything; cancel "
                "each pending task and await it (e.g. asyncio.gather(*pending, "
                "return_exceptions=True)) before returning",
                details=details,
            )
        fail(
            f"{run.name} {verb} at t={seconds(run.ended)} while the fetches of "
            f"{_urls(running_at_return)} were still running: it called task.cancel() but did "
            "not wait for them to finish cancelling; cancel() only asks, so await the "
            "cancelled tasks (asyncio.gather(*tasks, return_exceptions=True)) before "
            f"{'raising' if verb == 'raised' else 'returning'}",
            details=details,
        )
    not_cancelled = [
        call for url in must_cancel for call in fetch.calls_for(url) if call.outcome != "cancelled"
    ]
    expect(
        not not_cancelled,
        f"the fetches of {_urls(not_cancelled)} were still running {moment} but were not "
        f"cancelled: {run.name} waited for them to finish instead of cancelling them then",
        details=details,
    )


async def expect_cancellation_propagates(
    world: World, function: Callable[..., Any], urls: list[str], fetch: FakeFetch, *args: Any
) -> None:
    """Cancel a call of ``function(urls, fetch, *args)`` at t=CANCEL_AT: CancelledError
    comes out of it, and no fetch it started still runs once the loop goes idle then."""
    run = await cancel_during(world, function, urls, fetch, *args, at=CANCEL_AT)
    expect_cancellation_obeyed(
        run,
        unfinished="before any fetch finished; it must wait for them",
        advice="asyncio.wait() does not cancel its tasks when the waiter is cancelled; "
        "cancel them in a `finally:` (or `except CancelledError:` that re-raises) around "
        "the wait",
        details=cancelled_picture(run, fetch, urls),
    )
