"""The closing terminal report of a grading run: verdicts per exercise, then the score
table. Written through pytest's terminal writer, so colour follows pytest's own rules
(off when piped, ``--color``)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

from ..results import ExerciseResult, Results

__all__ = ["write_results"]


def _points(value: float) -> str:
    return f"{value:g}"


def _relative(path: str | None, root: Path) -> str:
    if path is None:
        return "-"
    try:
        return os.path.relpath(path, root)
    except ValueError:
        return path


def _status(exercise: ExerciseResult) -> str:
    if exercise.status != "graded":
        return exercise.label
    if exercise.complete:
        return "complete"
    failing = sum(1 for item in exercise.items if item.status != "passed")
    return f"{failing} item{'s' if failing != 1 else ''} to fix"


def _write_exercise(tr: Any, exercise: ExerciseResult, root: Path) -> None:
    colour = {"green": True} if exercise.complete else {"red": True}
    tr.write_sep(
        "-",
        f"{exercise.module}: {exercise.title}  "
        f"{_points(exercise.points)}/{_points(exercise.max_points)}",
        **colour,
    )
    if exercise.not_implemented:
        tr.write_line("  not implemented yet: every function still raises NotImplementedError.")
        tr.write_line(f"  Open {_relative(exercise.path, root)}, read its docstring, and start.")
        return
    if exercise.status != "graded":  # the module failed as a whole: say why once
        count = len(exercise.items)
        tr.write(f"  {exercise.label.upper()}", red=True, bold=True)
        tr.write_line(f"  none of its {count} item{'s' if count != 1 else ''} could run: 0 points")
        for line in exercise.reason.splitlines():
            for wrapped in textwrap.wrap(line, width=88, subsequent_indent="  ") or [""]:
                tr.write_line(f"  {wrapped}")
        return
    for item in exercise.items:
        mark, markup = (
            ("PASS", {"green": True}) if item.status == "passed" else ("FAIL", {"red": True})
        )
        tr.write(f"  {mark}", **markup)
        tr.write_line(f"  {_points(item.points):>2}/{_points(item.max_points):<2} {item.title}")
        if item.status == "passed":
            continue
        for line in item.message.splitlines():
            for wrapped in textwrap.wrap(line, width=88, subsequent_indent="  ") or [""]:
                tr.write_line(f"             {wrapped}")
        if item.details:
            tr.write_line("")
            for line in item.details.splitlines():
                tr.write_line(f"             {line}")
            tr.write_line("")


def write_results(terminalreporter: Any, results: Results, root: Path) -> None:
    """Write every graded exercise's verdicts, then the score table."""
    tr = terminalreporter
    for exercise in results.exercises:
        _write_exercise(tr, exercise, root)
    tr.write_sep("=", "asynclings score", bold=True)
    width = max(len(e.module) for e in results.exercises)
    for exercise in results.exercises:
        score = f"{_points(exercise.points)}/{_points(exercise.max_points)}"
        markup = {"green": True} if exercise.complete else {"red": True}
        tr.write(f"  {exercise.module:<{width}}  {score:>7}  ")
        tr.write_line(_status(exercise), **markup)
    total = f"{_points(results.points)}/{_points(results.max_points)}"
    tr.write_line(f"  {'total':<{width}}  {total:>7}", bold=True)
