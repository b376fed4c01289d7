"""Gradescope: the autograder bundle, and what runs inside it.

``asynclings gradescope bundle OUT.zip`` writes a zip for Gradescope's "Configure
Autograder" page, holding at its root:

* ``setup.sh``: installs Python 3.11+ if the image lacks it (and bubblewrap), makes a
  virtualenv in ``/autograder/source/venv`` and installs the kit from the wheel in the
  bundle (built without the reference solutions);
* ``run_autograder``: runs ``python -m asynclings.integrations.gradescope run``;
* ``config.json``: which exercises this assignment grades, which rubric items are
  hidden until the due date, the time limit;
* ``wheels/asynclings-*.whl``.

:func:`run` grades ``/autograder/submission`` (``--root`` moves ``/autograder``
elsewhere, for tests) with the batch grader, in the bubblewrap sandbox when the
container allows it, and writes ``results/results.json`` in Gradescope's format: one
test per rubric item (``score``, ``max_score``, ``status``, Markdown ``output``,
``number`` = exercise.item, ``visibility``), the execution time, and a summary. Whatever
goes wrong (no submission, no exercise module in it, a crash of the grader itself), a
valid results.json says what happened.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["bundle", "run"]

SETUP_SH = r"""#!/usr/bin/env bash
# Installs the asynclings grader (run once by Gradescope when the image is built).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
APT_UPDATED=""
apt_install() {  # apt_install PACKAGE...: from the image's packages, their lists updated first
  export DEBIAN_FRONTEND=noninteractive
  if [[ -z "$APT_UPDATED" ]]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
  apt-get install -y -qq "$@" >/dev/null
}
PYTHON="${ASYNCLINGS_PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null && python_ok "$(command -v "$candidate")"; then
      PYTHON="$(command -v "$candidate")"
      break
    fi
  done
fi
if [[ -z "$PYTHON" ]] && command -v apt-get >/dev/null; then
  apt_install python3.11 python3.11-venv
  PYTHON="$(command -v python3.11)"
fi
[[ -n "$PYTHON" ]] || { echo "asynclings needs Python 3.11+"; exit 1; }
if ! command -v bwrap >/dev/null && command -v apt-get >/dev/null && [[ "$(id -u)" == 0 ]]; then
  # The sandbox, if the image allows; without it each submission is graded unsandboxed
  # and its results.json says why.
  apt_install bubblewrap 2>&1 || echo "bubblewrap could not be installed: grading unsandboxed"
fi
rm -rf "$SOURCE/venv"
"$PYTHON" -m venv "$SOURCE/venv"
"$SOURCE/venv/bin/python" -m pip install --quiet --upgrade pip
"$SOURCE/venv/bin/python" -m pip install --quiet "$SOURCE"/wheels/asynclings-*.whl
"$SOURCE/venv/bin/python" -c 'import asynclings; print("asynclings", asynclings.__version__)'
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Grades /autograder/submission into /autograder/results/results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
exec "$ROOT/source/venv/bin/python" -m asynclings.integrations.gradescope run --root "$ROOT" \
  --config "$ROOT/source/config.json"
"""


def bundle(
    out: Path,
    modules: Sequence[str] | None = None,
    *,
    hidden: Sequence[str] = (),
    timeout: float = 120.0,
) -> Path:
    """Write the autograder zip to ``out``."""
    from ..manifest import exercises
    from .packaging import build_wheel

    chosen = [e.module for e in exercises() if modules is None or e.module in modules]
    config = {"exercises": chosen, "hidden": list(hidden), "timeout": timeout}
    with tempfile.TemporaryDirectory(prefix="asynclings-bundle-") as scratch:
        wheel = build_wheel(Path(scratch))
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o100755 << 16  # executable
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text)
            archive.writestr("config.json", json.dumps(config, indent=2) + "\n")
            archive.write(wheel, f"wheels/{wheel.name}")
    return out


# Inside the container -----------------------------------------------------------------


def _metadata(root: Path) -> dict[str, Any]:
    try:
        data = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _learner(metadata: dict[str, Any]) -> str:
    users = metadata.get("users")
    if isinstance(users, list) and users and isinstance(users[0], dict):
        return str(users[0].get("name") or users[0].get("email") or "")
    return ""


def _failure(message: str, started: float) -> dict[str, Any]:
    return {
        "score": 0.0,
        "execution_time": round(time.monotonic() - started, 3),
        "output": message,
        "output_format": "md",
        "visibility": "visible",
        "tests": [],
    }


def results_json(
    result: Any,
    modules: Sequence[str],
    hidden: Sequence[str],
    *,
    seconds: float,
    learner: str = "",
    unsandboxed_because: str = "",
) -> dict[str, Any]:
    """Gradescope's results.json for one graded submission (a SubmissionResult).

    ``unsandboxed_because``: why it was graded without the sandbox (empty: it was not,
    or ``--no-sandbox`` said so).
    """
    from ..reports.files import Autograder, gradescope_json

    options = Autograder(
        modules=tuple(modules),
        hidden=tuple(hidden),
        seconds=seconds,
        learner=learner,
        unsandboxed_because=unsandboxed_because,
    )
    return gradescope_json(result, options)


def run(root: Path, config_path: Path | None = None) -> dict[str, Any]:
    """Grade ``root/submission`` and write ``root/results/results.json``."""
    started = time.monotonic()
    results_dir = root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    try:
        data = _grade(root, config_path, started)
    except BaseException as error:  # a results.json must exist, whatever happened
        if isinstance(error, KeyboardInterrupt):
            raise
        traceback.print_exc()
        data = _failure(
            f"The autograder could not grade this submission ({type(error).__name__}: "
            f"{error}). Your instructor can see the details.",
            started,
        )
    (results_dir / "results.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return data


def _grade(root: Path, config_path: Path | None, started: float) -> dict[str, Any]:
    from ..grading.single import grade_one
    from ..grading.worker import Limits
    from ..manifest import exercises

    config: dict[str, Any] = {}
    if config_path is not None and config_path.is_file():
        config = json.loads(config_path.read_text(encoding="utf-8"))
    modules = config.get("exercises") or [e.module for e in exercises()]
    hidden = config.get("hidden", [])
    submission = root / "submission"
    if not submission.is_dir() or not any(submission.iterdir()):
        return _failure(
            "Nothing was submitted: upload your exercise modules "
            f"({', '.join(f'`{m}.py`' for m in modules)}), or a zip of them.",
            started,
        )
    metadata = _metadata(root)
    limits = Limits(timeout=float(config.get("timeout", 120.0)))
    graded = grade_one(submission, str(metadata.get("id") or "submission"), modules, limits)
    if graded is None:
        return _failure(
            "No exercise module was found in the submission: name each file after its "
            f"exercise ({', '.join(f'`{m}.py`' for m in modules)}), at any depth.",
            started,
        )
    unsandboxed_because = graded.unsandboxed_because(
        "this autograder image",
        "setup.sh installs it with apt-get when the image has apt-get and runs setup.sh as root",
    )
    return results_json(
        graded.result,
        modules,
        hidden,
        seconds=time.monotonic() - started,
        learner=_learner(metadata),
        unsandboxed_because=unsandboxed_because,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m asynclings.integrations.gradescope")
    commands = parser.add_subparsers(dest="command", required=True)
    runner = commands.add_parser("run", help="grade the submission (inside the container)")
    runner.add_argument("--root", type=Path, default=Path("/autograder"))
    runner.add_argument("--config", type=Path, default=None)
    options = parser.parse_args(argv)
    if options.command == "run":
        data = run(options.root, options.config)
        print(f"results.json written: {data['score']:g} points, {len(data['tests'])} tests")
        sys.stdout.flush()
        os._exit(0)  # grading threads may linger; the results are written


if __name__ == "__main__":
    main()
