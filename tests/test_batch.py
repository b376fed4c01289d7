"""Batch grading: isolation, bad input, the gradebook's resume and cache, the outputs."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from asynclings.grading.batch import BatchOptions, grade_batch
from asynclings.grading.intake import MAX_MODULE_BYTES
from asynclings.grading.worker import Limits
from asynclings.manifest import exercise, exercises
from asynclings.reports.files import gradescope_json, write_outputs
from asynclings.reports.html import write_report
from asynclings.run import grade
from support import ROOT

GATHER = exercise("ex02_gather")
FAST = BatchOptions(jobs=2, limits=Limits(timeout=20, memory_mb=1024))


def _folder(root: Path, learner: str, modules: dict[str, str | bytes | Path]) -> Path:
    folder = root / learner
    folder.mkdir(parents=True)
    for module, content in modules.items():
        target = folder / f"{module}.py"
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(textwrap.dedent(content), encoding="utf-8")
    return folder


def _run(submissions: Path, tmp_path: Path, options: BatchOptions = FAST):
    run = grade_batch(submissions, tmp_path / "gradebook.sqlite", options)
    return run, {r.submission: r for r in run.results}


def _gather(result):
    return result.results.exercise("ex02_gather")


def test_references_get_full_marks_and_stubs_not_implemented(tmp_path):
    subs = tmp_path / "subs"
    _folder(subs, "reference", {e.module: e.solution for e in exercises()})
    _folder(subs, "stubs", {e.module: e.stub for e in exercises()})
    _, by_id = _run(subs, tmp_path)
    assert by_id["reference"].points == by_id["reference"].max_points == 10 * len(exercises())
    stubs = by_id["stubs"]
    assert stubs.points == 0
    assert all(e.status == "not implemented" for e in stubs.results.exercises)
    assert all(
        i.message.startswith("not implemented yet")
        for e in stubs.results.exercises
        for i in e.items
    )


def test_batch_verdicts_equal_the_learners_pytest_run(tmp_path):
    mutant = ROOT / "tests" / "mutants" / "ex02_gather" / "sequential.py"
    subs = tmp_path / "subs"
    _folder(subs, "learner", {"ex02_gather": mutant})
    _, by_id = _run(subs, tmp_path)
    batch = {i.name: (i.status, i.message) for i in _gather(by_id["learner"]).items}
    local = {
        i.name: (i.status, i.message)
        for i in grade([subs / "learner"]).exercise("ex02_gather").items
    }
    assert batch == local
    assert {n for n, (s, _) in batch.items() if s == "failed"} == {
        "test_fetches_run_concurrently",
        "test_settled_runs_concurrently",
    }


HOSTILE = {
    "hangs-at-import": (
        "import time\nwhile True:\n    time.sleep(1)\n",
        "timed out",
        "did not finish within",
    ),
    "exits-hard": ("import os\nos._exit(0)\n", "crashed", "ended without results"),
    # An exception at import (the output or memory limit hit): the module does not load.
    "floods-output": ("while True:\n    print('x' * 10000)\n", "does not load", "File too large"),
    "eats-memory": (
        "hog = []\nwhile True:\n    hog.append(bytearray(10**7))\n",
        "does not load",
        "MemoryError",
    ),
}


@pytest.mark.parametrize(
    "case",
    # A module that hangs waits out its timeout, then its exercises are graded one by one.
    [pytest.param(c, marks=pytest.mark.slow) if c == "hangs-at-import" else c for c in HOSTILE],
)
def test_a_hostile_module_costs_only_its_own_points(tmp_path, case):
    source, status, message = HOSTILE[case]
    subs = tmp_path / "subs"
    _folder(
        subs,
        "hostile",
        {"ex02_gather": source, "ex01_coroutines": exercise("ex01_coroutines").solution},
    )
    _folder(subs, "honest", {"ex02_gather": GATHER.solution})
    options = BatchOptions(jobs=2, limits=Limits(timeout=4, memory_mb=512))
    started = time.perf_counter()
    _, by_id = _run(subs, tmp_path, options)
    assert time.perf_counter() - started < 30
    hostile = by_id["hostile"]
    gather = _gather(hostile)
    assert gather.points == 0 and gather.status == status
    assert message in gather.items[0].message
    if status == "does not load":
        assert message in gather.reason
    assert hostile.results.exercise("ex01_coroutines").points == 10
    assert _gather(by_id["honest"]).points == 10


def test_unsandboxed_grading_scores_the_same_and_says_so_everywhere(tmp_path):
    mutant = ROOT / "tests" / "mutants" / "ex02_gather" / "sequential.py"
    subs = tmp_path / "subs"
    _folder(
        subs,
        "learner",
        {"ex02_gather": mutant, "ex01_coroutines": exercise("ex01_coroutines").solution},
    )
    (tmp_path / "a").mkdir()
    sandboxed, _ = _run(subs, tmp_path / "a")
    options = BatchOptions(jobs=2, limits=Limits(timeout=20, memory_mb=1024), sandbox=False)
    (tmp_path / "b").mkdir()
    plain, _ = _run(subs, tmp_path / "b", options)
    assert [r.points for r in plain.results] == [r.points for r in sandboxed.results]
    assert plain.results[0].sandbox == "none" and sandboxed.results[0].sandbox == "bubblewrap"
    out = tmp_path / "out"
    write_outputs(out, plain.results)
    write_report(out / "report.html", plain.results)
    row = next(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert row["sandbox"] == "none"
    assert "Unsandboxed" in (out / "feedback" / "learner.md").read_text(encoding="utf-8")
    assert "Unsandboxed" in (out / "report.html").read_text(encoding="utf-8")
    gradescope = json.loads((out / "results" / "learner.json").read_text(encoding="utf-8"))
    assert gradescope["extra_data"]["sandbox"] == "none"
    assert "Unsandboxed" in gradescope["output"]


def test_a_broken_sandbox_refuses_to_grade(tmp_path, monkeypatch):
    from asynclings.grading import sandbox

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    subs = tmp_path / "subs"
    _folder(subs, "learner", {"ex02_gather": GATHER.solution})
    with pytest.raises(sandbox.SandboxUnavailable, match="bubblewrap"):
        _run(subs, tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "asynclings.cli", "grade", str(subs), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": "/nonexistent"},
    )
    assert result.returncode == 2
    assert "--no-sandbox" in result.stdout and "not graded" in result.stdout
    assert not (tmp_path / "o" / "grades.csv").exists()


def test_bad_files_get_clear_reasons_and_the_batch_goes_on(tmp_path):
    subs = tmp_path / "subs"
    _folder(subs, "syntax", {"ex02_gather": "def fetch_all(:\n"})
    _folder(subs, "latin1", {"ex02_gather": b"# caf\xe9\n"})
    _folder(subs, "binary", {"ex02_gather": b"\x00\x01\x02\xff" * 64})
    _folder(subs, "deletes", {"ex02_gather": "import os, shutil\nshutil.rmtree(os.getcwd())\n"})
    (subs / "empty").mkdir()
    (subs / "notes.txt").write_text("not a submission")
    run, by_id = _run(subs, tmp_path)
    assert "does not compile: invalid syntax" in _gather(by_id["syntax"]).items[0].message
    assert "is not valid UTF-8" in _gather(by_id["latin1"]).items[0].message
    assert "is not valid UTF-8" in _gather(by_id["binary"]).items[0].message
    assert _gather(by_id["deletes"]).points == 0
    empty = by_id["empty"]
    assert empty.points == 0
    assert all(e.status == "not submitted" for e in empty.results.exercises)
    assert any("notes.txt" in note for note in run.notes)


def _zip(path: Path, members: dict[str, bytes], *, symlink: str | None = None) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, "/etc/passwd")


def test_zips_are_read_safely(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    solution = GATHER.solution.read_bytes()
    _zip(subs / "deep.zip", {"alice/work/src/ex02_gather.py": solution})
    _zip(subs / "climbs.zip", {"../ex02_gather.py": solution, "/abs/ex01_coroutines.py": solution})
    _zip(subs / "linked.zip", {}, symlink="ex02_gather.py")
    _zip(subs / "bomb.zip", {"ex02_gather.py": b"#" * (MAX_MODULE_BYTES + 10)})
    (subs / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    _, by_id = _run(subs, tmp_path)
    assert _gather(by_id["deep"]).points == 10
    climbs = by_id["climbs"]
    assert climbs.points == 0 and _gather(climbs).status == "not submitted"
    assert any("climbs out" in n for n in climbs.notes) and any(
        "absolute" in n for n in climbs.notes
    )
    assert any("symbolic link" in n for n in by_id["linked"].notes)
    assert any("over" in n and "bytes" in n for n in by_id["bomb"].notes)
    corrupt = by_id["corrupt"]
    assert corrupt.status == "rejected" and "not a readable zip file" in corrupt.reason


def test_duplicate_ids_are_both_graded_under_telling_names(tmp_path):
    subs = tmp_path / "subs"
    _folder(subs, "alice", {"ex02_gather": GATHER.solution})
    _zip(subs / "alice.zip", {"ex02_gather.py": GATHER.stub.read_bytes()})
    run, by_id = _run(subs, tmp_path)
    assert by_id["alice (folder)"].points == 10 and by_id["alice (zip)"].points == 0
    assert any("2 submissions share this id" in note for note in run.notes)


@pytest.mark.slow
def test_unchanged_submissions_are_not_regraded_unless_forced(tmp_path):
    subs = tmp_path / "subs"
    _folder(subs, "alice", {"ex02_gather": GATHER.solution})
    _folder(subs, "bob", {"ex02_gather": GATHER.stub})
    first, _ = _run(subs, tmp_path)
    assert sorted(first.graded) == ["alice", "bob"]
    again, _ = _run(subs, tmp_path)
    assert again.graded == [] and len(again.results) == 2
    shutil.copyfile(GATHER.solution, subs / "bob" / "ex02_gather.py")
    changed, by_id = _run(subs, tmp_path)
    assert changed.graded == ["bob"] and by_id["bob"].points == 10
    forced, _ = _run(subs, tmp_path, BatchOptions(jobs=2, limits=FAST.limits, force=True))
    assert sorted(forced.graded) == ["alice", "bob"]


@pytest.mark.slow
def test_a_killed_batch_resumes_without_regrading_what_was_saved(tmp_path):
    subs = tmp_path / "subs"
    for n in range(6):
        _folder(subs, f"learner{n}", {"ex02_gather": GATHER.solution})
    _folder(subs, "slow", {"ex02_gather": "import time\nwhile True:\n    time.sleep(1)\n"})
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "asynclings.cli",
        "grade",
        str(subs),
        "--out",
        str(out),
        "--jobs",
        "1",
        "--timeout",
        "30",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    gradebook = out / "gradebook.sqlite"
    from asynclings.grading.gradebook import Gradebook

    deadline = time.time() + 60
    saved: list[str] = []
    while time.time() < deadline and len(saved) < 6:
        time.sleep(0.2)
        if gradebook.exists():
            with Gradebook(gradebook) as book:
                saved = book.submissions()
    os.killpg(process.pid, signal.SIGKILL)  # a kill, not a polite stop
    process.wait()
    assert len(saved) >= 6 and "slow" not in saved
    resumed, by_id = _run(subs, out, BatchOptions(jobs=2, limits=Limits(timeout=3)))
    assert resumed.graded == ["slow"]
    assert all(by_id[f"learner{n}"].points == 10 for n in range(6))


def test_outputs_render_from_the_gradebook(tmp_path):
    from click.testing import CliRunner

    from asynclings.cli import main

    subs = tmp_path / "subs"
    _folder(subs, "alice", {"ex02_gather": GATHER.solution})
    _folder(subs, "bob", {"ex02_gather": ROOT / "tests/mutants/ex02_gather/sequential.py"})
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["grade", str(subs), "--out", str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "2 submissions" in result.output
    with (out / "grades.csv").open(encoding="utf-8") as file:
        rows = list(csv.reader(file))
    modules = [e.module for e in exercises()]
    assert rows[0] == [
        "submission",
        *modules,
        "total",
        "needs_review",
        "flags",
        "sandbox",
        "data_seed",
    ]
    alice = dict(zip(rows[0], rows[1], strict=True))
    assert alice["submission"] == "alice" and alice["ex02_gather"] == alice["total"] == "10"
    assert alice["needs_review"] == "no" and alice["sandbox"] == "bubblewrap"
    assert alice["flags"] == "" and alice["data_seed"].isdigit()
    assert rows[2][0] == "bob" and rows[2][2] == "7"  # loses the two concurrency items (2 + 1)
    data = json.loads((out / "results" / "bob.json").read_text())
    assert data == gradescope_json(_load(out, "bob"))
    assert data["score"] == 7 and "max_score" not in data  # not a top-level field
    assert sum(t["max_score"] for t in data["tests"]) == 10 * len(exercises())
    for test in data["tests"]:
        assert set(test) >= {
            "name",
            "number",
            "score",
            "max_score",
            "status",
            "output",
            "visibility",
        }
        assert test["status"] in ("passed", "failed") and test["visibility"] == "visible"
    feedback = (out / "feedback" / "bob.md").read_text()
    assert "fetch_all took 6 s" in feedback and "What to try" in feedback
    report = (out / "report.html").read_text()
    assert "<svg" in report and "http" not in report.replace("http-equiv", "")


def _load(out: Path, submission: str):
    from asynclings.grading.gradebook import Gradebook

    with Gradebook(out / "gradebook.sqlite") as book:
        result = book.load(submission)
    assert result is not None
    return result


def test_of_two_copies_of_a_module_the_real_one_is_graded_not_the_stub(tmp_path):
    subs = tmp_path / "subs"
    _folder(subs, "alice", {})
    (subs / "alice" / "exercises").mkdir()
    shutil.copyfile(GATHER.stub, subs / "alice" / "exercises" / "ex02_gather.py")
    (subs / "alice" / "mywork").mkdir()
    shutil.copyfile(GATHER.solution, subs / "alice" / "mywork" / "ex02_gather.py")
    _, by_id = _run(subs, tmp_path)
    alice = by_id["alice"]
    assert _gather(alice).points == 10
    assert alice.notes == [
        "ex02_gather.py appears 2 times; graded mywork/ex02_gather.py "
        "(ignored: exercises/ex02_gather.py)"
    ]


def test_files_beside_the_modules_are_never_run(tmp_path):
    subs = tmp_path / "subs"
    _folder(subs, "mallory", {"ex02_gather": GATHER.solution})
    (subs / "mallory" / "conftest.py").write_text("raise SystemExit('conftest ran')\n")
    (subs / "mallory" / "test_x.py").write_text("def test_x():\n    assert False\n")
    results = grade([subs / "mallory"])
    assert results.exercise("ex02_gather").points == 10
    assert [e.module for e in results.exercises] == ["ex02_gather"]


@pytest.mark.slow
def test_grading_data_is_drawn_per_submission_and_a_seed_reproduces_it(tmp_path):
    subs = tmp_path / "subs"
    wrong = ROOT / "tests/mutants/ex02_gather/completion_order.py"
    _folder(subs, "ann", {"ex02_gather": wrong})
    _folder(subs, "ben", {"ex02_gather": wrong, "ex01_coroutines": "# a different file\n"})

    def graded(name: str, options: BatchOptions) -> dict[str, tuple[str, int | None]]:
        (tmp_path / name).mkdir()
        _, by_id = _run(subs, tmp_path / name, options)
        return {
            sid: (_gather(result).items[0].message, result.data_seed)
            for sid, result in by_id.items()
        }

    secret = graded("secret", FAST)
    assert secret["ann"][1] != secret["ben"][1]  # each submission its own data
    assert secret["ann"][0] != secret["ben"][0]  # so the results in the messages differ
    seeded = BatchOptions(jobs=2, limits=Limits(timeout=20, memory_mb=1024), seed=5)
    first, again = graded("first", seeded), graded("again", seeded)
    assert first == again
    assert first["ann"][1] == first["ben"][1] == 5
    assert "#" in first["ann"][0]  # results carry the drawn tag


def test_the_source_scan_names_lines_an_exercise_has_no_business_with():
    from asynclings.guard import scan_source

    source = textwrap.dedent(
        """
        import asyncio
        import sys, gc
        from _pytest import reports

        async def fetch_all(urls, fetch):
            frame = sys._getframe(1)
            return frame.f_back.f_locals["expected"]
        """
    )
    assert scan_source(source) == [
        "line 3: imports gc",
        "line 4: imports pytest's internals",
        "line 7: reads frames (sys._getframe)",
        "line 8: reads a frame's variables (f_locals)",
        "line 8: walks frames (f_back)",
    ]
    honest = (ROOT / "tests" / "honest" / "unusual" / "ex02_gather.py").read_text()
    assert scan_source(honest) == []
    assert scan_source("def broken(:\n") == []


def test_a_broken_module_says_why_once_and_a_submission_without_modules_what_it_holds(
    tmp_path,
):
    from click.testing import CliRunner

    from asynclings.cli import main

    subs = tmp_path / "subs"
    _folder(
        subs,
        "frank",
        {"ex02_gather": "async def fetch_all(urls, fetch)\n    return []\n"},
    )
    _folder(subs, "gina", {"ex02_gather": GATHER.solution})
    (subs / "ivan").mkdir()
    for name in ("notes.txt", "main.py", "ex2.py"):
        (subs / "ivan" / name).write_text("# not an exercise module\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["grade", str(subs), "--out", str(out), "--jobs", "2"], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 0, result.output
    assert "ex02_gather does not load" in result.output  # the terminal summary
    # The module: one status, one reason; its items still each score 0.
    frank = _load(out, "frank")
    gather = _gather(frank)
    assert gather.status == "does not load" and gather.points == 0
    assert all(i.status == "failed" and i.problem == "does not load" for i in gather.items)
    assert gather.reason == (
        "ex02_gather.py does not compile: expected ':' (line 1: `async def fetch_all(urls, fetch)`)"
    )
    feedback = (out / "feedback" / "frank.md").read_text()
    assert feedback.count("does not compile") == 1
    assert "| ex02_gather | 0/10 | does not load |" in feedback
    assert "items to fix" not in feedback
    data = json.loads((out / "results" / "frank.json").read_text())
    assert data["output"].count("does not compile") == 1
    gather_tests = [t for t in data["tests"] if t["name"].startswith("ex02_gather")]
    assert len(gather_tests) == len(gather.items)
    assert all("`ex02_gather` does not load" in t["output"] for t in gather_tests)
    report = (out / "report.html").read_text()
    assert 'class="cell does-not-load" title="ex02_gather: does not load: ' in report
    # The submission without any exercise module: said once, with what it holds.
    ivan = _load(out, "ivan")
    expected = (
        "no exercise module found in this submission: it holds 3 files: ex2.py, main.py, "
        "notes.txt — exercise modules are named like ex02_gather.py"
    )
    assert ivan.status == "rejected" and ivan.reason == expected and ivan.needs_review
    feedback = (out / "feedback" / "ivan.md").read_text()
    assert feedback.count(expected) == 1 and "not submitted" not in feedback
    assert json.loads((out / "results" / "ivan.json").read_text())["output"].count(expected) == 1
    assert expected in result.output
    assert _load(out, "gina").points == 10


def _cli_grade(folder: Path, out: Path):
    from click.testing import CliRunner

    from asynclings.cli import main

    return CliRunner().invoke(main, ["grade", str(folder), "--out", str(out)])


def test_an_empty_folder_or_one_without_submissions_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    result = _cli_grade(tmp_path / "empty", tmp_path / "out")
    assert result.exit_code == 2
    assert "is empty: there is nothing to grade" in result.output
    assert "one entry per learner" in result.output
    assert not (tmp_path / "out").exists()
    (tmp_path / "papers").mkdir()
    (tmp_path / "papers" / "notes.txt").write_text("no code here")
    (tmp_path / "papers" / "anna").mkdir()
    (tmp_path / "papers" / "anna" / "essay.md").write_text("no code here either")
    result = _cli_grade(tmp_path / "papers", tmp_path / "out")
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "holds no submissions: none of its 1 entry (anna) holds an exercise module" in text


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({"": ["ex01_coroutines", "ex02_gather"]}, "holds exercise modules itself"),
        (
            {"week1": ["ex01_coroutines"], "week2": ["ex02_gather"]},
            "its entries (week1, week2) are named like parts of one submission",
        ),
        ({"exercises": ["ex01_coroutines", "ex02_gather"]}, "its only entry, exercises,"),
    ],
    ids=["modules-inside", "weeks", "exercises-folder"],
)
def test_one_learners_folder_is_refused_with_what_to_pass(tmp_path, layout, message):
    learner = tmp_path / "class" / "carol"
    for folder, modules in layout.items():
        (learner / folder).mkdir(parents=True, exist_ok=True)
        for module in modules:
            shutil.copyfile(exercise(module).solution, learner / folder / f"{module}.py")
    result = _cli_grade(learner, tmp_path / "out")
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "looks like one learner's submission" in text or "holds exercise modules itself" in text
    assert message in text
    assert f"its parent {tmp_path / 'class'}" in text
    assert "one entry per learner" in text
    assert not (tmp_path / "out").exists()
