"""Pieces for writing graders of asyncio code, each usable on its own.

* :mod:`.loop` — :class:`VirtualLoop`: virtual time, instant deadlock detection, horizon.
* :mod:`.fakes` — :class:`FakeFetch`, :class:`FakeStore`: instrumented fakes.
* :mod:`.world` — :class:`World`: fakes, clock and run records for one rubric item.
* :mod:`.checks` — :func:`expect`, :func:`same`: assertions that speak to the learner.
* :mod:`.timeline` — text timelines and store traces for failure messages.
* :mod:`.handlers` — the learner's ``except`` clauses that swallow a cancellation.
"""

from .checks import RubricFailure, close, describe, expect, expect_same, fail, same, seconds
from .fakes import FakeFetch, FakeStore, FetchCall, FetchError, Reply, StoreError, StoreOp, jitter
from .loop import (
    Deadlock,
    SimulatedTimeExceeded,
    TaskWait,
    VirtualLoop,
    task_waits,
    virtual_clocks,
)
from .timeline import Span, side_by_side, spans, store_trace, timeline
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
    "expect_same",
    "fail",
    "jitter",
    "same",
    "seconds",
    "side_by_side",
    "spans",
    "store_trace",
    "task_waits",
    "timeline",
    "virtual_clocks",
]
