"""``report.html``: the class at a glance, self-contained (no network, no scripts).

Headline numbers, the score distribution (an SVG histogram), mean points per exercise,
the submissions that need a human (rejected, crashed, timed out or carrying notes), the
commonest failure messages, the pass rate of every rubric item and a table of every
submission with links to its ``feedback/<id>.md``. Rendered with jinja2 (autoescaped)
from the results model; the geometry of the charts is computed here, the template only
places it.

Rejected submissions (nothing could be graded) are listed under *Needs review* and in the
table but left out of the statistics: their 0 says nothing about the class. Item pass
rates count only the submissions whose exercise actually ran (not the missing, the
unchanged stubs, the modules that do not load or hang at import, the crashed or the
timed out), so they measure how hard each item is. A module that does not load shows as
a labelled cell, not as a 0.
"""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .. import __version__
from ..manifest import exercises
from ..results import LEARNER_WORKFLOW, ExerciseResult, ExerciseStatus, SubmissionResult
from .files import file_stem

__all__ = ["render_report", "write_report"]

NOT_RUN = tuple(status for status in get_args(ExerciseStatus) if status != "graded")
"""The statuses of a module whose items never decided its points."""
MESSAGE_CHARS = 220


def _fmt(value: float) -> str:
    """``7``, ``7.5``, ``7.33``: points without trailing zeros."""
    return f"{round(value, 2):g}"


def _level(fraction: float) -> str:
    """A colour class for a pass rate or a share of the points."""
    return "high" if fraction >= 0.75 else ("mid" if fraction >= 0.4 else "low")


def _ticks(text: str) -> Markup:
    """Escape ``text`` and show its `backticked` parts as code."""
    return Markup(re.sub(r"`([^`\n]+)`", r"<code>\1</code>", str(escape(text))))


# Headline numbers and the histogram ---------------------------------------------------------


@dataclass
class _Rect:
    x: float
    y: float
    width: float
    height: float
    count: int
    range: str


@dataclass
class _Tick:
    at: float
    label: str


@dataclass
class _Histogram:
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    rects: list[_Rect]
    x_ticks: list[_Tick]
    y_ticks: list[_Tick]
    x_title: str
    mean_x: float | None
    mean_label: str


def _histogram(totals: list[float], top: float, bins: int = 10) -> _Histogram:
    width, height, left, right, top_pad, bottom = 600, 300, 52, 16, 40, 52
    plot_width, plot_height = width - left - right, height - top_pad - bottom
    top = top or 1
    counts = [0] * bins
    for total in totals:
        counts[min(bins - 1, max(0, int(total / top * bins)))] += 1
    most = max(counts, default=0)
    step = max(1, -(-most // 5))  # at most ~5 gridlines, whole submissions
    y_max = max(step, -(-most // step) * step)
    slot = plot_width / bins
    rects = []
    for index, count in enumerate(counts):
        bar_height = count / y_max * plot_height
        low, high = index * top / bins, (index + 1) * top / bins
        closing = "]" if index == bins - 1 else ")"
        rects.append(
            _Rect(
                x=round(left + index * slot + 3, 1),
                y=round(top_pad + plot_height - bar_height, 1),
                width=round(slot - 6, 1),
                height=round(bar_height, 1),
                count=count,
                range=f"[{_fmt(low)}, {_fmt(high)}{closing}",
            )
        )
    x_ticks = [_Tick(round(left + i * slot, 1), _fmt(i * top / bins)) for i in range(bins + 1)]
    y_ticks = [
        _Tick(round(top_pad + plot_height - value / y_max * plot_height, 1), str(value))
        for value in range(0, y_max + 1, step)
    ]
    mean = statistics.fmean(totals) if totals else None
    return _Histogram(
        width=width,
        height=height,
        left=left,
        top=top_pad,
        plot_width=plot_width,
        plot_height=plot_height,
        rects=rects,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        x_title=f"total points (out of {_fmt(top)})",
        mean_x=None if mean is None else round(left + mean / top * plot_width, 1),
        mean_label="" if mean is None else f"mean {mean:.1f}",
    )


# Exercises and rubric items ----------------------------------------------------------------


@dataclass
class _ItemRate:
    title: Markup
    points: str
    passed: int = 0
    ran: int = 0

    @property
    def fraction(self) -> float:
        return self.passed / self.ran if self.ran else 0.0

    @property
    def level(self) -> str:
        return _level(self.fraction) if self.ran else "none"


@dataclass
class _ExerciseSummary:
    module: str
    title: str
    max_points: float
    mean: float
    """Mean points over the counted (non-rejected) submissions, a missing module as 0."""
    counted: int
    ran: int
    """Submissions whose items ran: the denominator of the item pass rates."""
    statuses: Counter[str]
    items: list[_ItemRate]

    @property
    def fraction(self) -> float:
        return self.mean / self.max_points if self.max_points else 0.0

    @property
    def level(self) -> str:
        return _level(self.fraction)

    @property
    def mean_text(self) -> str:
        return f"{self.mean:.1f}/{_fmt(self.max_points)}"

    @property
    def not_run(self) -> str:
        """``2 not submitted · 1 crashed``: why some submissions have no item verdicts."""
        return " · ".join(f"{self.statuses[s]} {s}" for s in NOT_RUN if self.statuses[s])


def _exercise_summaries(counted: list[SubmissionResult]) -> list[_ExerciseSummary]:
    summaries = []
    for exercise in exercises():
        attempts: list[ExerciseResult] = []
        for result in counted:
            attempts += [e for e in result.results.exercises if e.module == exercise.module]
        statuses: Counter[str] = Counter(e.status for e in attempts)
        rates: dict[str, _ItemRate] = {}
        for attempt in attempts:
            for item in attempt.items:
                rate = rates.setdefault(
                    item.name, _ItemRate(_ticks(item.title), _fmt(item.max_points))
                )
                if attempt.status == "graded":
                    rate.ran += 1
                    rate.passed += item.status == "passed"
        summaries.append(
            _ExerciseSummary(
                module=exercise.module,
                title=exercise.title,
                max_points=max((e.max_points for e in attempts), default=0.0),
                mean=statistics.fmean([e.points for e in attempts]) if attempts else 0.0,
                counted=len(attempts),
                ran=statuses["graded"],
                statuses=statuses,
                items=list(rates.values()),
            )
        )
    return summaries


@dataclass
class _Hard:
    module: str
    item: _ItemRate


def _hardest(summaries: list[_ExerciseSummary], limit: int = 5) -> list[_Hard]:
    rated = [_Hard(s.module, item) for s in summaries for item in s.items if item.ran]
    rated.sort(key=lambda hard: (hard.item.fraction, -hard.item.ran))
    return [hard for hard in rated[:limit] if hard.item.fraction < 1]


# Failures and the submissions that need a human --------------------------------------------


@dataclass
class _Failure:
    count: int
    module: str
    title: Markup
    message: Markup


def _common_failures(counted: list[SubmissionResult], limit: int = 12) -> list[_Failure]:
    """The commonest (item, first line of message) pairs among exercises that ran: each
    counts once per submission. Crashes and hangs are under *Needs review* instead."""
    counter: Counter[tuple[str, str, str]] = Counter()
    for result in counted:
        for exercise in result.results.exercises:
            if exercise.status != "graded":
                continue
            for item in exercise.items:
                if item.status != "passed" and item.message.strip():
                    first = item.message.strip().splitlines()[0]
                    if len(first) > MESSAGE_CHARS:
                        first = first[: MESSAGE_CHARS - 1] + "…"
                    counter[(exercise.module, item.title, first)] += 1
    return [
        _Failure(count, module, _ticks(title), _ticks(message))
        for (module, title, message), count in counter.most_common(limit)
    ]


@dataclass
class _Reason:
    kind: str
    """``rejected``, ``crashed``, ``timed out``, ``note``, ``flagged`` (evidence that
    the code tried to influence its grading) or ``unsandboxed``: the badge."""
    text: str


@dataclass
class _Review:
    submission: str
    stem: str
    points: str
    reasons: list[_Reason]


def _reasons(result: SubmissionResult) -> list[_Reason]:
    reasons = []
    if result.status != "graded":
        reasons.append(_Reason("rejected", result.reason or "could not be graded"))
    shown = set()
    for exercise in result.results.exercises:
        if exercise.status in ("crashed", "timed out"):
            why = exercise.items[0].message if exercise.items else ""
            reasons.append(_Reason(exercise.status, f"{exercise.module}: {why}".rstrip(": ")))
            shown.add(f"{exercise.module}.py: {exercise.status}")
    reasons += [_Reason("note", note) for note in result.notes if note not in shown]
    for exercise in result.results.exercises:
        reasons += [_Reason("flagged", f"{exercise.module}: {flag}") for flag in exercise.flags]
    if result.sandbox == "none":
        reasons.append(_Reason("unsandboxed", "graded without the sandbox (--no-sandbox)"))
    return reasons


# The per-submission table ------------------------------------------------------------------


@dataclass
class _Cell:
    text: str
    css: str
    title: str


@dataclass
class _Row:
    submission: str
    stem: str
    rejected: bool
    review: bool
    total: str
    fraction: float
    cells: list[_Cell] = field(default_factory=list)


CELL_TEXT = {
    "not submitted": "—",
    "not implemented": "stub",
    "does not load": "does not load",
    "hung at import": "hung at import",
    "crashed": "crash",
    "timed out": "hang",
}


def _row(result: SubmissionResult, modules: list[str]) -> _Row:
    by_module = {e.module: e for e in result.results.exercises}
    row = _Row(
        submission=result.submission,
        stem=file_stem(result.submission),
        rejected=result.status != "graded",
        review=result.needs_review,
        total=_fmt(result.points),
        fraction=result.points / result.max_points if result.max_points else 0.0,
    )
    for module in modules:
        exercise = by_module.get(module)
        if exercise is None or result.status != "graded":
            row.cells.append(_Cell("—", "none", f"{module}: not graded"))
        elif exercise.status == "graded":
            share = exercise.points / exercise.max_points if exercise.max_points else 0.0
            row.cells.append(
                _Cell(
                    _fmt(exercise.points),
                    _level(share) if share < 1 else "full",
                    f"{module}: {_fmt(exercise.points)}/{_fmt(exercise.max_points)}",
                )
            )
        else:
            css = (
                "none" if exercise.status == "not submitted" else exercise.status.replace(" ", "-")
            )
            title = f"{module}: {exercise.label}"
            if exercise.status in ("does not load", "hung at import") and exercise.reason:
                why = exercise.reason.splitlines()[0]
                title += f": {why[: MESSAGE_CHARS - 1] + '…' if len(why) > MESSAGE_CHARS else why}"
            row.cells.append(_Cell(CELL_TEXT.get(exercise.status, exercise.status), css, title))
    return row


# Rendering ---------------------------------------------------------------------------------


def render_report(results: list[SubmissionResult]) -> str:
    """The report for ``results`` (one batch), as a self-contained HTML page."""
    environment = Environment(
        loader=PackageLoader("asynclings", "reports"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = environment.get_template("report.html.j2")
    counted = [r for r in results if r.status == "graded"]
    totals = sorted(r.points for r in counted)
    top = max((r.max_points for r in results), default=0.0)
    summaries = _exercise_summaries(counted)
    modules = [e.module for e in exercises()]
    review = [
        _Review(r.submission, file_stem(r.submission), _fmt(r.points), _reasons(r))
        for r in sorted(results, key=lambda r: r.submission)
        if r.needs_review
    ]
    return template.render(
        version=__version__,
        generated=time.strftime("%Y-%m-%d %H:%M"),
        count=len(results),
        counted=len(counted),
        rejected=len(results) - len(counted),
        top=_fmt(top),
        mean=f"{statistics.fmean(totals):.1f}" if totals else "–",
        median=_fmt(statistics.median(totals)) if totals else "–",
        spread=f"{_fmt(totals[0])}–{_fmt(totals[-1])}" if totals else "–",
        full_marks=sum(1 for r in counted if r.max_points and r.points == r.max_points),
        histogram=_histogram(totals, top),
        exercises=summaries,
        hardest=_hardest(summaries),
        failures=_common_failures(counted),
        review=review,
        unsandboxed=sum(1 for r in results if r.sandbox == "none"),
        learner_run=sum(1 for r in results if r.sandbox == LEARNER_WORKFLOW),
        modules=modules,
        rows=[_row(r, modules) for r in sorted(results, key=lambda r: r.submission)],
    )


def write_report(path: Path, results: list[SubmissionResult]) -> None:
    path.write_text(render_report(results), encoding="utf-8")
