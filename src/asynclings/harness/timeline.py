"""Text pictures of a run: fetch timelines and store-operation traces.

Concurrency is easier seen than read. A failed time bound shows the learner's run next
to the expected one::

    your run (simulated seconds)          expected
    a  |==========          |  0-1        a  |==========          |  0-1
    b  |          ==========|  1-2        b  |====================|  0-2

``=`` is time in flight; a call that was cancelled ends in ``x``, one that raised in
``!``, one still running at the end of the picture in ``>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .fakes import FakeStore, FetchCall

__all__ = ["Span", "rebase", "side_by_side", "spans", "store_trace", "timeline"]

_END_MARK = {"returned": "=", "raised": "!", "cancelled": "x", "running": ">"}


@dataclass(frozen=True)
class Span:
    """One bar of a timeline."""

    label: str
    start: float
    end: float | None
    outcome: str = "returned"


def spans(calls: Sequence[FetchCall]) -> list[Span]:
    """The spans of recorded fetch calls, attempts numbered when a url repeats, ordered
    by start time then url (so that the picture does not depend on the order in which
    the code happened to start calls that began at the same instant)."""
    repeated = {call.url for call in calls if call.attempt > 0}
    calls = sorted(calls, key=lambda call: (call.started, call.url, call.attempt))
    return [
        Span(
            f"{call.url} #{call.attempt + 1}" if call.url in repeated else call.url,
            call.started,
            call.ended,
            call.outcome,
        )
        for call in calls
    ]


def rebase(rows: Sequence[Span], origin: float) -> list[Span]:
    """``rows`` with their times counted from ``origin`` (the start of the run under
    test) instead of the loop's clock; a span still running stays open."""
    return [
        Span(
            row.label,
            row.start - origin,
            None if row.end is None else row.end - origin,
            row.outcome,
        )
        for row in rows
    ]


def _fmt(seconds: float) -> str:
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


def timeline(rows: Sequence[Span], *, until: float | None = None, width: int = 24) -> list[str]:
    """Draw ``rows`` on a common scale from 0 to ``until`` (default: the last end)."""
    ends = [row.end for row in rows if row.end is not None] + [row.start for row in rows]
    horizon = until if until is not None else max(ends, default=0.0)
    horizon = horizon or 1.0
    label_width = max((len(row.label) for row in rows), default=1)
    lines = []
    for row in rows:
        end = row.end if row.end is not None else horizon
        first = min(width - 1, round(row.start / horizon * width))
        last = max(first + 1, min(width, round(end / horizon * width)))
        bar = [" "] * width
        for i in range(first, last):
            bar[i] = "="
        mark = _END_MARK.get(row.outcome if row.end is not None else "running", "=")
        bar[last - 1] = mark
        span = f"{_fmt(row.start)}-{_fmt(end)}" if row.end is not None else f"{_fmt(row.start)}-"
        lines.append(f"{row.label:<{label_width}}  |{''.join(bar)}|  {span}")
    return lines


def side_by_side(yours: Sequence[Span], expected: Sequence[Span], *, width: int = 24) -> str:
    """The learner's timeline beside the expected one, on one scale."""
    ends = [s.end for s in (*yours, *expected) if s.end is not None]
    until = max(ends, default=1.0)
    left = timeline(yours, until=until, width=width)
    right = timeline(expected, until=until, width=width)
    left_width = max([len(line) for line in left] + [28])
    lines = [f"{'your run (simulated seconds)':<{left_width}}    expected"]
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        lines.append(f"{a:<{left_width}}    {b}".rstrip())
    lines.append("('=' in flight, 'x' cancelled, '!' raised, '>' still running)")
    return "\n".join(lines)


def store_trace(store: FakeStore, *, key: str | None = None, limit: int = 16) -> str:
    """The store's reads and writes in the order they took effect, one per line."""
    ops = [op for op in store.ops if op.ended is not None and (key is None or op.key == key)]
    ops.sort(key=lambda op: op.ended if op.ended is not None else 0.0)
    task_width = max((len(op.task) for op in ops), default=4)
    lines = []
    for op in ops[:limit]:
        arrow = "->" if op.op == "read" else "<-"
        failed = "  (raised)" if op.outcome == "raised" else ""
        lines.append(
            f"t={op.ended:<6.3f} {op.task:<{task_width}}  {op.op:<5} {op.key!r} {arrow} "
            f"{op.value!r}{failed}"
        )
    if len(ops) > limit:
        lines.append(f"... {len(ops) - limit} more operations")
    return "\n".join(lines)
