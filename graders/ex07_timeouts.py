"""Grader for exercise 7: ``fetch_with_timeout`` and ``fetch_with_retries``.

Every time is checked exactly in simulated seconds: the timeout fires at ``timeout``,
attempt ``i + 1`` starts ``backoff * 2**i`` after attempt ``i`` ended, the last error is
raised the instant the last attempt ends. Schedule failures show the learner's attempts
beside the expected ones. "Returns the first success at once" is judged on the learner's
own timeline (whenever its successful attempt ended), and the defaults by comparing a
call without them to one that passes 3, 1.0 and 0.5 explicitly: a wrong schedule is
charged to the schedule items only. Cancellation is checked by running the call in a
task and cancelling it during an attempt and during a backoff wait: it must finish at
that same instant with ``CancelledError``, its fetch cancelled, and no attempt may
follow (the classic mistake, catching ``BaseException`` or a bare ``except:`` in the
retry loop, is named in the message, with the learner's own line when it can be found).
"""

from __future__ import annotations

import asyncio
from typing import Any

from asynclings.harness import (
    FakeFetch,
    Reply,
    Run,
    Span,
    World,
    close,
    describe,
    expect,
    expect_awaitable,
    expect_callable,
    fail,
    moment,
    same,
    seconds,
    side_by_side,
    spans,
    timeline,
)
from asynclings.harness.handlers import quote_handlers, swallowing_handlers
from asynclings.harness.world import verdict_errors
from asynclings.rubric import item

URL = "api"
DEFAULTS = {"attempts": 3, "timeout": 1.0, "backoff": 0.5}
# A first attempt that hangs (cut at the timeout), then failures at once (the attempts
# and the waits between them): every default shows in the timeline.
DEFAULTS_REPLIES = [Reply(30.0), Reply(0.0, fail=True)]


# fetch_with_timeout -------------------------------------------------------------------


@item(points=1)
async def test_timeout_returns_result_or_error(learner, world):
    """fetch_with_timeout returns a fast fetch's result at once and lets its own error through."""
    fetch = world.fetch({URL: 0.4})
    run = await _call(world, learner, "fetch_with_timeout", URL, fetch, 1.0)
    details = _picture(run, fetch, [Span(URL, 0.0, 0.4)])
    if isinstance(run.error, TimeoutError):
        fail(
            f"fetch_with_timeout(timeout=1) raised TimeoutError after {seconds(run.duration)} "
            "although the fetch answered after 0.4 s, within the timeout",
            details=details,
        )
    got = run.result
    expect(
        same(got, fetch.results[URL]),
        f"fetch_with_timeout returned {describe(got)}; it must return what the fetch "
        f"returned, {describe(fetch.results[URL])}",
    )
    expect(
        close(run.duration, 0.4),
        f"fetch_with_timeout(timeout=1) returned after {seconds(run.duration)}; the fetch "
        "answered after 0.4 s, so it must return then, not wait out the timeout",
        details=details,
    )

    fetch = world.fetch({URL: Reply(0.3, fail=True)})
    run = await _call(world, learner, "fetch_with_timeout", URL, fetch, 1.0)
    error = fetch.calls[0].error if fetch.calls else None
    if run.error is None:
        fail(
            f"fetch_with_timeout returned {describe(run.value)} although the fetch raised "
            f"{type(error).__name__}: let the fetch's error propagate"
        )
    if run.error is not error:
        if isinstance(run.error, TimeoutError):
            fail(
                "fetch_with_timeout turned the fetch's own FetchError into TimeoutError: "
                "TimeoutError means the time ran out; any other error of the fetch must "
                "propagate unchanged (do not catch it)"
            )
        if isinstance(run.error, BaseExceptionGroup):
            fail(
                "fetch_with_timeout raised an ExceptionGroup wrapping the fetch's error; "
                "the fetch's own exception must propagate, unwrapped"
            )
        fail(
            f"fetch_with_timeout raised {type(run.error).__name__}: {run.error} instead of "
            "the fetch's own exception object: let it propagate unchanged"
        )
    expect(
        close(run.duration, 0.3),
        f"fetch_with_timeout raised the fetch's error after {seconds(run.duration)}; the "
        "fetch raised it after 0.3 s, so it must propagate then",
    )


@item(points=1)
async def test_timeout_fires_at_timeout(learner, world):
    """fetch_with_timeout raises TimeoutError at exactly `timeout` seconds for a slower fetch."""
    for latency, timeout in ((5.0, 1.5), (2.0, 0.25)):
        fetch = world.fetch({URL: latency})
        run = await _call(world, learner, "fetch_with_timeout", URL, fetch, timeout)
        details = _picture(run, fetch, [Span(URL, 0.0, timeout, "cancelled")])
        call = f"fetch_with_timeout(timeout={timeout:g}) for a fetch of {seconds(latency)}"
        if run.error is None:
            if close(run.duration, latency):
                cause = (
                    "the timeout was never applied: wrap the await in asyncio.timeout(timeout) "
                    "or use asyncio.wait_for(fetch(url), timeout)"
                )
            else:
                cause = "when time is up it must raise TimeoutError, not return"
            fail(
                f"{call} returned {describe(run.value)} after {seconds(run.duration)} instead "
                f"of raising TimeoutError after {seconds(timeout)}: {cause}",
                details=details,
            )
        if not isinstance(run.error, TimeoutError):
            fail(
                f"{call} raised {type(run.error).__name__}: {run.error} instead of "
                "TimeoutError (the builtin; asyncio.TimeoutError is the same class on 3.11+)",
                details=details,
            )
        expect(
            close(run.duration, timeout),
            f"{call} raised TimeoutError after {seconds(run.duration)}; expected exactly "
            f"{seconds(timeout)}",
            details=details,
        )


@item(points=1)
async def test_timeout_cancels_fetch_first(learner, world):
    """On timeout the fetch has finished cancelling before fetch_with_timeout raises."""
    fetch = world.fetch({URL: 5.0})
    run = await _call(world, learner, "fetch_with_timeout", URL, fetch, 1.5)
    details = _picture(run, fetch, [Span(URL, 0.0, 1.5, "cancelled")])
    if run.error is not None and not isinstance(run.error, TimeoutError):
        run.result  # an unexpected error is the verdict
    ended = "raised TimeoutError" if run.error is not None else "returned"
    expect(fetch.calls, "fetch_with_timeout never called fetch")
    call = fetch.calls[0]
    if call in run.running_at_return:
        if call.outcome == "cancelled":
            fail(
                f"fetch_with_timeout {ended} before the fetch had finished cancelling: "
                "task.cancel() only requests it; await the cancelled task (e.g. `await "
                "asyncio.wait([task])`) before raising, or use asyncio.timeout / "
                "asyncio.wait_for, which wait for it",
                details=details,
            )
        fail(
            f"fetch_with_timeout {ended} and left the fetch running: it was never cancelled "
            "(asyncio.shield, or asyncio.wait(timeout=...) without task.cancel(), leaves it "
            "going); cancel it and wait for it to finish cancelling before raising",
            details=details,
        )
    expect(
        call.outcome == "cancelled",
        f"fetch_with_timeout(timeout=1.5) let a fetch of 5 s run until it {call.outcome} at "
        f"{moment((call.ended or 0.0) - run.started)}: when time is up the fetch must be "
        "cancelled (asyncio.timeout or asyncio.wait_for around the await)",
        details=details,
    )


# fetch_with_retries -------------------------------------------------------------------


@item(points=1)
async def test_retry_schedule(learner, world):
    """fetch_with_retries starts attempt i+1 exactly backoff * 2**i s after attempt i failed."""
    settings: dict[str, Any] = {"attempts": 4, "timeout": 10.0, "backoff": 0.25}
    replies = [Reply(latency, fail=True) for latency in (0.3, 0.1, 0.2, 0.4)]
    fetch = world.fetch({URL: replies})
    run = await _call(world, learner, "fetch_with_retries", URL, fetch, **settings)
    plan = _plan(fetch, **settings)
    _expect_attempts(
        run,
        fetch,
        plan,
        timeout=settings["timeout"],
        backoff=settings["backoff"],
        what=_settings(**settings),
    )


@item(points=1)
async def test_each_attempt_limited_by_timeout(learner, world):
    """Each attempt is cancelled at its own `timeout`, and the retries follow the schedule."""
    settings: dict[str, Any] = {"attempts": 4, "timeout": 0.75, "backoff": 0.5}
    replies = [Reply(50.0), Reply(5.0), Reply(0.2, fail=True), Reply(0.1)]
    fetch = world.fetch({URL: replies})
    run = await _call(world, learner, "fetch_with_retries", URL, fetch, **settings)
    plan = _plan(fetch, **settings)
    what = _settings(**settings)
    _expect_attempts(run, fetch, plan, timeout=0.75, backoff=0.5, what=what)
    got = run.result
    expect(
        same(got, fetch.results[URL]),
        f"{what} returned {describe(got)}; attempt #4 succeeded, so it must return that "
        f"result, {describe(fetch.results[URL])}",
    )


@item(points=1)
async def test_first_success_returned(learner, world):
    """fetch_with_retries returns the first success at once and makes no further attempt."""
    # Judged on the learner's own timeline: whenever its successful attempt ran (when the
    # attempts start is the schedule items' question), it must return right then.
    for replies in ([Reply(0.2)], [Reply(0.3, fail=True), Reply(0.1)]):
        settings: dict[str, Any] = {"attempts": 4, "timeout": 1.0, "backoff": 0.5}
        fetch = world.fetch({URL: replies})
        run = await _call(world, learner, "fetch_with_retries", URL, fetch, **settings)
        plan = _plan(fetch, **settings)
        what = _settings(**settings)
        details = _picture(run, fetch, plan)
        calls = list(fetch.calls)
        won = next((i for i, call in enumerate(calls) if call.outcome == "returned"), None)
        if won is None:
            outcome = (
                f"returned {describe(run.value)}"
                if run.error is None
                else f"raised {type(run.error).__name__}: {run.error}"
            )
            fail(
                f"{what} {outcome} at {moment(run.duration)} after {len(calls)} attempt(s), none "
                f"of which succeeded; attempt #{len(plan)} succeeds (after "
                f"{seconds(fetch.reply_for(URL, len(plan) - 1).after)}), so it must make it "
                "and return its result",
                details=details,
            )
        success = calls[won]
        n = won + 1
        at = (success.ended or 0.0) - run.started
        if run.error is not None:
            fail(
                f"{what} raised {type(run.error).__name__}: {run.error} at {moment(run.duration)} "
                f"although its attempt #{n} succeeded at {moment(at)}: return that result at once",
                details=details,
            )
        expect(
            same(run.value, success.result),
            f"{what} returned {describe(run.value)}; its attempt #{n} succeeded, so it must "
            f"return that result, {describe(success.result)}",
            details=details,
        )
        expect(
            len(calls) == n,
            f"{what} made {len(calls)} attempts although attempt #{n} succeeded at {moment(at)}: "
            "return the first success (a `return` or `break` in the loop)",
            details=details,
        )
        expect(
            close(run.duration, at),
            f"{what} returned at {moment(run.duration)}; its attempt #{n} succeeded at "
            f"{moment(at)}, so it must return then",
            details=details,
        )
        await asyncio.sleep(100)
        expect(
            len(fetch.calls) == n,
            f"{what} returned, but another attempt started later: nothing may run on after "
            "the first success",
            details=_picture(run, fetch, plan),
        )


@item(points=1)
async def test_last_error_raised_at_once(learner, world):
    """When all attempts fail, the last one's exception is raised as it ends, with no wait."""
    cases = [
        ([Reply(0.1, fail=True), Reply(0.2, fail=True), Reply(0.3, fail=True)], 3),
        ([Reply(0.1, fail=True), Reply(5.0)], 2),
        ([Reply(5.0), Reply(0.2, fail=True)], 2),
        ([Reply(0.2, fail=True)], 1),
    ]
    for replies, attempts in cases:
        settings: dict[str, Any] = {"attempts": attempts, "timeout": 1.0, "backoff": 0.5}
        fetch = world.fetch({URL: replies})
        run = await _call(world, learner, "fetch_with_retries", URL, fetch, **settings)
        plan = _plan(fetch, **settings)
        what = _settings(**settings)
        details = _picture(run, fetch, plan)
        calls = fetch.calls
        expect(calls, f"{what} never called fetch", details=details)
        last = calls[-1]
        timed_out = plan[-1].outcome == "cancelled"
        expected = "TimeoutError" if timed_out else "its FetchError"
        if run.error is None:
            message = (
                f"{what} returned {describe(run.value)} although every attempt failed: raise "
                f"the last attempt's exception ({expected})"
            )
            if timed_out and last.outcome == "returned":
                message = (
                    f"{what} returned {describe(run.value)} from attempt #{len(calls)}, which "
                    f"took {seconds((last.ended or 0.0) - last.started)}, longer than its "
                    f"timeout of 1 s: that attempt must be cut at its timeout, and as the "
                    "last one, end in TimeoutError"
                )
            fail(message, details=details)
        if len(calls) < len(plan):
            fail(
                f"{what} gave up after {len(calls)} of its {len(plan)} attempts, raising "
                f"{type(run.error).__name__} at {moment(run.duration)}: every attempt must be "
                "made before the last one's exception is raised",
                details=details,
            )
        right = isinstance(run.error, TimeoutError) if timed_out else run.error is last.error
        if not right:
            earlier = next((k for k, c in enumerate(calls) if c.error is run.error), None)
            if earlier is not None and earlier != len(calls) - 1:
                fail(
                    f"{what} raised the exception of attempt #{earlier + 1}, not that of the "
                    f"last attempt (#{len(calls)}, {expected}): keep the latest failure and "
                    "raise that one",
                    details=details,
                )
            if isinstance(run.error, TimeoutError):
                fail(
                    f"{what} raised TimeoutError, but the last attempt failed with the fetch's "
                    "own FetchError: raise that exception object itself",
                    details=details,
                )
            if isinstance(run.error, BaseExceptionGroup):
                fail(
                    f"{what} raised an ExceptionGroup; raise the last attempt's own exception "
                    f"({expected}), unwrapped",
                    details=details,
                )
            fail(
                f"{what} raised {type(run.error).__name__}: {run.error} instead of the last "
                f"attempt's exception ({expected}): re-raise that exception object itself",
                details=details,
            )
        ended = last.ended if last.ended is not None else last.started + 1.0
        gap = run.ended - ended
        expect(
            close(gap, 0.0),
            f"{what} raised {seconds(gap)} after its last attempt ended (at "
            f"{moment(ended - run.started)}): it must raise at once, with no wait after the last "
            "attempt (wait only between attempts)",
            details=details,
        )


@item(points=1)
async def test_defaults_and_attempts_check(learner, world):
    """Defaults: attempts=3, timeout=1, backoff=0.5; attempts < 1 gives ValueError, no fetch."""
    # The defaults are judged by comparing a call without them to a call that passes the
    # same values explicitly: they must behave alike. Whether that behaviour follows the
    # contract (the schedule, the timeouts) is the other items' question, so a wrong
    # backoff formula is not charged here too.
    fetch = world.fetch({URL: DEFAULTS_REPLIES})
    run = await _call(world, learner, "fetch_with_retries", URL, fetch)
    if isinstance(run.error, TypeError) and not fetch.calls:
        fail(
            f"fetch_with_retries(url, fetch) raised TypeError: {run.error}: attempts, "
            "timeout and backoff are keyword arguments with defaults 3, 1.0 and 0.5"
        )
    defaulted = _attempt_rows(run, fetch)
    fetch = world.fetch({URL: DEFAULTS_REPLIES})
    given = await _call(world, learner, "fetch_with_retries", URL, fetch, **DEFAULTS)
    if isinstance(given.error, TypeError) and not fetch.calls:
        fail(
            f"fetch_with_retries(url, fetch, attempts=3, timeout=1.0, backoff=0.5) raised "
            f"TypeError: {given.error}: attempts, timeout and backoff are keyword arguments"
        )
    explicit = _attempt_rows(given, fetch)
    alike = (
        _same_rows(defaulted, explicit)
        and _outcome(run) == _outcome(given)
        and close(run.duration, given.duration)
    )
    if not alike:
        plain = "fetch_with_retries(url, fetch)"
        spelled = "attempts=3, timeout=1.0, backoff=0.5"
        first, other = defaulted[0] if defaulted else None, explicit[0] if explicit else None
        if (
            first is not None
            and other is not None
            and not (
                first.outcome == other.outcome
                and first.end is not None
                and other.end is not None
                and close(first.end, other.end)
            )
        ):
            verb = {"returned": "answered", "cancelled": "was cancelled"}.get(first.outcome)
            ran = (
                "left its first attempt (a fetch that takes 30 s) running"
                if first.end is None
                else f"let its first attempt (a fetch that takes 30 s) run until it "
                f"{verb or first.outcome} at {moment(first.end)}"
            )
            cause = f"{ran}, where with timeout=1.0 it is cut at t=1: `timeout` must default to 1.0"
        elif (
            len(defaulted) > 1
            and len(explicit) > 1
            and not close(defaulted[1].start, explicit[1].start)
        ):
            cause = (
                f"waited {seconds(defaulted[1].start - (defaulted[0].end or 0.0))} after its "
                f"first attempt, against {seconds(explicit[1].start - (explicit[0].end or 0.0))} "
                "when given backoff=0.5: `backoff` must default to 0.5"
            )
        elif len(defaulted) != len(explicit):
            cause = (
                f"made {len(defaulted)} attempt(s), against {len(explicit)} when given "
                "attempts=3: `attempts` must default to 3"
            )
        else:
            cause = (
                f"{_outcome(run)} at {moment(run.duration)}, where with those values given it "
                f"{_outcome(given)} at {moment(given.duration)}: the defaults must be attempts=3, "
                "timeout=1.0 and backoff=0.5"
            )
        fail(
            f"{plain} did not behave like {plain[:-1]}, {spelled}): it {cause}",
            details=_two_timelines(
                "yours, with the defaults", defaulted, f"yours, with {spelled}", explicit
            ),
        )
    for attempts in (0, -1):
        fetch = world.fetch({URL: 0.1})
        run = await _call(world, learner, "fetch_with_retries", URL, fetch, attempts=attempts)
        if not isinstance(run.error, ValueError):
            outcome = (
                f"returned {describe(run.value)}"
                if run.error is None
                else f"raised {type(run.error).__name__}: {run.error}"
            )
            fail(
                f"fetch_with_retries(attempts={attempts}) {outcome}; with fewer than 1 "
                "attempt it must raise ValueError"
            )
        expect(
            fetch.requested == 0,
            f"fetch_with_retries(attempts={attempts}) raised ValueError only after calling "
            "fetch: check `attempts` before the first attempt",
        )


@item(points=2)
async def test_cancellation_propagates(learner, world):
    """Cancelling either function propagates at once, cancels its fetch and is never retried."""
    fetch = world.fetch({URL: 5.0})
    await _expect_cancel_obeyed(
        world,
        learner,
        "fetch_with_timeout",
        fetch,
        [Span(URL, 0.0, 0.25, "cancelled")],
        {"timeout": 1.0},
        0.25,
        "while its fetch runs",
    )
    settings: dict[str, Any] = {"attempts": 3, "timeout": 1.0, "backoff": 0.5}
    scenarios = [
        ([Reply(5.0)], 0.25, "during attempt #1"),
        ([Reply(0.2, fail=True), Reply(5.0)], 0.5, "during its backoff wait after attempt #1"),
        ([Reply(0.2, fail=True), Reply(5.0)], 1.0, "during attempt #2"),
    ]
    for replies, at, phase in scenarios:
        fetch = world.fetch({URL: replies})
        plan = [_cut(span, at) for span in _plan(fetch, **settings) if span.start < at]
        await _expect_cancel_obeyed(
            world, learner, "fetch_with_retries", fetch, plan, settings, at, phase
        )


# Helpers ------------------------------------------------------------------------------


def _settings(attempts: int, timeout: float, backoff: float) -> str:
    return f"fetch_with_retries(attempts={attempts}, timeout={timeout:g}, backoff={backoff:g})"


def _awaitable(learner: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    function = expect_callable(getattr(learner, name), name)
    return expect_awaitable(function(*args, **kwargs), name)


async def _call(world: World, learner: Any, name: str, *args: Any, **kwargs: Any) -> Run:
    """``world.call(learner.<name>, *args, **kwargs)``, explaining a CancelledError the
    call let out although nobody cancelled it."""
    function = expect_callable(getattr(learner, name), name)
    try:
        return await world.call(function, *args, **kwargs)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        fail(
            f"{name} raised CancelledError although nobody cancelled it: it cancelled its "
            "own fetch and let that CancelledError out. When time is up raise "
            "TimeoutError (asyncio.timeout and asyncio.wait_for do it for you)"
        )


def _plan(fetch: FakeFetch, attempts: int, timeout: float, backoff: float) -> list[Span]:
    """The attempts the contract prescribes for ``fetch``'s replies, from t=0."""
    plan = []
    start = 0.0
    for i in range(attempts):
        reply = fetch.reply_for(URL, i)
        if reply.after < timeout:
            end, outcome = start + reply.after, ("raised" if reply.fail else "returned")
        else:
            end, outcome = start + timeout, "cancelled"
        plan.append(Span(f"{URL} #{i + 1}", start, end, outcome))
        if outcome == "returned":
            break
        start = end + backoff * 2**i
    return plan


def _cut(span: Span, at: float) -> Span:
    """``span`` as it looks when everything is cancelled at ``at``."""
    if span.end is not None and span.end <= at:
        return span
    return Span(span.label, span.start, at, "cancelled")


def _picture(run: Run | None, fetch: FakeFetch, plan: list[Span], origin: float = 0.0) -> str:
    origin = run.started if run is not None else origin
    numbered = any(" #" in span.label for span in plan)
    yours = [
        Span(
            f"{call.url} #{call.attempt + 1}" if numbered else span.label,
            span.start - origin,
            None if span.end is None else span.end - origin,
            span.outcome,
        )
        for call, span in zip(fetch.calls, spans(fetch.calls), strict=True)
    ]
    return side_by_side(yours, plan)


def _expect_attempts(
    run: Run, fetch: FakeFetch, plan: list[Span], *, timeout: float, backoff: float, what: str
) -> None:
    """Each attempt started, ended and was cut exactly as ``plan`` says; the first
    difference is reported, with the timeline of attempts beside the plan."""
    calls = fetch.calls
    details = _picture(run, fetch, plan)
    expect(calls, f"{what} never called fetch", details=details)
    first = calls[0].started - run.started
    expect(
        close(first, 0.0),
        f"{what} started attempt #1 at {moment(first)}; the first attempt starts at once (t=0): "
        "the backoff wait comes only after a failed attempt",
        details=details,
    )
    for i, (call, expected) in enumerate(zip(calls, plan, strict=False)):
        n = i + 1
        reply = fetch.reply_for(URL, i)
        if call.outcome == "running":
            fail(
                f"{what}: attempt #{n} (a fetch that takes {seconds(reply.after)}) was still "
                f"running after the call had finished; it should have been cancelled at its "
                f"timeout of {seconds(timeout)}. asyncio.shield, or asyncio.wait(timeout=...) "
                "without task.cancel(), leaves the fetch running",
                details=details,
            )
        assert call.ended is not None
        ran = call.ended - call.started
        if expected.outcome == "cancelled":
            expect(
                call.outcome == "cancelled",
                f"{what}: attempt #{n} ran for {seconds(ran)}, its full length, instead of "
                f"being cancelled at its timeout of {seconds(timeout)}: limit each attempt "
                "with asyncio.timeout(timeout) or asyncio.wait_for(..., timeout)",
                details=details,
            )
            if not close(ran, timeout):
                message = (
                    f"{what}: attempt #{n} was cancelled after {seconds(ran)}, not at its "
                    f"timeout of {seconds(timeout)}"
                )
                if ran < timeout:
                    message += (
                        ": one timeout around the whole retry loop is not a limit per "
                        "attempt; start a fresh timeout for each attempt"
                    )
                fail(message, details=details)
        elif call.outcome == "cancelled":
            fail(
                f"{what}: attempt #{n} was cancelled after {seconds(ran)}, before it could "
                f"answer after {seconds(reply.after)}, well within its timeout of "
                f"{seconds(timeout)}: each attempt gets the whole `timeout` to itself (one "
                "timeout around the whole retry loop is not a limit per attempt)",
                details=details,
            )
        if i + 1 >= len(calls):
            break
        if call.outcome == "returned":
            fail(
                f"{what}: attempt #{n} succeeded at {moment(call.ended - run.started)}, yet "
                "another attempt followed: return the first success at once",
                details=details,
            )
        wait = calls[i + 1].started - call.ended
        want = backoff * 2**i
        if close(wait, want):
            continue
        message = (
            f"{what}: attempt #{n} ended at {moment(call.ended - run.started)} and attempt "
            f"#{n + 1} started at {moment(calls[i + 1].started - run.started)}, a wait of "
            f"{seconds(wait)}; after attempt #{n} (i={i}) the wait is backoff * 2**{i} = "
            f"{seconds(want)}"
        )
        if wait < 0:
            message += f": attempt #{n + 1} must not start before attempt #{n} has ended"
        elif i > 0 and close(wait, backoff):
            message += ": the wait must double after every failure, not stay at `backoff`"
        elif close(wait, backoff * 2 ** (i + 1)):
            message += (
                ": the exponent is off by one; counting attempts from 0, the first wait is "
                "backoff * 2**0, `backoff` itself"
            )
        elif close(wait, 0.0):
            message += ": it retried without waiting"
        fail(message, details=details)
    if len(calls) < len(plan):
        message = (
            f"{what} made {len(calls)} attempt(s) where {len(plan)} were expected: every "
            "attempt before them failed, so it must keep trying, up to `attempts` calls"
        )
        if isinstance(run.error, TimeoutError) and calls[-1].outcome == "cancelled":
            message += " (a timed-out attempt is a failed attempt like any other: retry it)"
        fail(message, details=details)
    if len(calls) > len(plan):
        fail(
            f"{what} made {len(calls)} attempts where {len(plan)} were expected: it must call "
            "fetch at most `attempts` times and stop at the first success",
            details=details,
        )


def _swallowed(learner, what: str, name: str) -> str:
    message = (
        f"{what}. CancelledError is a BaseException: `except BaseException`, a bare "
        "`except:` or `except asyncio.CancelledError` that carries on (or raises something "
        "else) catches the caller's cancellation and swallows it. "
    )
    if name == "fetch_with_timeout":
        message += (
            "Only the cancellation your own timeout caused may become TimeoutError "
            "(asyncio.timeout and asyncio.wait_for tell the two apart); the caller's "
            "CancelledError must propagate"
        )
    else:
        message += (
            "Retry on `Exception` only (TimeoutError and the fetch's errors are "
            "Exceptions) and let CancelledError propagate"
        )
    return message + quote_handlers(swallowing_handlers(learner.path))


def _raise_verdict(task: asyncio.Task[Any]) -> None:
    if task.done() and not task.cancelled():
        error = task.exception()
        if isinstance(error, verdict_errors):
            raise error


async def _stop(task: asyncio.Task[Any]) -> None:
    """Make a task that ignores cancellation finish, within bounds."""
    for _ in range(20):
        if task.done():
            break
        task.cancel()
        await asyncio.sleep(5)
    if task.done() and not task.cancelled():
        task.exception()  # retrieved: no "exception was never retrieved" warning


async def _expect_cancel_obeyed(
    world, learner, name: str, fetch: FakeFetch, plan: list[Span], kwargs, at: float, phase: str
) -> None:
    """Run ``name`` in a task, cancel it ``at`` seconds in, and check that it finished
    at that instant with CancelledError, its fetch cancelled, and never tried again."""
    origin = world.now
    task = asyncio.ensure_future(_awaitable(learner, name, (URL, fetch), kwargs))
    await asyncio.sleep(at)
    what = f"cancelling {name} {phase} (at {moment(at)})"
    if task.done():
        _raise_verdict(task)
        outcome = (
            "was cancelled already"
            if task.cancelled()
            else f"raised {type(task.exception()).__name__}"
            if task.exception() is not None
            else f"returned {describe(task.result())}"
        )
        fail(
            f"{what}: it had already finished before it was cancelled: it {outcome}",
            details=_picture(None, fetch, plan, origin),
        )
    calls_before = len(fetch.calls)
    task.cancel()
    await world.idle()
    if not task.done():
        await asyncio.sleep(100)
        more = len(fetch.calls) - calls_before
        if more:
            happened = f"it retried, starting {more} more attempt(s) after it was cancelled"
        elif task.done() and task.cancelled():
            happened = "it went on waiting before letting the cancellation out"
        else:
            happened = "it kept running instead of finishing at once"
        details = _picture(None, fetch, plan, origin)
        await _stop(task)
        fail(_swallowed(learner, f"{what} did not stop it: {happened}", name), details=details)
    if not task.cancelled():
        _raise_verdict(task)
        error = task.exception()
        outcome = (
            f"returned {describe(task.result())}"
            if error is None
            else f"raised {type(error).__name__}: {error}"
        )
        fail(
            _swallowed(
                learner, f"{what}: it {outcome} instead of propagating CancelledError", name
            ),
            details=_picture(None, fetch, plan, origin),
        )
    running = fetch.running()
    expect(
        not running,
        f"{what}: it finished, but its fetch was left running: the attempt in progress must "
        "be cancelled too (asyncio.shield, or a task that is never cancelled, keeps it going; "
        "with asyncio.wait, cancel the fetch task when your own wait is cancelled)",
        details=_picture(None, fetch, plan, origin),
    )
    calls_after = len(fetch.calls)
    await asyncio.sleep(100)
    expect(
        len(fetch.calls) == calls_after,
        f"{what}: it finished, yet a new attempt started later: nothing may be retried after "
        "a cancellation",
        details=_picture(None, fetch, plan, origin),
    )


def _attempt_rows(run: Run, fetch: FakeFetch) -> list[Span]:
    """The attempts of ``run`` as they stood when it finished, from its start."""
    return [
        Span(
            f"{URL} #{call.attempt + 1}",
            call.started - run.started,
            None if call.ended is None else call.ended - run.started,
            call.outcome,
        )
        for call in fetch.calls
    ]


def _same_rows(a: list[Span], b: list[Span]) -> bool:
    return len(a) == len(b) and all(
        close(x.start, y.start)
        and x.outcome == y.outcome
        and (x.end is None) == (y.end is None)
        and (x.end is None or y.end is None or close(x.end, y.end))
        for x, y in zip(a, b, strict=True)
    )


def _outcome(run: Run) -> str:
    if run.error is None:
        return f"returned {describe(run.value)}"
    return f"raised {type(run.error).__name__}"


def _two_timelines(left: str, yours: list[Span], right: str, theirs: list[Span]) -> str:
    ends = [s.end for s in (*yours, *theirs) if s.end is not None]
    until = max(ends, default=1.0)
    a, b = timeline(yours, until=until), timeline(theirs, until=until)
    width = max([len(line) for line in a] + [len(left)])
    lines = [f"{left:<{width}}    {right}"]
    for i in range(max(len(a), len(b))):
        lines.append(f"{a[i] if i < len(a) else '':<{width}}    {b[i] if i < len(b) else ''}")
    lines.append("('=' in flight, 'x' cancelled, '!' raised, '>' still running)")
    return "\n".join(line.rstrip() for line in lines)
