"""Checks that several graders share: time bounds with timelines, exactly-once fetches,
nothing left running, cancellation that propagates. Each raises
:class:`~asynclings.harness.checks.RubricFailure` with a learner-facing message."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .checks import close, describe, expect, expect_awaitable, expect_callable, fail, seconds
from .fakes import FakeFetch, FetchCall
from .loop import TaskWait, task_waits
from .timeline import Span, rebase, side_by_side, spans
from .world import Run, World, verdict_errors

__all__ = [
    "CancelledRun",
    "cancel_during",
    "cancelled_picture",
    "expect_cancellation_obeyed",
    "expect_cancellation_propagated",
    "expect_each_url_once",
    "expect_fetches_cancelled",
    "expect_finished_at",
    "expect_nothing_left_running",
    "expect_results_fetched",
    "expect_still_running_when_cancelled",
    "expected_spans",
]


def expected_spans(fetch: FakeFetch, urls: Sequence[str] | None = None) -> list[Span]:
    """Every url's first reply, all started at 0: the picture of a concurrent run."""
    return [
        Span(
            url,
            0.0,
            fetch.reply_for(url, 0).after,
            "raised" if fetch.reply_for(url, 0).fail else "returned",
        )
        for url in (urls if urls is not None else fetch.urls)
    ]


def _picture(run: Run, fetch: FakeFetch, expected: Sequence[Span]) -> str:
    return side_by_side(rebase(spans(fetch.calls), run.started), expected)


def expect_finished_at(
    run: Run,
    expected: float,
    fetch: FakeFetch,
    *,
    expected_picture: Sequence[Span] | None = None,
    sequential_hint: str = "start them all, then await them together, e.g. with asyncio.gather",
) -> None:
    """The call took exactly ``expected`` simulated seconds; otherwise fail with the
    learner's timeline beside the expected one, and name sequential awaiting when the
    duration is the sum of the fetches. The right duration without fetching every url
    (waiting it out with asyncio.sleep, say) does not count."""
    if close(run.duration, expected):
        never = [url for url in fetch.urls if not fetch.calls_for(url)]
        if never:
            fail(
                f"{run.name} took the expected {seconds(expected)} but never fetched "
                f"{describe(never)}: the time must come from running the fetches, "
                "concurrently",
                details=_picture(run, fetch, expected_picture or expected_spans(fetch)),
            )
        return
    latencies = [fetch.reply_for(url, 0).after for url in fetch.urls]
    listed = ", ".join(seconds(t).removesuffix(" s") for t in latencies[:-1])
    listed = f"{listed} and {seconds(latencies[-1])}" if listed else seconds(latencies[-1])
    message = (
        f"{run.name} took {seconds(run.duration)} for fetches of {listed}; "
        f"expected {seconds(expected)}"
    )
    if close(run.duration, sum(latencies)) and len(latencies) > 1:
        message += f": that is the sum, so they ran one after another; {sequential_hint}"
    elif run.duration > expected:
        message += ": some fetches waited for others before starting"
    else:
        message += ": it returned before the fetches it needed had finished"
    fail(message, details=_picture(run, fetch, expected_picture or expected_spans(fetch)))


def expect_each_url_once(run: Run, fetch: FakeFetch, urls: Sequence[str]) -> None:
    """``fetch(url)`` was called exactly once per url, and every call was awaited."""
    counts = {url: len(fetch.calls_for(url)) for url in urls}
    twice = [url for url, n in counts.items() if n > 1]
    never = [url for url, n in counts.items() if n == 0]
    expect(
        not twice,
        f"{run.name} fetched {describe(twice)} more than once; each url must be fetched "
        "exactly once (a coroutine object can be awaited only once: keep it, or its task, "
        "and reuse the result)",
    )
    expect(
        not never,
        f"{run.name} never fetched {describe(never)}; every url must be fetched once",
    )
    expect(
        fetch.requested == len(fetch.calls),
        f"{run.name} called fetch() {fetch.requested} times but awaited only "
        f"{len(fetch.calls)} of the coroutines: a coroutine that is never awaited never runs",
    )


def expect_results_fetched(run: Run, fetch: FakeFetch, urls: Sequence[str]) -> None:
    """Every url's fetch ran to its end: results judged for their order or values must
    come from the fetches (the right list without fetching, read from the fake's own
    records or made up, does not count)."""
    never = [url for url in urls if all(c.outcome != "returned" for c in fetch.calls_for(url))]
    expect(
        not never,
        f"{run.name} returned results for {describe(never)} without fetching "
        f"{'it' if len(never) == 1 else 'them'} to the end: every result must be what "
        "awaiting fetch(url) gave",
    )


def expect_nothing_left_running(run: Run, fetch: FakeFetch | None = None) -> None:
    """Once the call returned and the loop went idle at that instant, no fetch and no
    task it started is still running."""
    if fetch is not None:
        running = [call.url for call in fetch.running()]
        expect(
            not running,
            f"{run.name} returned at t={seconds(run.ended)} while fetches of "
            f"{describe(running)} were still running: cancel them and await their "
            "cancellation (e.g. task.cancel(), then await asyncio.gather(*tasks, "
            "return_exceptions=True)) before returning",
            details=_picture(run, fetch, []),
        )
    expect(
        not run.leftover,
        f"{run.name} left {len(run.leftover)} task(s) running after it returned",
        details="\n".join(wait.describe() for wait in run.leftover),
    )


@dataclass
class CancelledRun:
    """One call of the code under test, cancelled while it ran (see :func:`cancel_during`).
    Times are in seconds since the call started."""

    name: str
    at: float
    """When it was cancelled (if it was still running then)."""
    started: float = 0.0
    """The loop's time when the call started (to count a picture's times from)."""
    ended: float = 0.0
    """When it finished: returned, raised, or let CancelledError out."""
    early: bool = False
    """It had already finished when the cancellation was due."""
    cancelled: bool = False
    """It finished by letting CancelledError out."""
    value: object = None
    error: BaseException | None = None
    """What it raised other than CancelledError."""
    running_at_cancel: list[FetchCall] = field(default_factory=list)
    running: list[FetchCall] = field(default_factory=list)
    """Fetch calls still running once the loop went idle at the instant it finished."""
    leftover: list[TaskWait] = field(default_factory=list)
    """Tasks started since the call that were still running then."""


async def cancel_during(
    world: World, function: Callable[..., Any], *args: Any, at: float, **kwargs: Any
) -> CancelledRun:
    """Run ``function(*args, **kwargs)`` in a task, cancel it ``at`` seconds later, await
    it and let the loop go idle at the instant it finished; report what happened.

    An exception in :data:`~asynclings.harness.world.verdict_errors` propagates. A call
    that finished before ``at`` is not cancelled (:attr:`CancelledRun.early`).
    """
    name = getattr(function, "__name__", describe(function))
    expect_callable(function, name)

    async def call() -> Any:
        return await expect_awaitable(function(*args, **kwargs), name)

    loop = asyncio.get_running_loop()
    before = world.tasks()
    started = world.now
    run = CancelledRun(name=name, at=at, started=started)
    task = asyncio.create_task(call(), name=f"grader: {name}")
    task.add_done_callback(lambda _: setattr(run, "ended", loop.time() - started))
    await asyncio.sleep(at)
    run.early = task.done()
    run.running_at_cancel = [c for f in world.fetches for c in f.running()]
    if not run.early:
        task.cancel()
    try:
        run.value = await task
    except asyncio.CancelledError:
        if not task.cancelled():
            raise  # the grader itself was cancelled
        run.cancelled = True
    except verdict_errors:
        raise
    except BaseException as error:
        run.error = error
    await world.idle()
    run.running = [c for f in world.fetches for c in f.running()]
    run.leftover = task_waits(world.tasks() - before)
    return run


def expect_still_running_when_cancelled(run: CancelledRun, why: str) -> None:
    """The call had not finished when it was cancelled; if it had, fail with what it did,
    ``why`` saying what it should have waited for. An error it raised is re-raised."""
    if not run.early:
        return
    expect(
        not run.cancelled,
        f"{run.name} raised CancelledError at t={seconds(run.ended)} although nobody had "
        "cancelled it yet",
    )
    if run.error is not None:
        raise run.error  # the learner's own error: the plugin explains it
    fail(f"{run.name} returned {describe(run.value)} at t={seconds(run.ended)}, {why}")


SWALLOWED = (
    "CancelledError is a BaseException: a bare `except:`, `except BaseException` or "
    "`except asyncio.CancelledError` catches it; re-raise it as it is after any clean-up"
)
"""Why a cancellation does not propagate, and the fix."""


def expect_cancellation_propagated(
    run: CancelledRun, *, advice: str = SWALLOWED, details: str = ""
) -> None:
    """The cancelled call let CancelledError out: it neither returned nor raised another
    error (``advice`` says how to fix that)."""
    if run.cancelled or run.early:
        return
    when = f"{run.name} was cancelled at t={seconds(run.at)}"
    if run.error is not None:
        fail(
            f"{when} and raised {type(run.error).__name__}: {run.error} instead of letting "
            f"CancelledError propagate. {advice}",
            details=details,
        )
    fail(
        f"{when} but returned {describe(run.value)} at t={seconds(run.ended)}: it swallowed "
        f"the cancellation. {advice}",
        details=details,
    )


def expect_fetches_cancelled(run: CancelledRun, advice: str, *, details: str = "") -> None:
    """Once the cancelled call finished and the loop went idle, no fetch is still running;
    ``advice`` says how to cancel them."""
    urls = ", ".join(repr(call.url) for call in run.running)
    expect(
        not run.running,
        f"{run.name} was cancelled at t={seconds(run.at)}; the cancellation propagated, but "
        f"the fetches of {urls} it started were still running once it had finished "
        f"(t={seconds(run.ended)}): {advice}",
        details=details,
    )


def cancelled_picture(
    run: CancelledRun, fetch: FakeFetch, urls: Sequence[str] | None = None
) -> str:
    """The learner's fetches, timed from the start of the cancelled call, beside the
    expected picture: every url's fetch (default: all of ``fetch``'s) started at once and
    cancelled at :attr:`CancelledRun.at`."""
    expected = [
        Span(url, 0.0, run.at, "cancelled") for url in (urls if urls is not None else fetch.urls)
    ]
    return side_by_side(rebase(spans(fetch.calls), run.started), expected)


def expect_cancellation_obeyed(
    run: CancelledRun,
    *,
    unfinished: str,
    advice: str,
    details: str = "",
    swallowed: str = SWALLOWED,
    swallowed_details: str = "",
) -> None:
    """The three checks of a call cancelled mid-way (see :func:`cancel_during`), in order:
    it was still running when cancelled (:func:`expect_still_running_when_cancelled`,
    ``unfinished`` saying what it should have waited for), it let CancelledError out
    (:func:`expect_cancellation_propagated`, with ``swallowed`` as the advice and
    ``swallowed_details`` as the picture), and no fetch it started was still running
    afterwards (:func:`expect_fetches_cancelled`, with ``advice`` and ``details``)."""
    expect_still_running_when_cancelled(run, unfinished)
    expect_cancellation_propagated(run, advice=swallowed, details=swallowed_details)
    expect_fetches_cancelled(run, advice, details=details)
