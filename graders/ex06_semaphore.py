"""Grader for exercise 6: ``crawl`` with bounded concurrency (``asyncio.Semaphore``).

Every sentence of the contract has its item:

* at most ``limit`` in flight ............................ test_never_more_than_limit_in_flight
* exactly ``limit`` whenever that many wait (no idle slot) test_no_idle_slots
* results in input order, ``[]`` for no urls ............. test_results_in_input_order
* a failure's exception stands in its slot ............... test_failures_stay_in_their_slots
* a failure neither slows nor stops the others ........... test_failures_do_not_slow_the_others
* ``limit < 1`` → ``ValueError`` before any fetch ......... test_bad_limit_raises_value_error
* ``fetch(url)`` exactly once per url .................... test_each_url_fetched_once
* cancelling ``crawl`` stops it at once, propagates and
  cancels its fetches .................................... test_cancellation_propagates

"No idle slot" is judged on the fetches' in-flight count, not on the total time: the
contract does not fix the order in which urls start, and a different order gives a
different (equally correct) total. At every moment of the crawl, after all that
happened at that instant, the fetches in flight must be at least
``min(limit, urls not finished yet)``.

A cancelled crawl must let ``CancelledError`` out at the instant it was cancelled (the
fake fetches end the moment they are cancelled). One that goes on, waits, or returns is
explained from the run (which fetches started after the cancellation, which task caught
its fetch's ``CancelledError`` and carried on) and from the learner's own ``except``
clause that catches it, quoted (the classic mistake: ``except BaseException`` or a bare
``except:`` around each fetch, in a worker).
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import random
from collections.abc import Sequence
from dataclasses import dataclass
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
    expect_same,
    fail,
    rebase,
    seconds,
    side_by_side,
    spans,
    timeline,
)
from asynclings.harness.calls import until_done_or_deadlock
from asynclings.harness.handlers import quote_handlers, swallowing_handlers
from asynclings.harness.probes import expect_results_fetched
from asynclings.harness.world import verdict_errors
from asynclings.rubric import item

SETTLE = 100.0
"""Simulated seconds a grader waits for work that a call left running to play out."""

# Finishing order (b, a, c, d, e) differs from input order; limit 2.
ORDER_LATENCIES = {"a": 3.0, "b": 1.0, "c": 2.5, "d": 0.75, "e": 1.5}
# Limit 3: the greedy schedule ends at 5 s; batches of 3 leave slots idle from t=1.
IDLE_LATENCIES = {"a": 3.0, "b": 1.0, "c": 2.0, "d": 1.5, "e": 0.5, "f": 2.5, "g": 1.0}
# Limit 3, b and e fail. Finishing times rise with the input order (0.5, 1, 1.25,
# 2.25, 3, 3.75), so this item does not depend on the order of the results.
SLOT_REPLIES = {
    "a": Reply(0.5),
    "b": Reply(1.0, fail=True),
    "c": Reply(1.25),
    "d": Reply(1.75),
    "e": Reply(2.0, fail=True),
    "f": Reply(2.5),
}
# Limit 2, b fails at 0.5 s. Every event happens at its own instant, so the schedule
# with the failure must be exactly the schedule without it.
SLOW_LATENCIES = {"a": 1.25, "b": 0.5, "c": 1.0, "d": 0.75, "e": 1.125, "f": 0.875}
SLOW_FAILING = "b"
SLOW_REPLIES = {
    url: Reply(after, fail=url == SLOW_FAILING) for url, after in SLOW_LATENCIES.items()
}
# Limit 2, cancelled at 1.5 s: a and c are in flight, d and e are waiting.
CANCEL_LATENCIES = {"a": 1.0, "b": 2.0, "c": 1.0, "d": 1.0, "e": 1.0}
CANCEL_AT = 1.5


# Rubric items ---------------------------------------------------------------------------


@item(points=2)
async def test_never_more_than_limit_in_flight(learner, world):
    """crawl never has more than limit fetches in flight at once, failures included."""
    for limit, latencies in ((3, IDLE_LATENCIES), (2, ORDER_LATENCIES)):
        fetch = world.fetch(latencies)
        run = await _crawl(world, learner, fetch, list(latencies), limit)
        run.result  # an exception here is the verdict
        _expect_at_most(run, fetch, list(latencies), limit)
    # A failing fetch must free exactly one slot: its permit is not given back twice.
    fetch = world.fetch(SLOW_REPLIES)
    run = await _crawl(world, learner, fetch, list(SLOW_REPLIES), 2)
    await _settle()  # whether crawl kept the failure is judged by another item
    _expect_at_most(run, fetch, list(SLOW_REPLIES), 2)


@item(points=2)
async def test_no_idle_slots(learner, world):
    """crawl keeps exactly limit fetches in flight whenever that many urls are waiting."""
    urls = list(IDLE_LATENCIES)
    fetch = world.fetch(IDLE_LATENCIES)
    run = await _crawl(world, learner, fetch, urls, 3)
    run.result
    _expect_no_idle_slot(run, fetch, urls, 3)

    async def scenario(seed: int) -> None:
        rng = random.Random(seed)
        count = rng.randint(1, 8)
        limit = rng.randint(1, 5)  # sometimes more than there are urls
        latencies = {chr(ord("a") + i): rng.choice((0.5, 1.0, 1.5, 2.0, 3.0)) for i in range(count)}
        fetch = world.fetch(latencies)
        run = await _crawl(world, learner, fetch, list(latencies), limit)
        run.result
        _expect_no_idle_slot(run, fetch, list(latencies), limit)

    await world.explore(scenario, count=40)


@item(points=1)
async def test_results_in_input_order(learner, world):
    """crawl returns the results in the order of the urls, and [] for no urls at once."""
    urls = list(ORDER_LATENCIES)
    fetch = world.fetch(ORDER_LATENCIES)
    run = await _crawl(world, learner, fetch, urls, 2)
    got = run.result
    _expect_no_error_of_its_own(got, fetch)
    expected = [fetch.results[url] for url in urls]
    if isinstance(got, list) and sorted(map(str, got)) == sorted(map(str, expected)):
        expect_same(
            got,
            expected,
            "crawl returned the right results in the wrong order: the list must follow the "
            "order of `urls`, not the order the fetches finished in (gather keeps its "
            "arguments' order; a worker can write each result at its url's index)",
        )
    expect_same(got, expected, "crawl must return one result per url, in the order of `urls`")
    expect_results_fetched(run, fetch, urls)
    for limit in (1, 3):
        fetch = world.fetch({})
        run = await _crawl(world, learner, fetch, [], limit)
        expect_same(run.result, [], f"crawl([], fetch, {limit}) must return []")
        expect(
            run.duration == 0,
            f"crawl([], fetch, {limit}) took {seconds(run.duration)}; it must return at once",
        )


@item(points=1)
async def test_failures_stay_in_their_slots(learner, world):
    """A failed fetch's exception object stands in its slot; every other result is delivered."""
    urls = list(SLOT_REPLIES)
    fetch = world.fetch(SLOT_REPLIES)
    run = await _crawl(world, learner, fetch, urls, 3)
    errors = {
        url: [call.error for call in fetch.calls_for(url) if call.error is not None] for url in urls
    }
    if isinstance(run.error, BaseExceptionGroup):
        fail(
            "crawl raised an ExceptionGroup when fetch('b') failed: a failure must not make "
            "crawl raise. With a TaskGroup, catch the exception inside each task and return "
            "it, so that it stands in its slot (or use gather(..., return_exceptions=True))"
        )
    if run.error is not None and any(run.error is e for found in errors.values() for e in found):
        fail(
            f"crawl raised the fetch's own exception ({run.error}); a failed fetch must not "
            "make crawl raise: its exception object goes in its slot and the other results "
            "are still delivered (gather(..., return_exceptions=True))"
        )
    got = run.result
    _expect_no_error_of_its_own(got, fetch)
    if not isinstance(got, list) or len(got) != len(urls):
        fail(
            f"crawl returned {describe(got)} for {len(urls)} urls, two of them failing; "
            "expected a list with one entry per url: the result, or the exception raised"
        )
    for index, url in enumerate(urls):
        slot = got[index]
        if SLOT_REPLIES[url].fail:
            if any(slot is error for error in errors[url]):
                continue
            if isinstance(slot, str) and any(slot == str(error) for error in errors[url]):
                cause = "its message, a str: keep the exception object itself"
            else:
                cause = describe(slot)
            fail(
                f"slot {index} of the result (fetch({url!r}), which raised) holds {cause}; "
                "it must hold the exception object that fetch raised"
            )
        expect_same(
            slot,
            fetch.results[url],
            f"slot {index} of the result must hold what fetch({url!r}) returned: one fetch "
            "failing must not lose or change the others' results",
        )


@item(points=1)
async def test_failures_do_not_slow_the_others(learner, world):
    """A failing fetch frees its slot at once: it neither slows nor stops the others."""
    urls = list(SLOW_LATENCIES)
    clean = world.fetch(SLOW_LATENCIES)
    clean_run = await _crawl(world, learner, clean, urls, 2)
    clean_run.result  # an exception here is the verdict
    failing = world.fetch(SLOW_REPLIES)
    run = await _crawl(world, learner, failing, urls, 2)
    await _settle()  # a crawl that raised may have left its fetches running
    picture = (
        side_by_side(_yours(run, failing), _yours(clean_run, clean))
        + f"\n(left: your crawl with fetch({SLOW_FAILING!r}) failing at 0.5 s; "
        "right: your crawl of the same urls when nothing fails)"
    )
    failure = f"fetch({SLOW_FAILING!r}) raised at 0.5 s"
    freed = (
        "A permit must come back even when fetch raises: use `async with semaphore:` or "
        "release it in `finally:`"
    )
    if len(failing.calls_for(SLOW_FAILING)) > len(clean.calls_for(SLOW_FAILING)):
        fail(
            f"crawl fetched {SLOW_FAILING!r} again after {failure}, and the retry held a slot "
            "the other urls were waiting for: a failed fetch is not retried; its exception "
            "stands in its slot and the slot goes to the next url at once",
            details=picture,
        )
    for url in urls:
        calls = failing.calls_for(url)
        if clean.calls_for(url) and not calls:
            fail(
                f"fetch({url!r}) never started after {failure}: one failure must not stop "
                "the others",
                details=picture,
            )
        if url != SLOW_FAILING and calls and calls[0].outcome == "cancelled":
            fail(
                f"fetch({url!r}) was cancelled at t={seconds(calls[0].ended - run.started)} "
                f"after {failure}: one failure must not stop the others (a TaskGroup cancels "
                "every other task when one raises: catch the exception inside the task)",
                details=picture,
            )
    if _first_idle_slot(clean_run, clean, urls, 2) is None:
        # Without the failure no slot is ever idle; with it none may be either. (The
        # start order is free, so the two schedules need not be the same.)
        slot = _first_idle_slot(run, failing, urls, 2)
        if slot is not None:
            fail(
                f"after {failure}, {slot.describe(2)}, although your crawl keeps every slot "
                f"busy when nothing fails: the failed fetch's slot stayed taken. {freed}",
                details=picture,
            )
        return
    # The crawl leaves slots idle anyway (another item's concern): the failure must
    # change nothing about when the others run.
    order = sorted(
        (url for url in urls if clean.calls_for(url)),
        key=lambda url: clean.calls_for(url)[0].started,
    )
    for url in order:
        started = failing.calls_for(url)[0].started - run.started
        expected = clean.calls_for(url)[0].started - clean_run.started
        if close(started, expected):
            continue
        if started > expected:
            fail(
                f"fetch({url!r}) started at {seconds(started)} when {failure}, but at "
                f"{seconds(expected)} when nothing fails: the failed fetch's slot stayed "
                f"taken. {freed}",
                details=picture,
            )
        fail(
            f"fetch({url!r}) started at {seconds(started)} when {failure}, but at "
            f"{seconds(expected)} when nothing fails: the failure freed more than its own "
            "slot (a permit released twice?)",
            details=picture,
        )
    if run.error is None:
        expect(
            close(run.duration, clean_run.duration),
            f"crawl took {seconds(run.duration)} when {failure}, but "
            f"{seconds(clean_run.duration)} when nothing fails: a failure must not slow it",
            details=picture,
        )


@item(points=1)
async def test_bad_limit_raises_value_error(learner, world):
    """A limit below 1 (0, -1) raises ValueError before any fetch starts."""
    latencies = {"a": 1.0, "b": 1.0, "c": 1.0}
    for limit in (0, -1):
        fetch = world.fetch(latencies)
        run = await _crawl(world, learner, fetch, list(latencies), limit)
        if run.error is None:
            fail(
                f"crawl(urls, fetch, {limit}) returned {describe(run.value)}; a limit below "
                "1 admits no fetch: raise ValueError instead"
            )
        expect(
            isinstance(run.error, ValueError),
            f"crawl(urls, fetch, {limit}) raised {type(run.error).__name__}: {run.error}; "
            "a limit below 1 must raise ValueError",
        )
        # The contract says "before any fetch starts": creating (and closing) coroutine
        # objects first is allowed; starting one is not.
        expect(
            not fetch.calls,
            f"crawl(urls, fetch, {limit}) raised ValueError only after "
            f"{_many(len(fetch.calls), 'fetch')} had started: check the limit first, before "
            "any fetch runs",
        )


@item(points=1)
async def test_each_url_fetched_once(learner, world):
    """crawl calls fetch(url) exactly once per url, and never retries a failed one."""
    urls = list(IDLE_LATENCIES)
    fetch = world.fetch(IDLE_LATENCIES)
    run = await _crawl(world, learner, fetch, urls, 3)
    run.result
    counts = {url: len(fetch.calls_for(url)) for url in urls}
    twice = [url for url, n in counts.items() if n > 1]
    never = [url for url, n in counts.items() if n == 0]
    expect(
        not twice,
        f"crawl fetched {describe(twice)} more than once; each url must be fetched exactly "
        "once (do all the workers take their urls from one shared iterator or queue?)",
        details=_picture(run, fetch, urls, 3),
    )
    expect(not never, f"crawl never fetched {describe(never)}; every url must be fetched once")
    expect(
        fetch.requested == len(fetch.calls),
        f"crawl called fetch() {fetch.requested} times but awaited only {len(fetch.calls)} "
        "of the coroutines: call fetch(url) once, where it is awaited",
    )
    fetch = world.fetch(SLOT_REPLIES)
    run = await _crawl(world, learner, fetch, list(SLOT_REPLIES), 3)
    await _settle()
    twice = [url for url in SLOT_REPLIES if len(fetch.calls_for(url)) > 1]
    expect(
        not twice,
        f"crawl fetched {describe(twice)} more than once when they failed; a failed fetch is "
        "not retried: its exception stands in its slot",
    )


@item(points=1)
async def test_cancellation_propagates(learner, world):
    """Cancelling crawl propagates CancelledError at once and leaves none of its fetches running."""
    urls = list(CANCEL_LATENCIES)
    fetch = world.fetch(CANCEL_LATENCIES)
    before = world.tasks()
    origin = world.now
    awaitable = learner.crawl(urls, fetch, 2)
    if not inspect.isawaitable(awaitable):
        fail(f"crawl(...) returned {describe(awaitable)}: declare it with `async def crawl`")
    task = asyncio.ensure_future(awaitable)
    task.set_name("crawl")
    await asyncio.sleep(CANCEL_AT)
    if task.done():
        value = task.result()  # an exception here is the verdict
        fail(
            f"crawl returned {describe(value)} at t={seconds(CANCEL_AT)}, before its fetches "
            "(the last ends at 3 s) had finished"
        )
    started_before = len(fetch.calls)
    in_flight = fetch.running()
    workers = {t.get_name(): t for t in world.tasks() - before - {task}}
    cancelled_at = world.now
    task.cancel()
    await world.idle()
    at_once = task.done()
    if not at_once:
        await asyncio.wait({task}, timeout=SETTLE)
    finished_at = seconds(world.now - origin)  # when it finished, if it did

    def what_happened() -> str:
        """What crawl did after the cancellation, and why."""
        late = [call.url for call in fetch.calls[started_before:]]
        finished = [call.url for call in in_flight if call.outcome in ("returned", "raised")]
        done = []
        if late:
            done.append(f"after the cancellation it started {_fetches_of(late)}")
        if finished:
            done.append(f"it waited for {_fetches_of(finished)} to finish")
        facts = _swallowers(fetch, cancelled_at, workers, task.get_name())
        said = "; ".join(done)
        return f"{': ' + said if said else ''}. {_why_not_stopped(learner, facts)}"

    when = f"crawl was cancelled at t={seconds(CANCEL_AT)}"
    if not task.done():
        fail(
            f"{when} but had still not finished {seconds(SETTLE)} later: a cancellation must "
            f"propagate, not be waited out{what_happened()}",
            details=_timeline(fetch, world.now),
        )
    if not task.cancelled():
        error = task.exception()
        if error is None:
            fail(
                f"{when} but returned {describe(task.result())} at t={finished_at}: the "
                f"cancellation was swallowed{what_happened()}",
                details=_timeline(fetch, world.now),
            )
        if isinstance(error, verdict_errors):
            raise error
        fail(
            f"{when} and raised {type(error).__name__}: {error}; CancelledError itself must "
            f"propagate{what_happened()}"
        )
    if not at_once:
        fail(
            f"{when} and let CancelledError out only at t={finished_at}: it must stop at "
            f"once, cancelling its fetches{what_happened()}",
            details=_timeline(fetch, world.now),
        )
    ended_at = world.now
    await world.idle()
    running = [call.url for call in fetch.running()]
    expect(
        not running,
        f"{when} and finished at t={seconds(ended_at - origin)}, but fetches of "
        f"{describe(running)} were still running: cancelling crawl must cancel the fetches it "
        "started (gather cancels its children; tasks you created yourself must be cancelled "
        "and awaited)",
        details=_timeline(fetch, world.now),
    )
    await _settle()
    late = [call.url for call in fetch.calls if call.started > ended_at]
    expect(
        not late,
        f"{when}, yet fetches of {describe(late)} started after it had finished: something it "
        "left behind kept crawling",
        details=_timeline(fetch, world.now),
    )


# Helpers ------------------------------------------------------------------------------


# Running crawl ------------------------------------------------------------------------


async def _crawl(
    world: World, learner: Any, fetch: FakeFetch, urls: Sequence[str], limit: int
) -> Run:
    """``world.call(learner.crawl, urls, fetch, limit)``; a deadlock becomes a verdict
    that names its likely cause instead of a bare list of waiting tasks."""
    crawl = learner.crawl
    started = world.now
    call = asyncio.ensure_future(world.call(crawl, list(urls), fetch, limit))
    deadlock = await until_done_or_deadlock([call])
    if deadlock is None:
        return call.result()
    call.cancel()
    await asyncio.wait({call}, timeout=1.0)
    at = seconds(deadlock.now - started)
    failed = [c.url for c in fetch.calls if c.outcome == "raised"]
    if limit < 1:
        message = (
            f"crawl(urls, fetch, limit={limit}) never returned: with no permit to hand out, "
            "no fetch can ever start and everything waits forever (asyncio.Semaphore(0) "
            "is allowed); check `limit < 1` first and raise ValueError"
        )
    elif failed:
        message = (
            f"crawl(..., limit={limit}) never finished: at t={at} every url not yet fetched "
            f"waits for a permit, but nothing is in flight to give one back. fetch() raised "
            f"for {describe(failed)} and those permits were never released: release the "
            "permit even when fetch raises (`async with semaphore:`, or `finally:`)"
        )
    elif not fetch.calls:
        message = (
            f"crawl(..., limit={limit}) never finished and never started a fetch: every task "
            f"waits from t={at} on for something nothing will give (a semaphore with fewer "
            "than `limit` permits, say Semaphore(limit - 1) with limit 1?)"
        )
    else:
        message = (
            f"crawl(..., limit={limit}) never finished: at t={at} every task waits and "
            "nothing can wake it (a permit that is never released, an event never set)"
        )
    me = asyncio.current_task()
    assert me is not None
    graders = {me.get_name(), call.get_name()}
    waits = [wait for wait in deadlock.waits if wait.name not in graders]
    fail(message, details="\n".join(wait.describe() for wait in waits))


async def _settle() -> None:
    """Let whatever a call left running (after it raised, say) play out."""
    await asyncio.sleep(SETTLE)


# Schedules and pictures -----------------------------------------------------------------


def _greedy(fetch: FakeFetch, urls: Sequence[str], limit: int) -> list[Span]:
    """The schedule of a pool of ``limit`` slots that starts the urls in input order and
    refills a slot the moment its fetch ends: one crawl with no idle slot."""
    free_at = [0.0] * max(limit, 1)
    rows = []
    for url in urls:
        reply = fetch.reply_for(url, 0)
        start = heapq.heappop(free_at)
        end = start + reply.after
        heapq.heappush(free_at, end)
        rows.append(Span(url, start, end, "raised" if reply.fail else "returned"))
    return rows


def _yours(run: Run, fetch: FakeFetch) -> list[Span]:
    """The learner's fetches, timed from the start of ``run``."""
    return rebase(spans(fetch.calls), run.started)


def _picture(run: Run, fetch: FakeFetch, urls: Sequence[str], limit: int) -> str:
    return side_by_side(_yours(run, fetch), _greedy(fetch, urls, limit))


def _timeline(fetch: FakeFetch, until: float) -> str:
    """The fetches on their own, up to ``until``, for pictures with nothing to compare."""
    rows = timeline(spans(fetch.calls), until=until)
    return "\n".join([*rows, "('=' in flight, 'x' cancelled, '>' still running)"])


def _many(count: int, noun: str) -> str:
    plural = "fetches" if noun == "fetch" else f"{noun}s"
    return f"{count} {noun if count == 1 else plural}"


def _finished_at(fetch: FakeFetch, url: str) -> float | None:
    """When ``url`` was first fetched to the end (returned or raised)."""
    ends = [
        call.ended
        for call in fetch.calls_for(url)
        if call.outcome in ("returned", "raised") and call.ended is not None
    ]
    return min(ends, default=None)


# Checks ---------------------------------------------------------------------------------


def _expect_no_error_of_its_own(got: object, fetch: FakeFetch) -> None:
    """No slot holds an exception that fetch did not raise (the learner's code failed)."""
    if not isinstance(got, list):
        return
    raised = [call.error for call in fetch.calls if call.error is not None]
    for index, slot in enumerate(got):
        if not isinstance(slot, BaseException) or any(slot is error for error in raised):
            continue
        try:
            text = str(slot)
        except Exception:
            text = ""
        note = ""
        if "different event loop" in text:
            note = (
                ": an asyncio.Semaphore created once (at import time, in a global or as a "
                "default argument) belongs to the first event loop that used it; create "
                "it inside crawl, once per call"
            )
        fail(
            f"slot {index} of the result holds {describe(slot)}, which fetch never raised: "
            f"your own code failed there{note}"
        )


def _expect_at_most(run: Run, fetch: FakeFetch, urls: Sequence[str], limit: int) -> None:
    if fetch.max_in_flight <= limit:
        return
    moment, in_flight = next((t, n) for t, n in fetch.in_flight_history if n > limit)
    at_once = [call for call in fetch.calls if call.started == run.started]
    if len(at_once) == len(urls) > limit:
        cause = (
            f"all {len(urls)} fetches started at once, so nothing held them back. Hold a "
            "semaphore permit for the whole `await fetch(url)` (`async with semaphore: "
            "return await fetch(url)`); a permit taken only to create the coroutine or "
            "task, and given back before it is awaited, limits nothing"
        )
    else:
        cause = (
            "more fetches ran than there are permits: await each fetch inside "
            "`async with semaphore:` and give each permit back exactly once"
        )
    fail(
        f"at t={seconds(moment - run.started)} {in_flight} fetches were in flight with "
        f"limit={limit}; there must never be more than `limit` at once: {cause}",
        details=_picture(run, fetch, urls, limit),
    )


def _looks_batched(fetch: FakeFetch) -> bool:
    """Each group of fetches started only once every earlier fetch had ended."""
    starts = sorted({call.started for call in fetch.calls})
    return len(starts) > 1 and all(
        all(
            call.ended is not None and call.ended <= start
            for call in fetch.calls
            if call.started < start
        )
        for start in starts[1:]
    )


@dataclass(frozen=True)
class IdleSlot:
    """A moment of a run when fewer than ``min(limit, unfinished)`` fetches were in flight."""

    moment: float
    """Seconds from the start of the run."""
    in_flight: int
    waiting: int
    idle: int

    def describe(self, limit: int) -> str:
        were = "was" if self.in_flight == 1 else "were"
        return (
            f"at t={seconds(self.moment)} only {_many(self.in_flight, 'fetch')} {were} in "
            f"flight with limit={limit} while {_many(self.waiting, 'url')} still waited to "
            f"start: {_many(self.idle, 'slot')} sat idle"
        )


def _first_idle_slot(
    run: Run, fetch: FakeFetch, urls: Sequence[str], limit: int
) -> IdleSlot | None:
    """The first moment (after all that happened at it) with fewer fetches in flight
    than ``min(limit, urls not finished yet)``, if any."""
    finished = [_finished_at(fetch, url) for url in urls]
    moments = sorted({run.started, *(t for t, _ in fetch.in_flight_history if t >= run.started)})
    for moment in moments:
        unfinished = sum(1 for end in finished if end is None or end > moment)
        if unfinished == 0:
            return None
        in_flight = fetch.in_flight_at(moment)
        wanted = min(limit, unfinished)
        if in_flight < wanted:
            return IdleSlot(
                moment - run.started, in_flight, unfinished - in_flight, wanted - in_flight
            )
    return None


def _expect_no_idle_slot(run: Run, fetch: FakeFetch, urls: Sequence[str], limit: int) -> None:
    """At every moment, in flight >= min(limit, urls not finished yet)."""
    slot = _first_idle_slot(run, fetch, urls, limit)
    if slot is None:
        return
    if fetch.max_in_flight == 1 < limit:
        cause = (
            "the fetches ran one at a time. Start a task for every url and let an "
            "asyncio.Semaphore(limit) admit `limit` of them at once"
        )
    elif _looks_batched(fetch):
        cause = (
            "the fetches ran in fixed-size batches, and each batch waited for its "
            "slowest fetch while the slots of the fetches already done stayed empty. "
            "Start every url's task at once and let an asyncio.Semaphore(limit) hand "
            "a finished fetch's permit straight to the next url"
        )
    elif fetch.max_in_flight < min(limit, len(urls)):
        cause = (
            f"never more than {fetch.max_in_flight} fetches were in flight at once: "
            "the semaphore (or the pool of workers) has fewer than `limit` slots"
        )
    else:
        cause = (
            "a slot was not refilled the moment its fetch ended (each worker with its "
            "own share of the urls, or a refill that waits for more than one fetch?). "
            "The next url must start as soon as any fetch ends"
        )
    fail(
        f"{slot.describe(limit)}: {cause}",
        details=_picture(run, fetch, urls, limit)
        + "\n(expected: one schedule with no idle slot; any start order is fine)",
    )


def _urls(urls: Sequence[str]) -> str:
    """``'d'``, ``'d' and 'e'``, ``'c', 'd' and 'e'``."""
    quoted = [repr(url) for url in urls]
    return " and ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)


def _fetches_of(urls: Sequence[str]) -> str:
    return f"{'the fetch' if len(urls) == 1 else 'fetches'} of {_urls(urls)}"


def _swallowers(
    fetch: FakeFetch, since: float, tasks: dict[str, asyncio.Task[Any]], crawl_task: str
) -> list[str]:
    """What each task whose fetch was cancelled at or after ``since`` did instead of
    ending cancelled: facts observed in the run, one phrase per task."""
    found = []
    went_on: list[tuple[str, list[str]]] = []
    for call in fetch.calls:
        if call.outcome != "cancelled" or call.ended is None or call.ended < since:
            continue
        if call.task == crawl_task:
            who = f"crawl itself, awaiting fetch({call.url!r}),"
        else:
            who = f"the task running fetch({call.url!r})"
        later = [
            other.url
            for other in fetch.calls
            if other.task == call.task and other is not call and other.started >= call.ended
        ]
        if later:
            went_on.append((who, later))
            continue
        task = tasks.get(call.task)
        if task is None or not task.done() or task.cancelled():
            continue
        error = task.exception()
        outcome = "finished normally" if error is None else f"raised {type(error).__name__}"
        found.append(f"{who} caught its CancelledError and {outcome} instead of ending cancelled")
    if len(went_on) == 1:
        (who, later), *_ = went_on
        found.insert(0, f"{who} caught its CancelledError and went on to fetch {_urls(later)}")
    elif went_on:
        # Which task took which url depends on the order asyncio cancelled them in (a
        # TaskGroup keeps its tasks in a set): say it for them all at once.
        whose = [who.removeprefix("the task running ") for who, _ in went_on]
        later = sorted(url for _, urls in went_on for url in urls)
        found.insert(
            0,
            f"the tasks running {', '.join(whose[:-1])} and {whose[-1]} caught their "
            f"CancelledError and went on to fetch {_urls(later)}",
        )
    return found


def _why_not_stopped(learner, facts: Sequence[str]) -> str:
    """The cause of a cancellation that did not stop crawl, as sentences: the learner's
    own ``except`` clause (quoted) and what the tasks did, or the general rule when
    neither is known."""
    handlers = swallowing_handlers(learner.path)
    if handlers:
        first = next((h for h in handlers if h.function not in ("crawl", None)), handlers[0])
        in_crawl = first.function == "crawl"
        cause = f"{'crawl itself' if in_crawl else 'A worker'} {first.why}"
    elif facts:
        in_crawl = False
        cause = "A task crawl started caught the CancelledError and carried on"
    else:
        return (
            "CancelledError is a BaseException: a bare `except:`, `except BaseException` or "
            "`except asyncio.CancelledError` catches it; let it propagate (re-raise it after "
            "any clean-up)"
        )
    if in_crawl:
        advice = (
            "Clean up in that clause (cancel the tasks you started and await them), then "
            "`raise` to let CancelledError propagate"
        )
    else:
        advice = (
            "Catch `Exception` around each fetch (the fetch's errors are Exceptions; "
            "CancelledError is not one) and let CancelledError propagate; a clause that "
            "must catch it has to clean up and `raise` it again"
        )
    shown = f": {'; '.join(facts)}" if facts else ""
    return f"{cause}{shown}. {advice}{quote_handlers(handlers)}"
