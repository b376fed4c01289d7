"""GitHub Actions: a template repository whose workflow grades each push, with no
classroom service in between.

``asynclings actions template DIR`` writes the repository an instructor makes the
assignment's template: the exercise stubs in ``exercises/``, a README for learners, a
``pytest.ini`` (so that ``pytest`` grades there as in a clone of the kit), the kit as a
wheel (without the reference solutions) in ``.github/asynclings/`` and
``.github/workflows/asynclings.yml``. The workflow installs the kit, runs
``asynclings actions grade exercises/ --summary "$GITHUB_STEP_SUMMARY" --results
results.json`` and uploads ``results.json`` as the artifact ``asynclings-results``.

The grade step (:func:`grade_step`) grades the folder as ``asynclings grade`` grades one
submission (in the learner's own runner: no sandbox of ours there) and

* writes the job summary: a Markdown table per exercise, with each rubric item's points
  and the explanation of each lost point (:func:`summary_markdown`);
* prints one ``::error file=...,line=...,title=...::...`` workflow command per failed
  item, at the learner's line when the verdict names it (``at ex02_gather.py:12``),
  else line 1 (:func:`failure_annotations`);
* writes ``results.json`` (:func:`artifact`): the kit's results model of the submission,
  with the repository and commit the run graded (``$GITHUB_REPOSITORY``,
  ``$GITHUB_SHA``). ``asynclings collect`` reads these back
  (:mod:`asynclings.grading.collect`), checks them against the rubric and recomputes
  every point.

It exits 0 whenever it graded, failed items or not, so the artifact is always uploaded
and a red cross never stands for "the grader broke"; it exits 1 only when it could not
grade or write its files, and says why.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..results import LEARNER_WORKFLOW, ExerciseResult, ItemResult, SubmissionResult

__all__ = [
    "ARTIFACT_FORMAT",
    "ARTIFACT_NAME",
    "Annotation",
    "artifact",
    "failure_annotations",
    "grade_folder",
    "grade_step",
    "summary_markdown",
    "workflow_yaml",
    "write_template",
]

ARTIFACT_NAME = "asynclings-results"
"""The name the workflow uploads ``results.json`` under (what ``gh run download
--name`` takes)."""
ARTIFACT_FORMAT = "asynclings-actions-results"
ARTIFACT_VERSION = 1
WORKFLOW_FILE = "asynclings.yml"
DETAILS_CHARS = 4000
"""A job summary may hold 1 MiB per step: each failure's picture is cut to this."""


def workflow_yaml(modules: Sequence[str] | None = None, python: str = "3.12") -> str:
    """The template's ``.github/workflows/asynclings.yml``; ``modules``: the exercises
    the assignment grades (default: all)."""
    chosen = "".join(f" --exercises {module}" for module in modules or ())
    grade = (
        f'asynclings actions grade exercises/{chosen} --summary "$GITHUB_STEP_SUMMARY" '
        "--results results.json"
    )
    return f"""\
# Grades every push with asynclings: the verdicts go to the job summary, each failed
# rubric item becomes an annotation on the learner's line, and results.json is uploaded
# as the artifact "{ARTIFACT_NAME}" (the instructor collects them with
# `asynclings collect`). The grade step succeeds even when items fail, so the artifact
# is always uploaded: the points are in the summary, not in the check's colour.
name: asynclings
on:
  push:
  workflow_dispatch:
permissions:
  contents: read
jobs:
  grade:
    name: Grade the exercises
    runs-on: ubuntu-latest
    timeout-minutes: 15
    steps:
      - name: Check out the repository
        uses: actions/checkout@v4
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "{python}"
      - name: Install the asynclings grader
        run: python -m pip install --quiet .github/asynclings/asynclings-*.whl
      - name: Grade the exercises
        id: grade
        timeout-minutes: 10
        run: {grade}
      - name: Upload the results
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: {ARTIFACT_NAME}
          path: results.json
          if-no-files-found: error
          retention-days: 90
"""


_README = """\
# asyncio exercises

Each file in `exercises/` is one exercise: its docstring teaches the pattern and states
the contract; replace the stubs (`raise NotImplementedError`) with your code.

Grade yourself before you push (Python 3.11+), at the top of this repository:

```bash
python -m pip install .github/asynclings/asynclings-*.whl
asynclings check ex02               # one exercise: every rubric item's verdict
pytest                              # every exercise, item by item (pytest.ini)
pytest exercises/ex02_gather.py     # one exercise
asynclings hint ex02                # stuck? hints, gentlest first
```

Inside `exercises/`, `asynclings check ex02` works too and pytest takes the file's own
name (`pytest ex02_gather.py`), as each exercise's "Check your work" says.

Every push is graded by the "asynclings" workflow with the same rubric: each exercise
is worth 10 points, split over its rubric items. Open the run in the Actions tab: its
summary has a table per exercise with every item's points and why each lost point was
lost, and each failed item is marked on your line of code. The run stays green when
items fail (your points are in the summary); it turns red only when grading itself
could not run. Do not rename the files or the functions, and do not change the
workflow: your instructor collects the results it uploads.
"""


PYTEST_INI = """\
# `pytest` here grades the exercise files in exercises/ with the asynclings graders.
[pytest]
testpaths = exercises
asynclings_dirs = exercises
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
asyncio_default_test_loop_scope = function
timeout = 120
"""

GITIGNORE = """\
__pycache__/
.pytest_cache/
# asynclings check/watch progress: your own, not part of the submission
.asynclings-progress.json*
# written by the grading workflow
results.json
"""


def write_template(folder: Path, modules: Sequence[str] | None = None) -> list[Path]:
    """Write the template repository into ``folder``; the files written."""
    from ..manifest import exercises
    from .packaging import build_wheel

    chosen = [e for e in exercises() if modules is None or e.module in modules]
    written = []
    target = folder / "exercises"
    target.mkdir(parents=True, exist_ok=True)
    for exercise in chosen:
        path = target / f"{exercise.module}.py"
        shutil.copyfile(exercise.stub, path)
        written.append(path)
    workflow = folder / ".github" / "workflows" / WORKFLOW_FILE
    workflow.parent.mkdir(parents=True, exist_ok=True)
    everything = len(chosen) == len(list(exercises()))
    workflow.write_text(
        workflow_yaml(None if everything else [e.module for e in chosen]), encoding="utf-8"
    )
    wheels = folder / ".github" / "asynclings"
    shutil.rmtree(wheels, ignore_errors=True)
    written += [workflow, build_wheel(wheels)]
    for name, text in (("pytest.ini", PYTEST_INI), (".gitignore", GITIGNORE)):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    readme = folder / "README.md"
    if not readme.exists():
        readme.write_text(_README, encoding="utf-8")
        written.append(readme)
    return written


# The grade step ------------------------------------------------------------------------


def grade_folder(folder: Path, *, timeout: float = 120.0) -> SubmissionResult:
    """Grade ``folder`` as ``asynclings grade`` grades one learner's submission, in this
    machine's processes (the learner's own runner), and mark the result so."""
    from ..grading.batch import BatchOptions, grade_batch
    from ..grading.worker import Limits

    with tempfile.TemporaryDirectory(prefix="asynclings-actions-") as scratch:
        batch = Path(scratch) / "batch"
        batch.mkdir()
        shutil.copytree(folder, batch / "submission", symlinks=True)
        run = grade_batch(
            batch,
            Path(scratch) / "gradebook.sqlite",
            BatchOptions(jobs=1, limits=Limits(timeout=timeout), sandbox=False),
            survey_layout=False,
        )
    result = run.results[0]
    result.sandbox = LEARNER_WORKFLOW
    return result


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def artifact(result: SubmissionResult, modules: Sequence[str]) -> dict[str, Any]:
    """``results.json``: the submission's results model, what the run graded (the
    repository and commit) and the totals it states (which ``collect`` recomputes)."""
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    run_id = os.environ.get("GITHUB_RUN_ID", "")
    return {
        "format": ARTIFACT_FORMAT,
        "version": ARTIFACT_VERSION,
        "kit": __version__,
        "repository": repository,
        "commit": os.environ.get("GITHUB_SHA", ""),
        "run_url": f"{server}/{repository}/actions/runs/{run_id}" if run_id else "",
        "exercises": list(modules),
        "score": _number(result.points),
        "max_score": _number(result.max_points),
        "submission": result.to_dict(),
    }


def _cell(text: str) -> str:
    """``text`` as one Markdown table cell: HTML escaped, pipes escaped, lines joined."""
    escaped = html.escape(text.strip(), quote=False).replace("|", "\\|")
    return "<br>".join(line for line in escaped.splitlines() if line.strip())


def _fenced(text: str) -> list[str]:
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    if len(text) > DETAILS_CHARS:
        text = text[:DETAILS_CHARS] + "\n... (cut: run `asynclings check` to see it all)"
    return [f"{fence}text", text, fence]


def _explanation(result: SubmissionResult, exercise: ExerciseResult, item: ItemResult) -> str:
    if item.status == "passed":
        return ""
    if result.status != "graded":
        return f"not graded: {result.reason}"
    if exercise.status != "graded":
        reason = exercise.reason or item.message
        return reason if reason.startswith(exercise.label) else f"{exercise.label}: {reason}"
    return item.message


def summary_markdown(result: SubmissionResult, modules: Sequence[str]) -> str:
    """The job summary: the total, then a table per exercise of ``modules``, with each
    rubric item's points and, for each lost point, its explanation."""
    shown = [e for e in result.results.exercises if e.module in modules]
    points = sum(e.points for e in shown)
    most = sum(e.max_points for e in shown)
    lines = [f"# asynclings: {_number(points)}/{_number(most)} points", ""]
    if result.status != "graded":
        lines += [f"This submission could not be graded: {_cell(result.reason)}", ""]
    lines += [
        "Graded by this repository's own workflow run; your instructor collects the "
        f"uploaded `results.json` (artifact `{ARTIFACT_NAME}`).",
        "",
        "| exercise | points | status |",
        "|---|---:|---|",
    ]
    for exercise in shown:
        status = "complete" if exercise.complete else exercise.label
        if exercise.status == "graded" and not exercise.complete:
            failing = sum(1 for i in exercise.items if i.status != "passed")
            status = f"{failing} item{'s' if failing != 1 else ''} to fix"
        lines.append(
            f"| {exercise.module} | {_number(exercise.points)}/"
            f"{_number(exercise.max_points)} | {status} |"
        )
    lines.append("")
    for exercise in shown:
        lines += [
            f"## {exercise.module}: {exercise.title}: "
            f"{_number(exercise.points)}/{_number(exercise.max_points)}",
            "",
            "| rubric item | points | verdict | why the points were lost |",
            "|---|---:|---|---|",
        ]
        pictures = []
        for item in exercise.items:
            mark = "✅ passed" if item.status == "passed" else "❌ failed"
            lines.append(
                f"| {_cell(item.title)} | {_number(item.points)}/{_number(item.max_points)} "
                f"| {mark} | {_cell(_explanation(result, exercise, item))} |"
            )
            if item.status != "passed" and item.details and exercise.status == "graded":
                pictures += [
                    "<details>",
                    f"<summary>{html.escape(item.title)}: what happened</summary>",
                    "",
                    *_fenced(item.details),
                    "",
                    "</details>",
                    "",
                ]
        lines += ["", *pictures]
    for note in result.notes:
        lines += [f"- Note: {_cell(note)}"]
    return "\n".join(lines).rstrip() + "\n"


class Annotation:
    """One ``::error`` workflow command: a failed item at the learner's line."""

    def __init__(self, file: str, line: int, title: str, message: str) -> None:
        self.file = file
        self.line = line
        self.title = title
        self.message = message

    def command(self) -> str:
        return (
            f"::error file={_property(self.file)},line={self.line},"
            f"title={_property(self.title)}::{_data(self.message)}"
        )


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _line_of(module: str, *texts: str) -> int:
    """The learner's line a verdict names (``at ex02_gather.py:12``, ``(line 3: ...``)."""
    for text in texts:
        found = re.search(rf"\b{re.escape(module)}\.py:(\d+)", text)
        if found:
            return int(found.group(1))
    for text in texts:
        found = re.search(r"\(line (\d+)\b", text)
        if found:
            return int(found.group(1))
    return 1


def _module_file(folder: Path, module: str) -> str:
    """The module's path as the repository names it (the shallowest copy in ``folder``)."""
    copies = sorted(folder.rglob(f"{module}.py"), key=lambda p: (len(p.parts), str(p)))
    path = copies[0] if copies else folder / f"{module}.py"
    return path.as_posix().removeprefix("./")


def failure_annotations(
    result: SubmissionResult, modules: Sequence[str], folder: Path
) -> list[Annotation]:
    """One annotation per failed item of ``modules``; a module that failed as a whole
    (missing, a stub, does not load) gets one, for all of its items, with its reason."""
    found = []
    for exercise in result.results.exercises:
        if exercise.module not in modules:
            continue
        failed = [item for item in exercise.items if item.status != "passed"]
        file = _module_file(folder, exercise.module)
        if result.status != "graded" or exercise.status != "graded":
            if not failed:
                continue
            lost = sum(item.max_points for item in failed)
            why = (
                result.reason if result.status != "graded" else (exercise.reason or exercise.label)
            )
            found.append(
                Annotation(
                    file,
                    _line_of(exercise.module, why),
                    f"{exercise.module}: {exercise.label}: 0/{_number(lost)}",
                    f"None of its {len(failed)} rubric items could be graded: {why}",
                )
            )
            continue
        for item in failed:
            found.append(
                Annotation(
                    file,
                    _line_of(exercise.module, item.message, item.details),
                    f"{exercise.module}: {item.title} (0/{_number(item.max_points)})",
                    item.message or "this item failed",
                )
            )
    return found


def grade_step(
    folder: Path,
    *,
    modules: Sequence[str] | None = None,
    summary: Path | None = None,
    results: Path | None = None,
    timeout: float = 120.0,
) -> int:
    """The workflow's grade step: grade, append the summary, print the annotations, write
    ``results.json``. Returns the exit status (0 whenever it graded)."""
    from ..manifest import exercises

    chosen = [e.module for e in exercises() if not modules or e.module in modules]
    if not folder.is_dir():
        print(
            f"::error title=asynclings::{folder} is not a folder: the exercises must be in "
            f"{folder}, as the template has them",
        )
        return 1
    try:
        result = grade_folder(folder, timeout=timeout)
    except Exception as error:  # the run must say why it has no results, not just fail
        message = (
            f"grading could not run ({type(error).__name__}: {error}); nothing was graded "
            "and no results.json was written: rerun the workflow, and tell your instructor "
            "if it fails again"
        )
        if summary is not None:
            with summary.open("a", encoding="utf-8") as file:
                file.write(f"# asynclings: not graded\n\n{_cell(message)}\n")
        print(f"::error title=asynclings::{_data(message)}")
        return 1
    if summary is not None:
        with summary.open("a", encoding="utf-8") as file:
            file.write(summary_markdown(result, chosen))
    if results is not None:
        results.write_text(json.dumps(artifact(result, chosen), indent=2), encoding="utf-8")
    shown = [e for e in result.results.exercises if e.module in chosen]
    for exercise in shown:
        print(f"{exercise.module}: {_number(exercise.points)}/{_number(exercise.max_points)}")
    for annotation in failure_annotations(result, chosen, folder):
        print(annotation.command())
    total = sum(e.points for e in shown)
    most = sum(e.max_points for e in shown)
    print(f"total: {_number(total)}/{_number(most)} (the job summary explains every lost point)")
    sys.stdout.flush()
    return 0
