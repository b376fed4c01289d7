"""The batch's output files, each rendered from the results model:

* ``grades.csv`` — one row per submission: points per exercise module, the total;
* ``results/<submission>.json`` — Gradescope's results.json format;
* ``feedback/<submission>.md`` — what passed, what failed and why, what to try.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..manifest import exercise as find_exercise
from ..manifest import exercises
from ..results import LEARNER_WORKFLOW, ExerciseResult, SubmissionResult

__all__ = [
    "Autograder",
    "feedback_markdown",
    "file_stem",
    "gradescope_json",
    "integrity_lines",
    "module_lines",
    "write_csv",
    "write_outputs",
]


def file_stem(submission: str) -> str:
    """A file name for a submission id (ids are folder names, so this rarely changes them)."""
    return re.sub(r"[^\w.()@+=,-]+", "_", submission).strip("._") or "submission"


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def write_csv(path: Path, results: list[SubmissionResult]) -> None:
    modules = [e.module for e in exercises()]
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["submission", *modules, "total", "needs_review", "flags", "sandbox", "data_seed"]
        )
        for result in results:
            points = {e.module: e.points for e in result.results.exercises}
            writer.writerow(
                [
                    result.submission,
                    *(_number(points.get(m, 0)) for m in modules),
                    _number(result.points),
                    "yes" if result.needs_review else "no",
                    " | ".join(_flags(result)),
                    result.sandbox or "none",
                    "" if result.data_seed is None else result.data_seed,
                ]
            )


def _flags(result: SubmissionResult) -> list[str]:
    return [f"{e.module}: {flag}" for e in result.results.exercises for flag in e.flags]


def integrity_lines(result: SubmissionResult, *, unsandboxed_because: str = "") -> list[str]:
    """What the learner and the instructor are told about the grading's integrity.

    ``unsandboxed_because``: why an unsandboxed submission ran so, when it was not
    ``--no-sandbox`` (the Gradescope autograder falls back by itself).
    """
    lines = []
    flags = _flags(result)
    if flags:
        lines.append(
            "**Flagged for review**: this submission's code tried to influence its own "
            "grading or reach beyond it: "
            + "; ".join(flags[:8])
            + ("; ..." if len(flags) > 8 else "")
        )
    if result.sandbox == "none" and unsandboxed_because:
        lines.append(f"**Unsandboxed**: graded without the sandbox: {unsandboxed_because}.")
    elif result.sandbox == "none":
        lines.append("**Unsandboxed**: graded without the sandbox (`--no-sandbox`).")
    elif result.sandbox == LEARNER_WORKFLOW:
        origin = f" ({result.origin})" if result.origin else ""
        lines.append(
            "**From the learner's own workflow**: these verdicts were reached in the "
            f"learner's GitHub Actions run{origin}, not in a sandbox of the grader's, and "
            "the learner controls that workflow (`asynclings collect`)."
        )
    return lines


def _item_output(message: str, details: str) -> str:
    text = message
    if details:
        text += "\n\n```\n" + details + "\n```"
    return text


def _reason(exercise: ExerciseResult) -> str:
    """Why a module that was not graded item by item scores 0 (its status otherwise)."""
    return exercise.reason or (exercise.items[0].message if exercise.items else exercise.label)


def module_lines(
    result: SubmissionResult, exercises: list[ExerciseResult] | None = None
) -> list[str]:
    """One line per module (of ``exercises``, by default all) that scores 0 as a whole:
    its status and why, once. None for a submission rejected as a whole: its reason
    says it all."""
    if result.status != "graded":
        return []
    lines = []
    for exercise in result.results.exercises if exercises is None else exercises:
        if exercise.status == "graded":
            continue
        head = f"**{exercise.module}: {exercise.label}**"
        why = "; ".join(_reason(exercise).splitlines()).removeprefix(f"{exercise.label}: ")
        lines.append(head if why in (exercise.status, exercise.label) else f"{head}: {why}")
    return lines


def _not_run_output(result: SubmissionResult, exercise: ExerciseResult) -> str:
    if result.status != "graded":
        return (
            "not graded: the submission as a whole could not be graded; the reason is in "
            "the summary at the top"
        )
    return (
        f"not graded: `{exercise.module}` {exercise.label}, so none of its items ran; the "
        "reason is in the summary at the top"
    )


@dataclass(frozen=True)
class Autograder:
    """What the Gradescope autograder's results.json adds to the batch's file: only the
    assignment's ``modules``, the ``hidden`` rubric items (ids with or without ``test_``;
    ``all`` hides every one) shown after the due date, the real ``seconds`` the run
    took, the ``learner``'s name and, when the sandbox could not run there,
    ``unsandboxed_because``."""

    modules: Sequence[str]
    hidden: Sequence[str] = ()
    seconds: float = 0.0
    learner: str = ""
    unsandboxed_because: str = ""

    def hides(self, item: str) -> bool:
        return (
            "all" in self.hidden or item in self.hidden or item.removeprefix("test_") in self.hidden
        )


def gradescope_json(
    result: SubmissionResult, autograder: Autograder | None = None
) -> dict[str, Any]:
    """The submission as Gradescope's results.json: one test per rubric item. A module
    that scores 0 as a whole (missing, does not load...) says why once, in the summary;
    its tests point there.

    The one renderer of that format: the batch writes it as is (``results/*.json``);
    the Gradescope autograder passes its :class:`Autograder` options."""
    shown = result.results.exercises
    if autograder is not None:
        wanted = set(autograder.modules)
        shown = [e for e in shown if e.module in wanted]
    tests = []
    for index, exercise in enumerate(shown, start=1):
        for number, item in enumerate(exercise.items, start=1):
            output = (
                _item_output(item.message, item.details)
                if exercise.status == "graded" and result.status == "graded"
                else _not_run_output(result, exercise)
            )
            test: dict[str, Any] = {
                "name": f"{exercise.module}: {item.title}",
                "number": f"{index}.{number}",
                "score": _number(item.points),
                "max_score": _number(item.max_points),
                "status": "passed" if item.status == "passed" else "failed",
                "output": output,
                "output_format": "md",
                "visibility": "visible",
            }
            if autograder is not None:
                test["tags"] = [exercise.module]
                if autograder.hides(item.name):
                    test["visibility"] = "after_due_date"
            tests.append(test)
    extra_data: dict[str, Any] = {
        "needs_review": result.needs_review,
        "flags": _flags(result),
        "sandbox": result.sandbox or "none",
        "data_seed": result.data_seed,
    }
    if autograder is None:
        return {
            "score": _number(result.points),
            "execution_time": round(result.seconds, 3),
            "output": _batch_summary(result),
            "output_format": "md",
            "visibility": "visible",
            "extra_data": extra_data,
            "tests": tests,
        }
    score = sum(t["score"] for t in tests)
    if autograder.unsandboxed_because and result.sandbox == "none":
        extra_data["sandbox_unavailable"] = autograder.unsandboxed_because
    return {
        "score": score,
        "execution_time": round(autograder.seconds, 3),
        "output": _autograder_summary(result, shown, tests, autograder),
        "output_format": "md",
        "test_output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": extra_data,
        "tests": tests,
    }


def _batch_summary(result: SubmissionResult) -> str:
    summary = f"{_number(result.points)}/{_number(result.max_points)} points."
    if result.reason:
        summary += f" {result.reason}"
    for line in module_lines(result):
        summary += f"\n\n{line}"
    for line in integrity_lines(result):
        summary += f"\n\n{line}"
    return summary


def _autograder_summary(
    result: SubmissionResult,
    shown: list[ExerciseResult],
    tests: list[dict[str, Any]],
    autograder: Autograder,
) -> str:
    score = sum(t["score"] for t in tests)
    most = sum(t["max_score"] for t in tests)
    lines = []
    if autograder.learner:
        lines.append(f"Feedback for {autograder.learner}.")
    lines.append(
        f"**{score:g}/{most:g} points** from {len(shown)} exercise(s), graded by asynclings."
    )
    for exercise in shown:
        status = "" if exercise.status == "graded" else f" ({exercise.status})"
        lines.append(f"- {exercise.module}: {exercise.points:g}/{exercise.max_points:g}{status}")
    broken = [e for e in shown if e.status != "not submitted"]
    for line in module_lines(result, broken):  # why a module scores 0 as a whole, once
        lines += ["", line]
    for line in integrity_lines(result, unsandboxed_because=autograder.unsandboxed_because):
        lines += ["", line]  # flags, unsandboxed
    return "\n".join(lines)


def _exercise_section(exercise: ExerciseResult) -> list[str]:
    lines = [
        f"## {exercise.module}: {exercise.title} — {_number(exercise.points)}/"
        f"{_number(exercise.max_points)}",
        "",
    ]
    if exercise.status in ("not submitted", "not implemented"):
        lines += [*(_sentence(line) for line in _reason(exercise).splitlines()), ""]
        return lines
    if exercise.status != "graded":
        reason = _reason(exercise).splitlines() or [""]
        lines += [f"**{exercise.status}**: {reason[0]}", *reason[1:], ""]
        first = exercise.items[0] if exercise.items else None
        if exercise.status in ("crashed", "timed out") and first and first.details:
            lines += ["```", first.details, "```", ""]
        if exercise.status in ("does not load", "hung at import"):
            count = len(exercise.items)
            lines += [
                f"None of its {count} rubric item{'s' if count != 1 else ''} could run, so "
                "each scores 0: fix this and they are graded as usual.",
                "",
            ]
        return lines
    for item in exercise.items:
        mark = "✅" if item.status == "passed" else "❌"
        lines.append(f"- {mark} **{_number(item.points)}/{_number(item.max_points)}** {item.title}")
        if item.status != "passed":
            for text in item.message.splitlines():
                lines.append(f"  {text}")
            if item.details:
                lines += ["", "  ```", *(f"  {d}" for d in item.details.splitlines()), "  ```"]
    if not exercise.complete:
        hint = find_exercise(exercise.module).hints
        if hint:
            lines += [
                "",
                f"**What to try:** {hint[0]} (More: `asynclings hint {exercise.module}`.)",
            ]
    lines.append("")
    return lines


def _sentence(text: str) -> str:
    return text if text.endswith((".", ":", "!", "?")) else f"{text}."


def feedback_markdown(result: SubmissionResult) -> str:
    lines = [
        f"# Feedback for {result.submission}",
        "",
        f"**Score: {_number(result.points)}/{_number(result.max_points)}**",
        "",
    ]
    if result.reason:
        lines += [f"This submission could not be graded: {result.reason}", ""]
    for line in integrity_lines(result):
        lines += [line, ""]
    if result.status != "graded":  # no exercise to show: the reason says why, once
        if result.notes:
            lines += ["## Notes", "", *(f"- {note}" for note in result.notes), ""]
        return "\n".join(lines)
    lines += ["| exercise | points | status |", "|---|---|---|"]
    for exercise in result.results.exercises:
        status: str = "complete" if exercise.complete else exercise.status
        if exercise.status == "graded" and not exercise.complete:
            failing = sum(1 for i in exercise.items if i.status != "passed")
            status = f"{failing} item{'s' if failing != 1 else ''} to fix"
        lines.append(
            f"| {exercise.module} | {_number(exercise.points)}/"
            f"{_number(exercise.max_points)} | {status} |"
        )
    lines.append("")
    for exercise in result.results.exercises:
        lines += _exercise_section(exercise)
    if result.notes:
        lines += ["## Notes", "", *(f"- {note}" for note in result.notes), ""]
    return "\n".join(lines)


def write_outputs(out: Path, results: list[SubmissionResult]) -> None:
    """Write grades.csv, results/*.json and feedback/*.md for ``results``."""
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "grades.csv", results)
    for folder in ("results", "feedback"):
        (out / folder).mkdir(exist_ok=True)
    for result in results:
        stem = file_stem(result.submission)
        (out / "results" / f"{stem}.json").write_text(
            json.dumps(gradescope_json(result), indent=2), encoding="utf-8"
        )
        (out / "feedback" / f"{stem}.md").write_text(feedback_markdown(result), encoding="utf-8")
