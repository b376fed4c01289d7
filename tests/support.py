"""Helpers for the kit's own tests: grade one file as a given exercise module."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from asynclings.results import ExerciseResult, Results
from asynclings.run import grade

TESTS = Path(__file__).parent
ROOT = TESTS.parent
MUTANTS = TESTS / "mutants"
IDIOMS = TESTS / "idioms"

_LOSES = re.compile(r"^# loses:(.*)$", re.MULTILINE)


def grade_file(
    source: Path, module: str, workdir: Path, *, seed: int | None = None
) -> ExerciseResult:
    """Grade ``source`` as exercise module ``module`` (copied into ``workdir``)."""
    target = workdir / f"{module}.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return grade_folder(workdir, seed=seed).exercise(module)


def grade_folder(folder: Path, *, seed: int | None = None) -> Results:
    return grade([folder], seed=seed)


def expected_losses(mutant: Path) -> set[str]:
    """The rubric items a mutant must lose, from its ``# loses: a b`` line."""
    match = _LOSES.search(mutant.read_text(encoding="utf-8"))
    if match is None:
        raise AssertionError(f"{mutant} has no '# loses:' line")
    return set(match.group(1).split())


def cases(folder: Path) -> list[tuple[str, Path]]:
    """``(module, file)`` for every ``folder/<module>/<case>.py``."""
    return [
        (module_dir.name, case)
        for module_dir in sorted(p for p in folder.iterdir() if p.is_dir())
        for case in sorted(module_dir.glob("*.py"))
    ]


def check_your_work(module: str) -> str:
    """The "Check your work" section of the stub of ``module``, as one line of text."""
    text = (ROOT / "exercises" / f"{module}.py").read_text(encoding="utf-8")
    section = text.split("\nCheck your work\n", 1)[1].split('"""', 1)[0]
    return " ".join(section.split())


def printed_commands(text: str) -> list[str]:
    """The commands quoted in ``text`` (reST ``literals`` or Markdown `code`)."""
    return re.findall(r"``([^`]+)``", text) or re.findall(r"`([^`]+)`", text)


def run_printed(command: str, cwd: Path) -> tuple[int, str]:
    """Run an `asynclings` or `pytest` command as a learner would type it, in ``cwd``:
    (exit code, everything it printed)."""
    import os
    import shlex
    import subprocess
    import sys

    words = shlex.split(command)
    program = {"asynclings": "asynclings.cli", "pytest": "pytest"}[words[0]]
    # Not this test run's own pytest settings: only what a learner's shell has.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run(
        [sys.executable, "-m", program, *words[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    return done.returncode, done.stdout + done.stderr


def assert_graded_sequential_ex02(command: str, code: int, out: str) -> None:
    """``command`` (``pytest``, ``asynclings check`` or ``hint``) graded ex02_gather.py,
    the ``sequential`` mutant: its items are shown (7/10), no error, not "no tests ran"."""
    assert "no tests ran" not in out and "Traceback" not in out, (command, out)
    if command.startswith("pytest"):
        assert code == 1, (command, out)  # items failed: graded, not an error
        assert re.search(r"ex02_gather +7/10  2 items to fix", out), (command, out)
        assert "FAIL   0/2  fetch_all runs the fetches concurrently" in out, (command, out)
    elif command.startswith("asynclings check"):
        assert code == 0, (command, out)
        assert "FAIL   0/2  fetch_all runs the fetches concurrently" in out, (command, out)
        assert "PASS   2/2  fetch_all returns every result in the order" in out, (command, out)
        assert "ex02_gather: 7/10 points, in progress" in out, (command, out)
    else:
        assert command.startswith("asynclings hint"), command
        assert code == 0 and "Hint 1/" in out, (command, out)
