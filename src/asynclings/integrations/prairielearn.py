"""PrairieLearn: externally graded questions, and the grader that runs inside them.

``asynclings prairielearn DIR`` writes into a PrairieLearn course folder DIR:

* ``questions/<exercise>/info.json``: the question, ``"gradingMethod": "External"``
  with ``externalGradingOptions`` (``enabled``, ``image``, ``serverFilesCourse``,
  ``entrypoint``, ``timeout``), as PrairieLearn's external grading reference
  documents them (docs/externalGrading.md in github.com/PrairieLearn/PrairieLearn,
  "Configuring and enabling external grader support"); its ``uuid`` is derived from
  the exercise, so writing the course again keeps each question's identity;
* ``questions/<exercise>/question.html``: a ``<pl-file-editor>`` whose ``file-name`` is
  the module the grader expects (``ex02_gather.py``) and whose starting text is the
  stub, then ``<pl-submission-panel>`` with ``<pl-external-grader-results>`` and
  ``<pl-file-preview>``, as the example course's demo/autograder/codeEditor question
  does (docs/elements/pl-file-editor.md, pl-external-grader-results.md);
* ``questions/<exercise>/tests/config.json``: which exercise the question grades and
  the time limit, copied by PrairieLearn to ``/grade/tests``;
* ``serverFilesCourse/asynclings/``: ``run.sh`` (the entrypoint, run as
  ``/grade/serverFilesCourse/asynclings/run.sh``), ``wheels/asynclings-*.whl`` (the kit,
  without the reference solutions) and a ``Dockerfile`` for the grading image.

:func:`run` grades ``/grade/student`` (``--root`` moves ``/grade`` elsewhere, for
tests) like the Gradescope autograder does (:func:`asynclings.grading.single.grade_one`:
a batch of one, in the bubblewrap sandbox when the container allows it, else without
it, and the results say why) and writes ``/grade/results/results.json`` in the format
of "Grading results" in that reference: ``gradable``, ``score`` in [0, 1], ``message``,
``output``, and ``tests[]`` with one test per rubric item (``name``, ``description``,
``points``, ``max_points``, ``message``, ``output``), which
``<pl-external-grader-results>`` renders. A submission that cannot be graded (nothing
submitted, no file named after the exercise) is ``"gradable": false`` with its
``format_errors``, so PrairieLearn counts no attempt; a module that is there but does
not load is graded and scores 0, with the reason.

The image. PrairieLearn runs the entrypoint in the Docker image ``info.json`` names
(``image``, any public image; networking off unless ``enableNetworking``). Its
"Docker images" page recommends a custom variation of a maintained image, so the
Dockerfile written here starts ``FROM prairielearn/grader-python`` (Python 3.13 in
``/venv``) and installs the wheel with ``uv pip install``; the instructor builds it
for ``linux/amd64``, pushes it to a public registry, syncs it on the course's Sync
page, and passes its name as ``--image`` (the default, ``prairielearn/grader-python``,
works only as below). ``run.sh`` uses an interpreter that already has the kit; in an
image without it, it installs the wheel into a virtualenv at each grading job from
``wheels/`` (offline if the instructor put the kit's dependencies' wheels there with
``pip download``, otherwise from PyPI, which needs ``enableNetworking``). If that
fails, the results say so and are not gradable: the learner loses no attempt.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import sys
import time
import traceback
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["results_json", "run", "write_course"]

DEFAULT_IMAGE = "prairielearn/grader-python"
SERVER_FILES = "asynclings"
ENTRYPOINT = f"/grade/serverFilesCourse/{SERVER_FILES}/run.sh"
_NAMESPACE = uuid.UUID("5b0c7a1e-8f61-4a47-9a57-2f0d6c1e4b3a")

RUN_SH = r"""#!/usr/bin/env bash
# PrairieLearn's entrypoint: grades /grade/student into /grade/results/results.json.
set -uo pipefail
ROOT="${ASYNCLINGS_GRADE_ROOT:-/grade}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
USE_IMAGE="Instructor: use an image built from serverFilesCourse/asynclings/Dockerfile"
mkdir -p "$ROOT/results"
not_gradable() {  # not_gradable MESSAGE: a results.json that costs the learner no attempt
  local text="$1; this attempt was not counted. $USE_IMAGE."
  text="${text//\\/\\\\}"
  text="${text//\"/\\\"}"
  printf '{"gradable": false, "format_errors": ["%s"], "message": "%s", "tests": []}\n' \
    "$text" "$text" >"$ROOT/results/results.json"
  echo "asynclings: $1" >&2
  exit 0
}
recent() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
CANDIDATES=("${ASYNCLINGS_PYTHON:-}" /venv/bin/python python3.13 python3.12 python3.11 python3)
PYTHON=""
BASE=""
for candidate in "${CANDIDATES[@]}"; do
  [[ -n "$candidate" ]] || continue
  path="$(command -v "$candidate" 2>/dev/null)" || continue
  recent "$path" || continue
  [[ -n "$BASE" ]] || BASE="$path"
  if "$path" -c 'import asynclings.integrations.prairielearn' 2>/dev/null; then
    PYTHON="$path"
    break
  fi
done
if [[ -z "$PYTHON" ]]; then
  # An image without the kit (one built from the Dockerfile beside this script has it):
  # install the wheel into a virtualenv for this job, offline when wheels/ holds the
  # kit's dependencies too, else from PyPI (which needs enableNetworking).
  [[ -n "$BASE" ]] || not_gradable "The grading image has no Python 3.11 or newer"
  VENV="${ASYNCLINGS_VENV:-/tmp/asynclings-venv}"
  "$BASE" -m venv "$VENV" >&2 || not_gradable "The grader could not make a virtualenv"
  PIP=("$VENV/bin/python" -m pip install --quiet)
  if ! "${PIP[@]}" --no-index --find-links "$HERE/wheels" asynclings >&2; then
    "${PIP[@]}" --retries 1 --timeout 10 "$HERE"/wheels/asynclings-*.whl >&2 ||
      not_gradable "The grader could not be installed in this image (no network, and not \
all of its dependencies in serverFilesCourse/asynclings/wheels)"
  fi
  PYTHON="$VENV/bin/python"
fi
exec "$PYTHON" -m asynclings.integrations.prairielearn run --root "$ROOT"
"""

DOCKERFILE = """\
# The grading image for the asynclings questions: PrairieLearn's maintained Python
# grader with the kit installed. Build, push and sync it (docs/instructors.md):
#   docker build --platform linux/amd64 -t ACCOUNT/asynclings-grader .
#   docker push ACCOUNT/asynclings-grader
# then write the course again with --image ACCOUNT/asynclings-grader.
FROM prairielearn/grader-python
COPY wheels/ /tmp/asynclings-wheels/
RUN uv pip install /tmp/asynclings-wheels/asynclings-*.whl && rm -rf /tmp/asynclings-wheels
# The sandbox, if the distribution has it; without it (or where the container forbids
# it) each submission is graded in PrairieLearn's container only, and its results say so.
RUN (dnf install -y bubblewrap && dnf clean all) \\
    || echo "bubblewrap is not available: grading will run unsandboxed"
"""

QUESTION_HTML = """\
<pl-question-panel>
  <p><strong>{title}</strong> ({topic})</p>
  <p>
    Complete <code>{file}</code> below: its docstring states the contract and shows an
    example. Each rubric item is graded on its own, with every lost point explained.
  </p>
  <pl-file-editor file-name="{file}" ace-mode="ace/mode/python"{source}>{stub}</pl-file-editor>
</pl-question-panel>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""


def question_uuid(module: str) -> str:
    """The question's uuid: the same for the same exercise, every time."""
    return str(uuid.uuid5(_NAMESPACE, f"asynclings/{module}"))


def info_json(module: str, *, image: str = DEFAULT_IMAGE, timeout: int = 120) -> dict[str, Any]:
    """The question's info.json for exercise ``module``."""
    from ..manifest import exercise

    chosen = exercise(module)
    return {
        "uuid": question_uuid(module),
        "title": f"asyncio: {chosen.title} ({module})",
        "topic": chosen.topic,
        "tags": ["asynclings", module],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": image,
            "serverFilesCourse": [f"{SERVER_FILES}/"],
            "entrypoint": ENTRYPOINT,
            "timeout": timeout,
        },
    }


def question_html(module: str) -> tuple[str, str | None]:
    """question.html for ``module``, and the starting file's text when it must live
    beside it (a stub with ``{{`` or ``}}``, which the page's Mustache would expand)."""
    from ..manifest import exercise

    chosen = exercise(module)
    stub = chosen.stub.read_text(encoding="utf-8")
    fields = {
        "title": html.escape(chosen.title),
        "topic": html.escape(chosen.topic),
        "file": f"{module}.py",
    }
    if "{{" in stub or "}}" in stub:
        page = QUESTION_HTML.format(**fields, source=' source-file-name="initial_code.py"', stub="")
        return page, stub
    return QUESTION_HTML.format(**fields, source="", stub=html.escape(stub, quote=False)), None


def write_course(
    out: Path,
    modules: Sequence[str] | None = None,
    *,
    image: str = DEFAULT_IMAGE,
    timeout: int = 120,
) -> list[Path]:
    """Write the questions and the grader's files into the course folder ``out``.

    ``timeout``: the seconds PrairieLearn gives a grading job (at most 600); grading
    itself may take three quarters of it, the rest is for starting up."""
    from ..manifest import exercises
    from .packaging import build_wheel

    chosen = [e.module for e in exercises() if modules is None or e.module in modules]
    written: list[Path] = []

    def write(path: Path, text: str, *, executable: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if executable:
            path.chmod(0o755)
        written.append(path)

    for module in chosen:
        folder = out / "questions" / module
        info = info_json(module, image=image, timeout=timeout)
        write(folder / "info.json", json.dumps(info, indent=2) + "\n")
        page, starting = question_html(module)
        write(folder / "question.html", page)
        if starting is not None:
            write(folder / "initial_code.py", starting)
        else:
            (folder / "initial_code.py").unlink(missing_ok=True)
        config = {"exercises": [module], "timeout": round(timeout * 0.75)}
        write(folder / "tests" / "config.json", json.dumps(config, indent=2) + "\n")
    server = out / "serverFilesCourse" / SERVER_FILES
    write(server / "run.sh", RUN_SH, executable=True)
    write(server / "Dockerfile", DOCKERFILE)
    wheels = server / "wheels"
    for old in wheels.glob("asynclings-*.whl"):
        old.unlink()
    written.append(build_wheel(wheels))
    return written


# Inside the grading container --------------------------------------------------------


def _not_gradable(*errors: str) -> dict[str, Any]:
    return {
        "gradable": False,
        "score": 0.0,
        "format_errors": list(errors),
        "message": " ".join(errors),
        "tests": [],
    }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def _plain(text: str) -> str:
    """PrairieLearn shows messages as plain text: no Markdown emphasis."""
    return text.replace("**", "")


def results_json(
    result: Any, modules: Sequence[str], *, seconds: float = 0.0, unsandboxed_because: str = ""
) -> dict[str, Any]:
    """PrairieLearn's results.json for one graded submission (a SubmissionResult):
    one test per rubric item of ``modules``."""
    from ..reports.files import integrity_lines, module_lines

    wanted = set(modules)
    shown = [e for e in result.results.exercises if e.module in wanted]
    tests = []
    for exercise in shown:
        for item in exercise.items:
            if exercise.status == "graded" and result.status == "graded":
                message = "passed" if item.status == "passed" else item.message
                output = item.details
            else:
                message = (
                    f"not graded: {exercise.module} {exercise.label}, so none of its items "
                    "ran; the reason is in the message at the top"
                )
                output = ""
            tests.append(
                {
                    "name": item.title,
                    "description": f"{exercise.module}, rubric item {item.name}",
                    "points": _number(item.points),
                    "max_points": _number(item.max_points),
                    "message": _plain(message),
                    "output": output,
                }
            )
    points = sum(t["points"] for t in tests)
    most = sum(t["max_points"] for t in tests)
    lines = [f"{_number(points)}/{_number(most)} points, graded by asynclings."]
    if result.reason:
        lines.append(result.reason)
    lines += module_lines(result, [e for e in shown if e.status != "not submitted"])
    lines += integrity_lines(result, unsandboxed_because=unsandboxed_because)
    extra: dict[str, Any] = {
        "sandbox": result.sandbox or "none",
        "needs_review": result.needs_review,
        "flags": [f"{e.module}: {flag}" for e in shown for flag in e.flags],
        "data_seed": result.data_seed,
        "seconds": round(seconds, 3),
    }
    if unsandboxed_because and result.sandbox == "none":
        extra["sandbox_unavailable"] = unsandboxed_because
    return {
        "gradable": True,
        "score": min(1.0, max(0.0, points / most)) if most else 0.0,
        "message": _plain("\n\n".join(lines)),
        "output": "",
        "tests": tests,
        "asynclings": extra,
    }


def _grade(root: Path, started: float) -> dict[str, Any]:
    from ..grading.single import grade_one
    from ..grading.worker import Limits
    from ..manifest import exercises

    config: dict[str, Any] = {}
    config_path = root / "tests" / "config.json"
    if config_path.is_file():
        config = json.loads(config_path.read_text(encoding="utf-8"))
    modules = config.get("exercises") or [e.module for e in exercises()]
    expected = ", ".join(f"{m}.py" for m in modules)
    student = root / "student"
    files = sorted(p for p in student.rglob("*") if p.is_file()) if student.is_dir() else []
    if not files:
        return _not_gradable(
            f"Nothing was submitted: the grader expects {expected}. Write your solution in "
            "the editor and submit again; this attempt was not counted."
        )
    limits = Limits(timeout=float(config.get("timeout", 90)))
    graded = grade_one(student, "student", modules, limits)
    if graded is None:
        found = ", ".join(p.relative_to(student).as_posix() for p in files[:8])
        return _not_gradable(
            f"No file named {expected} was submitted (found: {found}). Name the file "
            f"{expected} and submit again; this attempt was not counted."
        )
    unsandboxed_because = graded.unsandboxed_because(
        "this grading image",
        "the Dockerfile in serverFilesCourse/asynclings installs it where the distribution has it",
    )
    return results_json(
        graded.result,
        modules,
        seconds=time.monotonic() - started,
        unsandboxed_because=unsandboxed_because,
    )


def run(root: Path) -> dict[str, Any]:
    """Grade ``root/student`` and write ``root/results/results.json``."""
    started = time.monotonic()
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    try:
        data = _grade(root, started)
    except BaseException as error:  # a results.json must exist, whatever happened
        if isinstance(error, KeyboardInterrupt):
            raise
        traceback.print_exc()
        data = _not_gradable(
            f"The grader itself failed ({type(error).__name__}: {error}), so this attempt "
            "was not counted. Submit again; if it happens again, tell your instructor, who "
            "can see the details in the grading job's log."
        )
    (results / "results.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return data


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m asynclings.integrations.prairielearn")
    commands = parser.add_subparsers(dest="command", required=True)
    runner = commands.add_parser("run", help="grade the submission (inside the container)")
    runner.add_argument("--root", type=Path, default=Path("/grade"))
    options = parser.parse_args(argv)
    if options.command == "run":
        data = run(options.root)
        if data["gradable"]:
            print(f"results.json written: score {data['score']:.3f}, {len(data['tests'])} tests")
        else:
            print("results.json written: not gradable: " + "; ".join(data["format_errors"]))
        sys.stdout.flush()
        os._exit(0)  # grading threads may linger; the results are written


if __name__ == "__main__":
    main()
