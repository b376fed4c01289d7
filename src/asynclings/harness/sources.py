"""An instrumented producer/consumer pair: an async source of items and a handle.

Exercises about queues read an async iterable and hand each item to an async callable.
:class:`Conveyor` builds both, sharing one ordered event log, so a grader can ask, at
any moment of the run, how far ahead the source had been read, how many items were
being handled and how many were waiting::

    conveyor = Conveyor(range(10), produce=0.0, handle=1.0, fail={5})
    await pump(conveyor.source, conveyor.handle, workers=2, maxsize=3)
    conveyor.asks()      # every request for an item, with the unfinished items then
    conveyor.settled()   # the state at the end of every simulated instant

* :class:`FakeSource` — ``async for item in source``: item ``i`` takes ``produce(i)``
  simulated seconds to arrive (zero: it arrives without yielding to the loop, like a
  plain ``async def`` generator over a list). It behaves like an async generator: one
  request at a time (a second concurrent ``__anext__`` raises ``RuntimeError``), and a
  request cancelled mid-way closes it.
* :class:`FakeHandle` — ``await handle(item)`` takes ``handle(i)`` seconds, then returns
  ``None`` or, for the items in ``fail``, raises a :class:`HandleError`.

"Unfinished" items are those taken from the source whose handle has not ended yet (it
is queued, waiting, or being handled). All counts are kept in the order things happened,
so several events at one simulated instant are told apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .fakes import Outcome, _now, _take

__all__ = [
    "Conveyor",
    "ConveyorEvent",
    "FakeHandle",
    "FakeSource",
    "HandleCall",
    "HandleError",
    "Snapshot",
]

EventKind = Literal["ask", "take", "end", "abandon", "start", "return", "raise", "cancel"]
"""``ask``: the source was asked for its next item; ``take``: it delivered one; ``end``:
it raised ``StopAsyncIteration``; ``abandon``: a request was cancelled; ``start``,
``return``, ``raise``, ``cancel``: a handle call began or ended that way."""

Seconds = float | Sequence[float] | Mapping[int, float] | Callable[[int], float]
"""Seconds per item: one number for all, a list or mapping by item index, or a function
of the index (an index missing from a mapping takes 0 s)."""


def _seconds(spec: Seconds, index: int) -> float:
    if callable(spec):
        return float(spec(index))
    if isinstance(spec, Mapping):
        return float(spec.get(index, 0.0))
    if isinstance(spec, Sequence):
        return float(spec[index])
    return float(spec)


class HandleError(Exception):
    """What a failing fake handle raises: a distinct object for every failing call."""

    def __init__(self, item: object, index: int) -> None:
        super().__init__(f"handle({item!r}) failed")
        self.item = item
        self.index = index


@dataclass(frozen=True)
class ConveyorEvent:
    """One thing that happened to the source or the handle."""

    seq: int
    time: float
    kind: EventKind
    index: int | None
    """The item's index in the source (``None`` for a request past the last item)."""


@dataclass(frozen=True)
class Snapshot:
    """Counts just after one event (or at the end of an instant, for :meth:`settled`)."""

    time: float
    asked: int
    taken: int
    started: int
    ended: int
    reading: bool
    """A request to the source is in progress (its item has not arrived yet)."""
    exhausted: bool
    """The source has said it has no more items (or was closed)."""

    @property
    def in_flight(self) -> int:
        """Handle calls running."""
        return self.started - self.ended

    @property
    def waiting(self) -> int:
        """Items taken from the source whose handle has not started."""
        return self.taken - self.started

    @property
    def unfinished(self) -> int:
        """Items taken from the source whose handle has not ended."""
        return self.taken - self.ended


@dataclass
class HandleCall:
    """One call of the fake handle, as it happened."""

    item: object
    index: int
    task: asyncio.Task[Any] | None
    started: float
    ended: float | None = None
    outcome: Outcome = "running"
    error: BaseException | None = None

    @property
    def task_name(self) -> str:
        return self.task.get_name() if self.task is not None else "<no task>"


class Conveyor:
    """A :class:`FakeSource` of ``items`` and a :class:`FakeHandle` for them, sharing
    one event log.

    ``produce`` is the time each item takes to arrive, ``handle`` the time each handle
    call takes (see :data:`Seconds`); the items whose indices are in ``fail`` make
    their handle raise :class:`HandleError` after their time. Items must be distinct
    (by type and value).
    """

    def __init__(
        self,
        items: Iterable[object],
        *,
        produce: Seconds = 0.0,
        handle: Seconds = 0.0,
        fail: Collection[int] = (),
    ) -> None:
        self.items = list(items)
        self._index = {(type(item), item): i for i, item in enumerate(self.items)}
        if len(self._index) != len(self.items):
            raise ValueError("a Conveyor's items must be distinct")
        self.events: list[ConveyorEvent] = []
        self.origin = 0.0
        """The simulated time the run under test started: times shown to a learner are
        counted from it (the grader sets it)."""
        self.source = FakeSource(self, produce)
        self.handle = FakeHandle(self, handle, fail)

    def index_of(self, item: object) -> int | None:
        try:
            return self._index.get((type(item), item))
        except TypeError:  # unhashable: not one of ours
            return None

    def record(self, kind: EventKind, index: int | None) -> None:
        self.events.append(ConveyorEvent(len(self.events), _now(), kind, index))

    # Questions graders ask ------------------------------------------------------------

    def snapshots(self) -> list[Snapshot]:
        """The counts just after each event, in order."""
        asked = taken = started = ended = 0
        reading = exhausted = False
        result = []
        for event in self.events:
            if event.kind == "ask":
                asked += 1
                reading = True
            elif event.kind == "take":
                taken += 1
                reading = False
            elif event.kind in ("end", "abandon"):
                reading = False
                exhausted = True
            elif event.kind == "start":
                started += 1
            else:
                ended += 1
            result.append(Snapshot(event.time, asked, taken, started, ended, reading, exhausted))
        return result

    def settled(self) -> list[Snapshot]:
        """The counts at the end of every instant at which something happened: what
        held while the loop was idle, waiting for time to move."""
        last: dict[float, Snapshot] = {}
        for snapshot in self.snapshots():
            last[snapshot.time] = snapshot
        return list(last.values())

    def asks(self) -> list[Snapshot]:
        """The counts at the moment of each request for an item (just before it)."""
        before = Snapshot(0.0, 0, 0, 0, 0, False, False)
        result = []
        for event, snapshot in zip(self.events, self.snapshots(), strict=True):
            if event.kind == "ask":
                result.append(
                    Snapshot(
                        event.time,
                        before.asked,
                        before.taken,
                        before.started,
                        before.ended,
                        before.reading,
                        before.exhausted,
                    )
                )
            before = snapshot
        return result

    def ask_times(self) -> list[float]:
        return [event.time for event in self.events if event.kind == "ask"]

    @property
    def max_in_flight(self) -> int:
        return max((s.in_flight for s in self.snapshots()), default=0)

    def taken_at(self, index: int) -> float | None:
        for event in self.events:
            if event.kind == "take" and event.index == index:
                return event.time
        return None


class FakeSource:
    """An instrumented async iterator over a :class:`Conveyor`'s items."""

    def __init__(self, conveyor: Conveyor, produce: Seconds) -> None:
        self._conveyor = conveyor
        self._produce = produce
        self._next = 0
        self._busy = False
        self._closed = False

    def __aiter__(self) -> FakeSource:
        return self

    async def __anext__(self) -> object:
        conveyor = self._conveyor
        if self._busy:
            raise RuntimeError(
                "anext(): the source was asked for an item while it was still producing "
                "the previous one (read an async iterator from one task at a time)"
            )
        index = self._next if self._next < len(conveyor.items) and not self._closed else None
        conveyor.record("ask", index)
        if index is None:
            if not self._closed:
                self._closed = True
                conveyor.record("end", None)
            raise StopAsyncIteration
        seconds = _seconds(self._produce, index)
        if seconds > 0:
            self._busy = True
            try:
                await _take(seconds)
            except asyncio.CancelledError:
                self._closed = True  # as an async generator: cancelled mid-way, it is done
                conveyor.record("abandon", index)
                raise
            finally:
                self._busy = False
        self._next += 1
        conveyor.record("take", index)
        return conveyor.items[index]

    async def aclose(self) -> None:
        """Stop the source, as ``aclose()`` stops an async generator."""
        self._closed = True


class FakeHandle:
    """An instrumented ``async def handle(item) -> None`` over a :class:`Conveyor`."""

    def __init__(self, conveyor: Conveyor, durations: Seconds, fail: Collection[int]) -> None:
        self._conveyor = conveyor
        self._durations = durations
        self.fail = frozenset(fail)
        self.calls: list[HandleCall] = []
        self.requested = 0
        """How many times ``handle(item)`` was called (awaited or not)."""

    def __call__(self, item: object) -> Coroutine[Any, Any, None]:
        self.requested += 1
        return self.run(item)

    async def run(self, item: object) -> None:
        """The handle itself (what calling the fake returns a coroutine of)."""
        conveyor = self._conveyor
        index = conveyor.index_of(item)
        if index is None:
            raise KeyError(f"handle was called with {item!r}, which the source never produced")
        call = HandleCall(item, index, asyncio.current_task(), _now())
        self.calls.append(call)
        conveyor.record("start", index)
        try:
            await _take(_seconds(self._durations, index))
        except asyncio.CancelledError:
            call.outcome = "cancelled"
            call.ended = _now()
            conveyor.record("cancel", index)
            raise
        call.ended = _now()
        if index in self.fail:
            call.outcome = "raised"
            call.error = HandleError(item, index)
            conveyor.record("raise", index)
            raise call.error
        call.outcome = "returned"
        conveyor.record("return", index)

    def calls_for(self, index: int) -> list[HandleCall]:
        return [call for call in self.calls if call.index == index]

    def running(self) -> list[HandleCall]:
        return [call for call in self.calls if call.outcome == "running"]

    def tasks(self) -> set[asyncio.Task[Any]]:
        """The distinct tasks handle was called from."""
        return {call.task for call in self.calls if call.task is not None}
