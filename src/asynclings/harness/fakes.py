"""Instrumented fakes of the world the exercises talk to: ``Fetch`` and ``Store``.

The code under test only ever *calls* them and *awaits* what they return; everything a
grader needs to judge that code (when each call started and ended, how many were in
flight, which saw cancellation and when, the order of reads and writes) is recorded on
the fake as plain data.

* :class:`FakeFetch` — ``fetch(url)`` that takes a scripted time, then returns a value
  or raises a :class:`FetchError`. Scripts can differ per attempt (retries).
* :class:`FakeStore` — ``read(key)``/``write(key, value)`` with seeded latencies, an
  operation log for race reports, and optional failures.

Both run on whatever loop runs the code under test; on a
:class:`~asynclings.harness.loop.VirtualLoop` their latencies are exact simulated seconds.
"""

from __future__ import annotations

import asyncio
import math
import random
import weakref
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from operator import is_
from typing import Any, Literal, cast

__all__ = [
    "FakeFetch",
    "FakeStore",
    "FetchCall",
    "FetchError",
    "Reply",
    "StoreError",
    "StoreOp",
    "jitter",
]

Outcome = Literal["running", "returned", "raised", "cancelled"]


def _now() -> float:
    return asyncio.get_running_loop().time()


def _task_name() -> str:
    task = asyncio.current_task()
    return task.get_name() if task is not None else "<no task>"


async def _take(seconds: float) -> None:
    """Let ``seconds`` pass; zero still yields once, as real I/O would."""
    if math.isinf(seconds):
        await asyncio.get_running_loop().create_future()  # until cancelled
    await asyncio.sleep(seconds)


class FetchError(Exception):
    """What a failing fake fetch raises: a distinct object for every failing call."""

    def __init__(self, url: str, attempt: int) -> None:
        super().__init__(f"fetch({url!r}) failed (attempt {attempt + 1})")
        self.url = url
        self.attempt = attempt


@dataclass(frozen=True)
class Reply:
    """How one call of a fake fetch behaves: it takes ``after`` seconds, then returns
    (or raises a :class:`FetchError` if ``fail``). ``after=math.inf`` never answers."""

    after: float
    fail: bool = False


ReplySpec = float | Reply | Sequence[float | Reply]


@dataclass
class FetchCall:
    """One call of a fake fetch, as it happened."""

    url: str
    attempt: int
    """0 for the first call with this url, 1 for the second..."""
    task: str
    started: float
    ended: float | None = None
    outcome: Outcome = "running"
    result: object = None
    error: BaseException | None = None

    @property
    def cancelled_at(self) -> float | None:
        """When the call saw ``CancelledError`` (``None`` if it was never cancelled)."""
        return self.ended if self.outcome == "cancelled" else None


class FakeFetch:
    """An instrumented ``async def fetch(url)``.

    ``replies`` maps each url to how its calls behave: a number of seconds, a
    :class:`Reply`, or a list of them, one per attempt (the last one repeats). Each
    successful call returns ``results[url]`` (default: ``"<body of URL>"``, or
    ``"<body of URL #TAG>"`` with a ``tag``, which batch grading draws per submission
    so that results copied from a message are wrong the next time).
    """

    def __init__(
        self,
        replies: Mapping[str, ReplySpec],
        *,
        results: Mapping[str, object] | None = None,
        tag: str = "",
    ) -> None:
        self.replies = dict(replies)
        suffix = f" #{tag}" if tag else ""
        self.results: dict[str, object] = {
            url: (results[url] if results and url in results else f"<body of {url}{suffix}>")
            for url in self.replies
        }
        self.calls: list[FetchCall] = []
        self.requested = 0
        """How many times ``fetch(url)`` was called (awaited or not)."""
        self.in_flight = 0
        self.max_in_flight = 0
        self.in_flight_history: list[tuple[float, int]] = []
        """``(time, calls in flight)`` after every change, in order."""
        # The fake's own record of all of the above (the code under test is handed this
        # object): the fake behaves by it, and :meth:`tampering` compares.
        self.__replies = dict(self.replies)
        self.__results = dict(self.results)
        self.__journal: list[tuple[FetchCall, tuple[Any, ...]]] = []
        self.__history: list[tuple[float, int]] = []
        self.__requested = 0
        _live.append(weakref.ref(self))

    @property
    def urls(self) -> list[str]:
        return list(self.__replies)

    def __call__(self, url: str) -> Coroutine[Any, Any, object]:
        self.requested += 1
        self.__requested += 1
        return self.fetch(url)

    @property
    def touched(self) -> int:
        """How many times the code under test used the fake (calls made)."""
        return self.__requested + len(self.__journal)

    def reply_for(self, url: str, attempt: int) -> Reply:
        spec = self.__replies[url]
        if isinstance(spec, Sequence):
            spec = spec[min(attempt, len(spec) - 1)]
        return spec if isinstance(spec, Reply) else Reply(float(spec))

    async def fetch(self, url: str) -> object:
        """The fetch itself (what calling the fake returns a coroutine of)."""
        if url not in self.__replies:
            raise KeyError(f"fetch was called with {url!r}, which is not one of the urls")
        attempt = sum(1 for call, _ in self.__journal if call.url == url)
        reply = self.reply_for(url, attempt)
        call = FetchCall(url=url, attempt=attempt, task=_task_name(), started=_now())
        self.calls.append(call)
        entry = len(self.__journal)
        self.__journal.append((call, _fields(call)))
        self._count(+1)
        try:
            await _take(reply.after)
        except asyncio.CancelledError:
            call.outcome = "cancelled"
            raise
        finally:
            call.ended = _now()
            self._count(-1)
            self.__journal[entry] = (call, _fields(call))
        if reply.fail:
            call.outcome = "raised"
            call.error = FetchError(url, attempt)
            self.__journal[entry] = (call, _fields(call))
            raise call.error
        call.outcome = "returned"
        call.result = self.__results[url]
        self.__journal[entry] = (call, _fields(call))
        return call.result

    def _count(self, delta: int) -> None:
        self.in_flight += delta
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        change = (_now(), self.in_flight)
        self.in_flight_history.append(change)
        self.__history.append(change)

    def tampering(self) -> list[str]:
        """What differs between the fake's public record and its own: changes made by
        the code under test (which is handed this object), not by the fake."""
        found = []
        if not _same_mapping(self.replies, self.__replies):
            found.append("the fake fetch's replies (its latencies) were changed")
        if not _same_mapping(self.results, self.__results):
            found.append("the fake fetch's results were changed")
        found += _log_tampering(
            self.calls,
            self.__journal,
            "the fake fetch's record of calls was changed",
            "the times or outcomes recorded for the fake fetch's calls were changed",
        )
        peak = max((n for _, n in self.__history), default=0)
        current = self.__history[-1][1] if self.__history else 0
        if (
            len(self.in_flight_history) != len(self.__history)
            or not all(map(is_, self.in_flight_history, self.__history))
            or self.max_in_flight != peak
            or self.in_flight != current
            or self.requested != self.__requested
        ):
            found.append("the fake fetch's counts of calls in flight were changed")
        return found

    # Questions graders ask ------------------------------------------------------------

    def calls_for(self, url: str) -> list[FetchCall]:
        return [call for call in self.calls if call.url == url]

    def running(self) -> list[FetchCall]:
        """Calls that have neither returned, raised nor been cancelled, by start time
        then url (not call order: code that starts tasks from a set starts them in an
        order that changes from run to run)."""
        return _by_start([call for call in self.calls if call.outcome == "running"])

    def cancelled(self) -> list[FetchCall]:
        """Calls that saw ``CancelledError``, by start time then url."""
        return _by_start([call for call in self.calls if call.outcome == "cancelled"])

    def in_flight_at(self, moment: float) -> int:
        """Calls in flight just after ``moment`` (after every change made at it)."""
        count = 0
        for when, in_flight in self.in_flight_history:
            if when > moment:
                break
            count = in_flight
        return count


_live: list[weakref.ref[Any]] = []


def live() -> list[Any]:
    """Every fake still in use that was made since the current rubric item's world was
    (see World.verify), in the order they were made. Held weakly: keeping a fake alive
    longer would move when Python reports its never-awaited coroutines, into another
    item."""
    return [fake for ref in _live if (fake := ref()) is not None]


def forget(fake: Any | None = None) -> None:
    """Stop checking ``fake`` (a copy a grader made for a picture), or all fakes."""
    if fake is None:
        _live.clear()
    else:
        _live[:] = [ref for ref in _live if ref() is not fake]


def _fields(record: Any) -> tuple[Any, ...]:
    """A call's or an operation's fields as they are now (compared by identity: no
    ``id()``, which is an audit event, and no ``==``, which may be the code's own)."""
    if isinstance(record, FetchCall):
        return (
            record.url,
            record.attempt,
            record.task,
            record.started,
            record.ended,
            record.outcome,
            record.result,
            record.error,
        )
    return (
        record.op,
        record.key,
        record.task,
        record.started,
        record.ended,
        record.value,
        record.outcome,
    )


def _changed(record: Any, fields: tuple[Any, ...]) -> bool:
    return not all(map(is_, _fields(record), fields))


def _log_tampering(
    public: list[Any], journal: list[tuple[Any, tuple[Any, ...]]], log: str, fields: str
) -> list[str]:
    """``[log]`` if the public list of records is not the journal's, ``[fields]`` if a
    record's fields were changed, else ``[]``."""
    records = [record for record, _ in journal]
    if len(public) != len(records) or not all(map(is_, public, records)):
        return [log]
    if any(_changed(record, recorded) for record, recorded in journal):
        return [fields]
    return []


def _same_mapping(public: Any, private: dict[str, Any]) -> bool:
    return (
        isinstance(public, dict)
        and list(public) == list(private)
        and all(public[key] is value for key, value in private.items())
    )


def _by_start(calls: list[FetchCall]) -> list[FetchCall]:
    return sorted(calls, key=lambda call: (call.started, call.url, call.attempt))


class StoreError(Exception):
    """What a failing fake store operation raises."""


@dataclass
class StoreOp:
    """One ``read`` or ``write`` of a fake store, as it happened."""

    op: Literal["read", "write"]
    key: str
    task: str
    started: float
    ended: float | None = None
    value: object = None
    """The value read (when the read ended) or the value written."""
    outcome: Outcome = "running"


Latency = float | Callable[[str, str], float]
"""Seconds per operation, or ``latency(op, key)`` returning them."""


def jitter(
    seed: int, choices: Sequence[float] = (0.0, 0.001, 0.002, 0.003)
) -> Callable[..., float]:
    """A seeded latency function: each call draws one of ``choices``.

    Public-API interleaving exploration: different seeds reorder the code's awaits the
    way varying I/O latency would, without touching asyncio's scheduler.
    """
    rng = random.Random(seed)

    def latency(*_: object) -> float:
        return rng.choice(choices)

    return latency


class FakeStore:
    """An instrumented key-value store: ``read(key) -> int`` (0 when missing) and
    ``write(key, value)``, each taking ``latency`` seconds.

    A read returns the value as it is when the read *ends*; a write takes effect when it
    ends. ``fail(op)``, if given, is asked at the end of every operation and makes it
    raise :class:`StoreError` when it returns true.
    """

    def __init__(
        self,
        initial: Mapping[str, int] | None = None,
        *,
        latency: Latency = 0.01,
        fail: Callable[[StoreOp], bool] | None = None,
    ) -> None:
        self.data: dict[str, int] = dict(initial or {})
        self.latency = latency
        self.fail = fail
        self.ops: list[StoreOp] = []
        self.in_flight = 0
        self.max_in_flight = 0
        # The store's own record (see FakeFetch): it behaves by this one.
        self.__data = dict(self.data)
        self.__latency = latency
        self.__fail = fail
        self.__journal: list[tuple[StoreOp, tuple[Any, ...]]] = []
        self.__in_flight = 0
        self.__peak = 0
        _live.append(weakref.ref(self))

    def _seconds(self, op: str, key: str) -> float:
        latency = self.__latency
        return latency(op, key) if callable(latency) else latency

    async def _run(self, op: StoreOp, apply: Callable[[], object]) -> object:
        self.ops.append(op)
        entry = len(self.__journal)
        self.__journal.append((op, _fields(op)))
        self.in_flight += 1
        self.__in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.__peak = max(self.__peak, self.__in_flight)
        try:
            await _take(self._seconds(op.op, op.key))
            if self.__fail is not None and self.__fail(op):
                op.outcome = "raised"
                raise StoreError(f"store {op.op} of {op.key!r} failed")
            result = apply()
            op.outcome = "returned"
            return result
        except asyncio.CancelledError:
            op.outcome = "cancelled"
            raise
        finally:
            op.ended = _now()
            self.in_flight -= 1
            self.__in_flight -= 1
            self.__journal[entry] = (op, _fields(op))

    @property
    def touched(self) -> int:
        """How many operations the code under test started."""
        return len(self.__journal)

    def _apply_write(self, key: str, value: int) -> None:
        self.data[key] = value
        self.__data[key] = value

    def set(self, key: str, value: int) -> None:
        """Change a value behind the code's back, at once (for graders: the code under
        test must use :meth:`read` and :meth:`write`)."""
        self._apply_write(key, value)

    def tampering(self) -> list[str]:
        """What differs between the store's public record and its own (see
        :meth:`FakeFetch.tampering`)."""
        found = []
        if self.data != self.__data or any(type(v) is not int for v in self.data.values()):
            found.append("the fake store's data was changed without the store's methods")
        if self.latency is not self.__latency or self.fail is not self.__fail:
            found.append("the fake store's latency or failures were changed")
        found += _log_tampering(
            self.ops,
            self.__journal,
            "the fake store's operation log was changed",
            "the times or values recorded for the store's operations were changed",
        )
        if self.in_flight != self.__in_flight or self.max_in_flight != self.__peak:
            found.append("the fake store's counts of operations in flight were changed")
        return found

    async def read(self, key: str) -> int:
        op = StoreOp("read", key, _task_name(), _now())

        def apply() -> int:
            value = self.__data.get(key, 0)
            op.value = value
            return value

        return cast(int, await self._run(op, apply))

    async def write(self, key: str, value: int) -> None:
        op = StoreOp("write", key, _task_name(), _now(), value=value)

        def apply() -> None:
            self._apply_write(key, value)

        await self._run(op, apply)

    def ops_on(self, key: str) -> list[StoreOp]:
        return [op for op in self.ops if op.key == key]
