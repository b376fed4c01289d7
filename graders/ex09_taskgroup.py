"""Grader for exercise 9: ``fetch_all_or_cancel`` with asyncio.TaskGroup.

The failure items use fetches whose failure time is known exactly: the first failure
happens 1 s into the call, so every sibling still running must show ``cancelled`` at
that very simulated instant, and nothing may still be running at the instant the
``ExceptionGroup`` is raised (judged before the loop runs anything else).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, cast

from asynclings.harness import (
    FakeFetch,
    Reply,
    close,
    describe,
    expect,
    expect_awaitable,
    expect_callable,
    expect_same,
    fail,
    moment,
    rebase,
    seconds,
)
from asynclings.harness.calls import where_tasks_wait
from asynclings.harness.fakes import ReplySpec
from asynclings.harness.loop import TaskWait, task_waits
from asynclings.harness.probes import (
    cancel_during,
    expect_cancellation_propagated,
    expect_fetches_cancelled,
    expect_finished_at,
    expect_results_fetched,
    expect_still_running_when_cancelled,
)
from asynclings.harness.timeline import Span, side_by_side, spans
from asynclings.harness.world import Run, World
from asynclings.rubric import item

# Finishing order (b, c, a) differs from input order (a, b, c) on purpose.
LATENCIES = {"a": 3.0, "b": 1.0, "c": 2.0}
URLS = list(LATENCIES)
FAILING: dict[str, ReplySpec] = {
    "a": 3.0,
    "b": Reply(1.0, fail=True),
    "c": 2.0,
    "d": 10.0,
    "e": 0.5,
}
"""b fails at t=1 while a, c and d are running (e has already returned)."""

TWO_AT_ONCE: dict[str, ReplySpec] = {
    "a": 3.0,
    "b": Reply(1.0, fail=True),
    "c": Reply(1.0, fail=True),
    "d": Reply(2.0, fail=True),
    "e": 0.5,
}
"""b and c fail together at t=1; d would fail at t=2 but must be cancelled first."""

FAILS_AT = 1.0
GATHER = (
    "Neither asyncio.gather nor asyncio.wait cancels the other fetches when one fails "
    "(gather raises the first exception and leaves them running); asyncio.TaskGroup "
    "cancels them at the moment of the first failure"
)


# Rubric -----------------------------------------------------------------------------


@item(points=2)
async def test_results_in_url_order(learner, world):
    """When no fetch fails, the results come back in the order of the urls."""
    fetch = world.fetch(LATENCIES)
    run, _ = await call(learner, world, URLS, fetch)
    expected = [fetch.results[url] for url in URLS]
    got = run.result  # an exception here is the verdict
    if isinstance(got, list) and sorted(map(str, got)) == sorted(map(str, expected)):
        expect_same(
            got,
            expected,
            "fetch_all_or_cancel returned the right results in the wrong order: the list "
            "must follow the order of `urls` (read each task's result in url order after "
            "the TaskGroup block; appending as fetches finish does not)",
        )
    expect_same(
        got, expected, "fetch_all_or_cancel did not return one result per url, in url order"
    )
    expect_results_fetched(run, fetch, URLS)


@item(points=1)
async def test_fetches_run_concurrently(learner, world):
    """The fetches run concurrently: 3 s for fetches of 3, 1 and 2 s."""
    fetch = world.fetch(LATENCIES)
    run, _ = await call(learner, world, URLS, fetch)
    run.result
    expect_finished_at(
        run,
        3.0,
        fetch,
        sequential_hint="create a task for every fetch first (group.create_task(...)), "
        "then let the TaskGroup wait for them together",
    )


@item(points=1)
async def test_each_url_fetched_once(learner, world):
    """fetch(url) is called once per url, and never twice even when one fails."""
    for replies in (LATENCIES, FAILING):
        fetch = world.fetch(replies)
        urls = list(replies)
        run, _ = await call(learner, world, urls, fetch)
        if replies is LATENCIES:
            run.result  # an exception here is the verdict
        twice = [url for url in urls if len(fetch.calls_for(url)) > 1]
        expect(
            not twice,
            f"fetch_all_or_cancel fetched {describe(twice)} more than once; each url must be "
            "fetched once (a coroutine can be awaited only once: keep its task and read "
            "task.result())",
        )
        expect(
            fetch.requested == len(fetch.calls),
            f"fetch_all_or_cancel called fetch() {fetch.requested} times but awaited only "
            f"{len(fetch.calls)} of the coroutines: a coroutine that is never awaited never runs",
        )
        if replies is LATENCIES:
            never = [url for url in urls if not fetch.calls_for(url)]
            expect(not never, f"fetch_all_or_cancel never fetched {describe(never)}")


@item(points=1)
async def test_empty_urls(learner, world):
    """An empty list of urls gives an empty list, at once."""
    fetch = world.fetch({})
    run, _ = await call(learner, world, [], fetch)
    expect_same(run.result, [], "fetch_all_or_cancel([]) must return []")
    expect(
        run.duration == 0,
        f"fetch_all_or_cancel([]) took {seconds(run.duration)}; it must return at once",
    )


@item(points=2)
async def test_siblings_cancelled_at_failure(learner, world):
    """At the moment the first fetch fails, every other running fetch is cancelled."""
    fetch = world.fetch(FAILING)
    urls = list(FAILING)
    run, _ = await call(learner, world, urls, fetch)
    # Let any fetch left running finish, so that the picture shows what it did.
    longest = max(fetch.reply_for(url, 0).after for url in urls)
    if fetch.running():
        await asyncio.sleep(max(0.0, run.started + longest - world.now))
        await world.idle()
    details = picture(run, fetch, FAILING)
    failed = [c for c in fetch.calls if c.outcome == "raised"]
    if not failed:
        if run.error is not None:
            run.result  # not a fetch's failure: that error is the verdict
        fail(
            "fetch('b') never got to fail (it fails 1 s after it starts), so the "
            "cancellation of the others could not be judged: start every fetch",
            details=details,
        )
    first = min(failed, key=lambda c: c.ended or 0.0)
    failed_at = first.ended
    assert failed_at is not None
    if not close(failed_at - run.started, FAILS_AT):
        fail(
            f"fetch({first.url!r}) failed at {t(run, failed_at)} instead of t=1: the fetches "
            "did not all start at once. Create a task for every url first, so that they run "
            "concurrently",
            details=details,
        )
    head = f"fetch({first.url!r}) failed at t=1"
    how = "raised" if run.error is not None else "returned"
    for url in urls:
        if url == first.url:
            continue
        calls = fetch.calls_for(url)
        reply = fetch.reply_for(url, 0)
        if not calls:
            fail(
                f"fetch({url!r}) was never started; every fetch must start at once",
                details=details,
            )
        sibling = calls[0]
        if reply.after < FAILS_AT:
            continue  # it had returned before the failure
        if sibling.outcome == "returned":
            after = (
                f", although fetch_all_or_cancel had already {how} at {t(run, run.ended)}"
                if run.ended < (sibling.ended or 0.0)
                else ""
            )
            fail(
                f"{head}, but fetch({url!r}) was not cancelled: it ran on and returned at "
                f"{t(run, sibling.ended)}{after}. {GATHER}",
                details=details,
            )
        if sibling.outcome == "cancelled" and not close(sibling.ended or 0.0, failed_at):
            fail(
                f"{head}, but fetch({url!r}) was cancelled only at {t(run, sibling.ended)}: "
                "cancel the others at the moment of the first failure, not later (a TaskGroup "
                "does; so does asyncio.wait(..., return_when=FIRST_EXCEPTION) followed by "
                "task.cancel())",
                details=details,
            )
        if sibling.outcome == "raised" and (sibling.ended or 0.0) > failed_at:
            fail(
                f"{head}, but fetch({url!r}) ran on until it raised at "
                f"{t(run, sibling.ended)}. {GATHER}",
                details=details,
            )


@item(points=1)
async def test_raises_exception_group(learner, world):
    """It raises an ExceptionGroup holding exactly the fetches' failures, two at once included."""
    for replies in (FAILING, TWO_AT_ONCE):
        fetch = world.fetch(replies)
        run, _ = await call(learner, world, list(replies), fetch)
        failures = [c.error for c in fetch.calls if c.outcome == "raised"]
        named = ", ".join(f"fetch({c.url!r})" for c in fetch.calls if c.outcome == "raised")
        if run.error is None:
            fail(
                f"fetch_all_or_cancel returned {describe(run.value)} although {named} raised: "
                "it must raise an ExceptionGroup of the failures (leaving the TaskGroup's "
                "group uncaught does exactly that), not return partial results"
            )
        if not isinstance(run.error, BaseExceptionGroup):
            if any(run.error is failure for failure in failures):
                fail(
                    f"fetch_all_or_cancel raised the FetchError of {named} bare; the contract "
                    "asks for an ExceptionGroup holding it. asyncio.gather raises the first "
                    "exception by itself; asyncio.TaskGroup raises ExceptionGroup(...) of "
                    "every failure, after cancelling the rest (do not unwrap it)"
                )
            fail(
                f"fetch_all_or_cancel raised {type(run.error).__name__}: {run.error}; expected "
                f"an ExceptionGroup holding the errors of {named}"
            )
        held = leaves(run.error)
        if not isinstance(run.error, ExceptionGroup):
            fail(
                f"fetch_all_or_cancel raised a BaseExceptionGroup holding {describe(held)}: "
                "the cancelled fetches' CancelledError are not failures; the group must hold "
                "only the fetches' own exceptions (an ExceptionGroup)"
            )
        missing = [f for f in failures if not any(f is h for h in held)]
        strangers = [h for h in held if not any(h is f for f in failures)]
        expect(
            not strangers,
            f"the ExceptionGroup holds {describe(strangers)}, which are not the exception "
            f"objects that {named} raised: put the fetches' own exceptions in the group "
            "(not copies, messages or new exceptions)",
        )
        expect(
            not missing,
            f"the ExceptionGroup lacks {describe(missing)}: it must hold every fetch that "
            f"failed ({named}); fetches that fail at the same instant all count",
        )


@item(points=1)
async def test_raises_after_siblings_finished_cancelling(learner, world):
    """The ExceptionGroup is raised only once the other fetches have finished cancelling."""
    fetch = world.fetch(FAILING)
    run, tasks_at_exit = await call(learner, world, list(FAILING), fetch)
    how = "raised" if run.error is not None else "returned"
    if run.running_at_return:
        urls = [c.url for c in run.running_at_return]
        cancelled_later = all(c.outcome == "cancelled" for c in run.running_at_return)
        cause = (
            "they had been told to cancel, but not yet finished: task.cancel() only asks; "
            "await the cancelled tasks (e.g. asyncio.gather(*tasks, return_exceptions=True)) "
            "before raising, as a TaskGroup does when its block ends"
            if cancelled_later
            else "the group must be raised only after the other fetches have been cancelled "
            f"and have finished cancelling. {GATHER}"
        )
        fail(
            f"fetch_all_or_cancel {how} at {t(run, run.ended)} while the fetches of "
            f"{describe(urls)} were still running: {cause}",
            details=picture(run, fetch, FAILING),
        )
    left = tasks_at_exit or run.leftover
    expect(
        not left,
        f"fetch_all_or_cancel {how} at {t(run, run.ended)} while {len(left)} task(s) it "
        "started were still running: await every task it created before raising",
        details=where_tasks_wait(left),
    )


@item(points=1)
async def test_cancellation_propagates(learner, world):
    """Cancelling fetch_all_or_cancel propagates CancelledError and cancels every fetch."""
    replies = {"a": 3.0, "b": Reply(1.0, fail=True), "c": 2.0}
    fetch = world.fetch(replies)
    run = await cancel_during(
        world,
        expect_callable(learner.fetch_all_or_cancel, "fetch_all_or_cancel"),
        list(replies),
        fetch,
        at=0.5,
    )
    expect_still_running_when_cancelled(run, "before any fetch finished")
    expect_cancellation_propagated(
        run,
        advice="A cancellation is not a failure: never catch CancelledError without raising "
        "it again, and never put it in a group",
    )
    expect_fetches_cancelled(
        run,
        "cancelling it must cancel every fetch it started (a TaskGroup does; with plain "
        "tasks, cancel them in a `finally:` block)",
    )
    expect(
        not run.leftover,
        f"fetch_all_or_cancel was cancelled at t=0.5, but {len(run.leftover)} task(s) it "
        f"started were still running at t={seconds(run.ended)} once the loop had gone idle",
        details=where_tasks_wait(run.leftover),
    )


# Helpers ------------------------------------------------------------------------------


# Running the learner's function -----------------------------------------------------


async def call(
    learner: Any, world: World, urls: list[str], fetch: FakeFetch
) -> tuple[Run, list[TaskWait]]:
    """Call the learner's function through :meth:`World.call`; also return the tasks it
    started that were still running at the instant it returned or raised."""
    function = expect_callable(learner.fetch_all_or_cancel, "fetch_all_or_cancel")
    tasks_at_exit: list[TaskWait] = []

    async def watched(*args: Any) -> Any:
        before = world.tasks()
        try:
            return await expect_awaitable(function(*args), "fetch_all_or_cancel")
        finally:
            tasks_at_exit.extend(task_waits(world.tasks() - before))

    watched.__name__ = "fetch_all_or_cancel"
    run = await world.call(watched, urls, fetch)
    return run, tasks_at_exit


# Pictures ---------------------------------------------------------------------------


def expected_picture(replies: Mapping[str, ReplySpec]) -> list[Span]:
    """Every fetch started at 0; the first failure at 1 s cancels those still running."""
    rows = []
    for url, spec in replies.items():
        reply = spec if isinstance(spec, Reply) else Reply(float(cast(float, spec)))
        if reply.after < FAILS_AT:
            rows.append(Span(url, 0.0, reply.after, "returned"))
        elif reply.after == FAILS_AT and reply.fail:
            rows.append(Span(url, 0.0, FAILS_AT, "raised"))
        else:
            rows.append(Span(url, 0.0, FAILS_AT, "cancelled"))
    return rows


def picture(run: Run, fetch: FakeFetch, replies: Mapping[str, ReplySpec]) -> str:
    return side_by_side(rebase(spans(fetch.calls), run.started), expected_picture(replies))


def t(run: Run, when: float | None) -> str:
    """A moment of the call as the learner reads it: ``t=1``."""
    return moment(when, run.started)


def leaves(group: BaseExceptionGroup[Any]) -> list[BaseException]:
    """The exceptions a group holds, nested groups flattened."""
    found: list[BaseException] = []
    for error in group.exceptions:
        found.extend(leaves(error) if isinstance(error, BaseExceptionGroup) else [error])
    return found
