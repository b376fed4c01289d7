"""The cheat suite: submissions that try to raise their grade without solving the
exercise, or to reach beyond their own grading, graded in one sandboxed batch.

Each ``tests/cheats/<name>/`` is one submission. Its ``ex02_gather.py`` says in its
header what it tries (``# cheat:``), the most points it may keep (``# max-points:``:
what its honest part earns, never more) and whether it must be flagged for review
(``# flagged:``). Every cheat also submits the reference ``ex01_coroutines``: those 10
points must survive whatever the cheat does to its own module.

Beyond each cheat's own verdict the batch must leave: an honest submission graded in
the same batch at full marks, the host's files and the kit untouched, and no process
behind.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from asynclings.grading.batch import BatchOptions, grade_batch
from asynclings.grading.sandbox import FIRST_UID
from asynclings.grading.worker import Limits
from asynclings.manifest import content_root, exercise, exercises
from support import TESTS

CHEATS = TESTS / "cheats"
JOBS = 3
_HEADER = re.compile(r"^# (cheat|max-points|flagged): (.*)$", re.MULTILINE)


def _expectations(cheat: Path) -> dict[str, str]:
    found = dict(_HEADER.findall((cheat / "ex02_gather.py").read_text(encoding="utf-8")))
    assert {"cheat", "max-points", "flagged"} <= found.keys(), f"{cheat.name}: header"
    return found


NAMES = sorted(p.name for p in CHEATS.iterdir() if p.is_dir())


def _kit_digest() -> str:
    digest = hashlib.sha256()
    root = content_root()
    for path in sorted([*(root / "graders").glob("*.py"), *(root / "solutions").glob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _sandbox_processes() -> list[str]:
    listing = subprocess.run(
        ["ps", "-eo", "uid=,pid=,args="], capture_output=True, text=True, check=True
    ).stdout
    # Another batch on this machine (a CI run alongside) has workers of its own, under
    # the same uids but another Python: only this run's, and the cheats', count.
    ours = sys.prefix
    return [
        line
        for line in listing.splitlines()
        if line.split()
        and (
            (FIRST_UID <= int(line.split()[0]) < FIRST_UID + 64 and ours in line)
            or "asynclings-cheat" in line.split(None, 2)[-1]
        )
    ]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("cheats")
    submissions = root / "submissions"
    for name in NAMES:
        shutil.copytree(CHEATS / name, submissions / name)
        shutil.copyfile(
            exercise("ex01_coroutines").solution, submissions / name / "ex01_coroutines.py"
        )
    honest = submissions / "zz-honest"
    honest.mkdir()
    for each in exercises():
        shutil.copyfile(each.solution, honest / f"{each.module}.py")
    shutil.copytree(TESTS / "honest" / "unusual", submissions / "zz-honest-unusual")
    canary = Path(f"/tmp/asynclings-canary-{uuid.uuid4().hex}")
    canary.write_text("still here")
    kit_before = _kit_digest()
    try:
        run = grade_batch(
            submissions,
            root / "gradebook.sqlite",
            BatchOptions(jobs=JOBS, limits=Limits(timeout=10, memory_mb=768), seed=11),
        )
        after = {
            "canary": canary.read_text() if canary.exists() else None,
            "kit": _kit_digest() == kit_before,
            "processes": _sandbox_processes(),
        }
    finally:
        canary.unlink(missing_ok=True)
    return {r.submission: r for r in run.results}, after


def test_the_suite_holds_at_least_twenty_cheats():
    assert len(NAMES) >= 20


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_each_cheat_is_defeated(batch, name):
    results, _ = batch
    expected = _expectations(CHEATS / name)
    result = results[name]
    attacked = result.results.exercise("ex02_gather")
    assert attacked.points <= float(expected["max-points"]), (
        f"{expected['cheat']}: scored {attacked.points:g}, more than it earned"
    )
    flagged = bool(attacked.flags)
    assert flagged == (expected["flagged"] == "yes"), f"{expected['cheat']}: flags {attacked.flags}"
    if flagged:
        assert result.needs_review
    assert result.results.exercise("ex01_coroutines").points == 10, (
        "the cheat cost points beyond its own module"
    )
    assert result.sandbox == "bubblewrap"


@pytest.mark.slow
def test_an_honest_submission_in_the_same_batch_gets_full_marks(batch):
    results, _ = batch
    honest = results["zz-honest"]
    assert honest.points == honest.max_points == 10 * len(exercises())
    assert not honest.flagged and not honest.needs_review


@pytest.mark.slow
def test_honest_code_that_looks_at_frames_through_the_standard_library_is_not_flagged(batch):
    """logging, traceback, TypeVar, namedtuple, reprs of tasks, a thread, a temporary
    file: what honest code does must not cost points or raise a flag."""
    results, _ = batch
    unusual = results["zz-honest-unusual"].results.exercise("ex02_gather")
    assert unusual.points == 10, [i.message for i in unusual.items if i.status != "passed"]
    assert unusual.flags == []


@pytest.mark.slow
def test_the_host_and_the_kit_are_untouched(batch):
    _, after = batch
    assert after["canary"] == "still here"
    assert after["kit"]


@pytest.mark.slow
def test_no_process_is_left_behind(batch):
    _, after = batch
    assert after["processes"] == []


@pytest.mark.slow
def test_refusals_name_the_line_and_what_was_attempted(batch):
    results, _ = batch
    flags = results["frame_walk"].results.exercise("ex02_gather").flags
    assert any("line 8" in flag and "frame inspection" in flag for flag in flags), flags
    changed = results["patch_monotonic"].results.exercise("ex02_gather").flags
    assert any("time.monotonic was replaced" in flag for flag in changed), changed
    message = results["patch_monotonic"].results.exercise("ex02_gather").items[0].message
    assert "changed the grader's own tools" in message
