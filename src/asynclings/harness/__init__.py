"""Pieces for writing graders of asyncio code, each usable on its own.

* :mod:`.loop` — :class:`VirtualLoop`: virtual time, instant deadlock detection, horizon.
* :mod:`.fakes` — :class:`FakeFetch`, :class:`FakeStore`: instrumented fakes.
* :mod:`.world` — :class:`World`: fakes, clock and run records for one rubric item.
* :mod:`.checks` — :func:`expect`, :func:`same`: assertions that speak to the learner;
  :func:`expect_callable`, :func:`expect_awaitable`: the code under test can be called
  and awaited.
* :mod:`.probes` — checks several graders share: time bounds, exactly-once fetches,
  cancellation (:func:`~.probes.cancel_during` and the checks of its run).
* :mod:`.calls` — :func:`~.calls.together`: calls started at one instant;
  :func:`~.calls.until_done_or_deadlock`: a wait that stops at a deadlock.
* :mod:`.stores` — :class:`~.stores.RecordingStore`, :func:`~.stores.fail_first`.
* :mod:`.timeline` — text timelines (:func:`rebase` counts them from a run's start) and
  store traces for failure messages.
* :mod:`.handlers` — the learner's ``except`` clauses that swallow a cancellation.
"""

from .checks import (
    RubricFailure,
    close,
    describe,
    expect,
    expect_awaitable,
    expect_callable,
    expect_same,
    fail,
    moment,
    same,
    seconds,
)
from .fakes import FakeFetch, FakeStore, FetchCall, FetchError, Reply, StoreError, StoreOp, jitter
from .loop import (
    Deadlock,
    SimulatedTimeExceeded,
    TaskWait,
    VirtualLoop,
    task_waits,
    virtual_clocks,
)
from .timeline import Span, rebase, side_by_side, spans, store_trace, timeline
from .world import Run, World

__all__ = [
    "Deadlock",
    "FakeFetch",
    "FakeStore",
    "FetchCall",
    "FetchError",
    "Reply",
    "RubricFailure",
    "Run",
    "SimulatedTimeExceeded",
    "Span",
    "StoreError",
    "StoreOp",
    "TaskWait",
    "VirtualLoop",
    "World",
    "close",
    "describe",
    "expect",
    "expect_awaitable",
    "expect_callable",
    "expect_same",
    "fail",
    "jitter",
    "moment",
    "rebase",
    "same",
    "seconds",
    "side_by_side",
    "spans",
    "store_trace",
    "task_waits",
    "timeline",
    "virtual_clocks",
]
