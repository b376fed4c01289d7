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
