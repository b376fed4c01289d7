"""Checks that several graders share: time bounds with timelines, exactly-once fetches,
nothing left running. Each raises :class:`~asynclings.harness.checks.RubricFailure`
with a learner-facing message."""

from __future__ import annotations

from collections.abc import Sequence

from .checks import close, describe, expect, fail, seconds
from .fakes import FakeFetch
from .timeline import Span, side_by_side, spans
from .world import Run

__all__ = [
    "expect_each_url_once",
    "expect_finished_at",
    "expect_nothing_left_running",
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
    shifted = [
        Span(
            s.label,
            s.start - run.started,
            None if s.end is None else s.end - run.started,
            s.outcome,
        )
        for s in spans(fetch.calls)
    ]
    return side_by_side(shifted, expected)


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
    duration is the sum of the fetches."""
    if close(run.duration, expected):
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
