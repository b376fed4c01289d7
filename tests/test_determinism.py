"""The same code gets the same verdicts, run after run: references, stubs and every
mutant, graded together in one tree (each in a folder of its own) twice.

Messages must match too, except the measured durations of the items that time real
time (ex01's ``main``), which are masked. ``benchmarks/determinism.py`` repeats this
20 times in fresh interpreters while other processes load every core."""

from __future__ import annotations

import re
import shutil

import pytest

from asynclings.manifest import exercises
from asynclings.run import grade
from support import MUTANTS, cases

pytestmark = pytest.mark.slow  # every mutant graded twice: minutes


def _tree(root):
    for exercise in exercises():
        for kind, source in (("solution", exercise.solution), ("stub", exercise.stub)):
            folder = root / f"{exercise.module}-{kind}"
            folder.mkdir(parents=True)
            shutil.copyfile(source, folder / f"{exercise.module}.py")
    for module, mutant in cases(MUTANTS):
        folder = root / f"{module}-{mutant.stem}"
        folder.mkdir(parents=True)
        shutil.copyfile(mutant, folder / f"{module}.py")


_REAL_TIME = re.compile(r"[0-9.]+ s of real time")


def _verdicts(root):
    results = grade([root])
    return {
        (exercise.path, item.name): (item.status, _REAL_TIME.sub("N s of real time", item.message))
        for exercise in results.exercises
        for item in exercise.items
    }


def test_verdicts_and_messages_are_identical_over_repeated_runs(tmp_path):
    _tree(tmp_path)
    first = _verdicts(tmp_path)
    assert len(first) > 100
    assert _verdicts(tmp_path) == first
