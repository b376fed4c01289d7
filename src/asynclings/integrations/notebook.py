"""Grading inside a Jupyter notebook: the helpers the generated notebooks call.

A notebook made by ``asynclings nbgrader`` has, per exercise, an answer cell whose
first line names the exercise (``# asynclings: ex02_gather``), a self-check cell and one
locked test cell per rubric item::

    from asynclings.integrations.notebook import grade_item
    grade_item("ex02_gather", "test_results_in_url_order")

:func:`grade_item` takes the latest run of the answer cell from the kernel's input
history, writes it out as ``ex02_gather.py`` and grades it with the kit's graders in a
separate Python process with a time limit, exactly as ``pytest exercises/`` would (once
per version of the answer: the other items' cells reuse the verdicts). It prints the
verdict, with the explanation when the item fails, and returns the points, which
nbgrader takes as the cell's score. Because the answer runs in another process, an
answer that hangs, deadlocks or blocks with ``time.sleep`` costs its own items and
nothing else: the kernel, the other cells and the other exercises go on (a kernel
interrupt would not stop a hung coroutine, and nbgrader would then fail the whole
notebook).

:func:`check` prints every item's verdict: the learner's self-check before submitting.
"""

from __future__ import annotations

import ast
import hashlib
import tempfile
from pathlib import Path

from ..manifest import exercise
from ..results import ExerciseResult, Results
from ..run import grade_isolated

__all__ = ["ANSWER_MARKER", "check", "grade_item"]

ANSWER_MARKER = "# asynclings: "
"""The answer cell's first line is this marker followed by the exercise module."""
GRADING_TIMEOUT = 25.0
"""Real seconds one grading of an answer may take: under nbgrader's own limit for a
cell (30 s by default), so that nbgrader never gives up on the whole notebook."""
BUDGET_SCALE = 0.2
"""Each item's CPU budget is scaled down (to 1 s) so that ten items of an answer that
busy-loops still finish within GRADING_TIMEOUT."""

_cache: dict[str, Results | str] = {}


def _history() -> list[str]:
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    if shell is None:
        return []
    return [str(cell) for cell in shell.user_ns.get("In", [])]


def answer_source(module: str, history: list[str] | None = None) -> str | None:
    """The latest run of ``module``'s answer cell, or ``None`` if it never ran."""
    marker = f"{ANSWER_MARKER}{module}"
    for cell in reversed(_history() if history is None else history):
        if cell.lstrip().startswith(marker):
            return cell
    return None


def _without_placeholders(source: str) -> str:
    """The answer without nbgrader's module-level ``raise NotImplementedError()``
    placeholder, if it is still there (the functions above it are the answer)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if (
            isinstance(node, ast.Raise)
            and node.exc is not None
            and "NotImplementedError" in ast.unparse(node.exc)
        ):
            for index in range(node.lineno - 1, (node.end_lineno or node.lineno)):
                lines[index] = "\n"
    return "".join(lines)


def grade_answer(module: str, source: str, *, timeout: float = GRADING_TIMEOUT) -> Results | str:
    """The verdicts on ``source`` as ``module``, or a message saying why there are none."""
    key = hashlib.sha256(f"{module}\0{source}".encode()).hexdigest()
    if key not in _cache:
        with tempfile.TemporaryDirectory(prefix="asynclings-notebook-") as scratch:
            path = Path(scratch) / f"{module}.py"
            path.write_text(_without_placeholders(source), encoding="utf-8")
            _cache[key] = grade_isolated([path], timeout=timeout, budget_scale=BUDGET_SCALE)
    return _cache[key]


def _verdicts(module: str) -> ExerciseResult | str:
    source = answer_source(module)
    if source is None:
        return (
            f"the answer cell of {module} has not been run yet (its first line must stay "
            f"`{ANSWER_MARKER}{module}`): run it, then this cell"
        )
    outcome = grade_answer(module, source)
    if isinstance(outcome, str):
        return outcome
    try:
        return outcome.exercise(module)
    except KeyError:
        return "grading produced no verdicts for this exercise"


def grade_item(module: str, item: str) -> float:
    """Grade one rubric item of the answer: print the verdict, return the points.

    The cell's value is its score for nbgrader (partial credit: 0 when the item
    fails). A failure is printed, not raised: a traceback would show the cell's code,
    hidden tests included, in the learner's feedback.
    """
    exercise(module)  # an unknown module is a KeyError with the list of modules
    verdicts = _verdicts(module)
    if isinstance(verdicts, str):
        print(f"FAIL  {verdicts}")
        return 0.0
    for result in verdicts.items:
        if result.name == item:
            mark = "PASS" if result.status == "passed" else "FAIL"
            print(f"{mark} {result.points:g}/{result.max_points:g}  {result.title}")
            if result.status != "passed":
                for line in "\n".join(filter(None, [result.message, result.details])).splitlines():
                    print(f"    {line}")
            return float(result.points)
    print(f"FAIL  {module} has no rubric item {item!r}")
    return 0.0


def check(module: str) -> None:
    """Print every rubric item's verdict on the answer (a self-check before submitting)."""
    verdicts = _verdicts(module)
    if isinstance(verdicts, str):
        print(verdicts)
        return
    for result in verdicts.items:
        mark = "PASS" if result.status == "passed" else "FAIL"
        print(f"{mark} {result.points:g}/{result.max_points:g}  {result.title}")
        if result.status != "passed":
            for line in result.message.splitlines():
                print(f"       {line}")
    print(f"{verdicts.points:g}/{verdicts.max_points:g} points")
