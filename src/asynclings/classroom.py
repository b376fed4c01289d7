"""GitHub Classroom: a template repository whose workflow grades each push with partial
credit per rubric item.

``asynclings classroom template DIR`` writes the repository an instructor makes the
assignment's template: the exercise stubs in ``exercises/``, a README for learners, a
``pytest.ini`` (so that ``pytest`` grades there as in a clone of the kit), the
kit as a wheel (without the reference solutions) in ``.github/asynclings/`` and
``.github/workflows/classroom.yml``. The workflow installs the kit, runs one step per
exercise and hands the steps' results to GitHub Classroom's grading reporter
(``classroom-resources/autograding-grading-reporter``), which adds them up to the
"Points X/Y" Classroom records.

Each exercise's step runs ``asynclings classroom result exercises/ex02_gather.py``: it
grades the module and prints ``result=<base64 JSON>`` for ``$GITHUB_OUTPUT``, in the
format the reporter reads (``{"version": 1, "status": "pass"|"fail"|"error",
"max_score": 10, "tests": [{"name", "status": "pass"|"fail", "score", "message",
"test_code", "filename", "line_no", "duration"}]}``): one test per rubric item, with
its points, so a half-right exercise earns half its points.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["result_payload", "workflow_yaml", "write_template"]

WORKFLOW_NAME = "Autograding Tests"
"""The reporter updates the check run of this name with the points."""


def _runner(module: str) -> str:
    return module.split("_", 1)[0]  # ex02_gather -> ex02


def workflow_yaml(modules: Sequence[str], python: str = "3.12") -> str:
    """The template's ``.github/workflows/classroom.yml``."""
    lines = [
        f"name: {WORKFLOW_NAME}",
        "on:",
        "  - push",
        "  - repository_dispatch",
        "  - workflow_dispatch",
        "permissions:",
        "  checks: write",
        "  actions: read",
        "  contents: read",
        "jobs:",
        "  run-autograding-tests:",
        f"    name: {WORKFLOW_NAME}",
        "    runs-on: ubuntu-latest",
        "    if: github.actor != 'github-classroom[bot]'",
        "    steps:",
        "      - name: Checkout code",
        "        uses: actions/checkout@v4",
        "      - name: Set up Python",
        "        uses: actions/setup-python@v5",
        "        with:",
        f'          python-version: "{python}"',
        "      - name: Install the asynclings grader",
        "        run: python -m pip install --quiet .github/asynclings/asynclings-*.whl",
    ]
    for module in modules:
        lines += [
            f"      - name: {module}",
            f"        id: {_runner(module)}",
            "        timeout-minutes: 5",
            f'        run: asynclings classroom result exercises/{module}.py >> "$GITHUB_OUTPUT"',
        ]
    lines += [
        "      - name: Autograding Reporter",
        "        uses: classroom-resources/autograding-grading-reporter@v1",
        "        env:",
    ]
    for module in modules:
        runner = _runner(module)
        lines.append(
            f'          {runner.upper()}_RESULTS: "${{{{steps.{runner}.outputs.result}}}}"'
        )
    lines += ["        with:", f"          runners: {','.join(_runner(m) for m in modules)}"]
    return "\n".join(lines) + "\n"


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

Every push is graded by the "Autograding Tests" workflow with the same rubric: each
exercise is worth 10 points, split over its rubric items, and the workflow's log
explains every lost point. Do not rename the files or the functions.
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
"""


def write_template(folder: Path, modules: Sequence[str] | None = None) -> list[Path]:
    """Write the template repository into ``folder``; the files written."""
    from .manifest import exercises
    from .packaging import build_wheel

    chosen = [e for e in exercises() if modules is None or e.module in modules]
    written = []
    target = folder / "exercises"
    target.mkdir(parents=True, exist_ok=True)
    for exercise in chosen:
        path = target / f"{exercise.module}.py"
        shutil.copyfile(exercise.stub, path)
        written.append(path)
    workflow = folder / ".github" / "workflows" / "classroom.yml"
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(workflow_yaml([e.module for e in chosen]), encoding="utf-8")
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


def result_payload(path: Path) -> dict[str, Any]:
    """The reporter's JSON for the exercise module at ``path``."""
    from .manifest import exercise
    from .rubric import rubric_of
    from .run import grade_in_process

    module = path.stem
    rubric = rubric_of(exercise(module))
    max_score = sum(item.points for item in rubric)
    if not path.is_file():
        tests = [
            _test(item.title, "fail", 0, f"{path} was not found: keep the file's name", path)
            for item in rubric
        ]
        return {"version": 1, "status": "fail", "max_score": max_score, "tests": tests}
    try:
        graded = grade_in_process([path]).exercise(module)
    except Exception as error:  # a result the reporter can show, whatever happened
        return {
            "version": 1,
            "status": "error",
            "max_score": max_score,
            "tests": [_test(module, "fail", 0, f"grading failed: {error}", path)],
        }
    tests = [
        _test(
            item.title,
            "pass" if item.status == "passed" else "fail",
            item.points,
            "\n".join(filter(None, [item.message, item.details])),
            path,
            duration=item.wall_seconds,
        )
        for item in graded.items
    ]
    status = "pass" if all(t["status"] == "pass" for t in tests) else "fail"
    return {"version": 1, "status": status, "max_score": max_score, "tests": tests}


def _test(
    name: str, status: str, score: float, message: str, path: Path, duration: float = 0.0
) -> dict[str, Any]:
    return {
        "name": name,
        "status": status,
        "score": score,
        "message": message,
        "test_code": f"asynclings classroom result {path}",
        "filename": str(path),
        "line_no": 0,
        "duration": round(duration * 1000),
    }


def print_result(path: Path) -> None:
    """Print ``result=<base64>`` (for ``$GITHUB_OUTPUT``) and a summary on stderr.

    Whatever the learner's code prints while it is graded goes to stderr: stdout holds
    the one line GitHub reads.
    """
    stdout = os.dup(1)
    os.dup2(2, 1)
    try:
        payload = result_payload(path)
    finally:
        sys.stdout.flush()
        os.dup2(stdout, 1)
        os.close(stdout)
    for test in payload["tests"]:
        mark = "PASS" if test["status"] == "pass" else "FAIL"
        print(f"{mark} {test['score']:g}  {test['name']}", file=sys.stderr)
        if test["status"] != "pass" and test["message"]:
            for line in test["message"].splitlines():
                print(f"      {line}", file=sys.stderr)
    encoded = base64.b64encode(json.dumps(payload).encode()).decode()
    print(f"result={encoded}")
