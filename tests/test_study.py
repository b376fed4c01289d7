"""Self-study commands, driven on a temporary folder: init, check, watch, hint, list."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from asynclings.cli import main
from asynclings.manifest import exercise, exercises
from asynclings.study import STATE_FILE
from support import (
    MUTANTS,
    ROOT,
    assert_graded_sequential_ex02,
    check_your_work,
    printed_commands,
    run_printed,
)

MODULES = [e.module for e in exercises()]


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def _state(folder: Path) -> dict:
    return json.loads((folder / STATE_FILE).read_text())


def test_init_copies_the_stubs_and_a_readme_and_keeps_work(tmp_path):
    folder = tmp_path / "work"
    code, out = _run("init", str(folder))
    assert code == 0, out
    for each in exercises():
        assert (folder / f"{each.module}.py").read_bytes() == each.stub.read_bytes()
    assert "asynclings watch" in (folder / "README.md").read_text()
    assert _state(folder) == {"best": {}, "checkpoints": {}, "version": 1}
    (folder / "ex02_gather.py").write_text("# my work\n")
    code, out = _run("init", str(folder))
    assert "kept" in out and (folder / "ex02_gather.py").read_text() == "# my work\n"
    _run("init", str(folder), "--force")
    assert (folder / "ex02_gather.py").read_bytes() == exercise("ex02_gather").stub.read_bytes()


@pytest.mark.slow
def test_a_full_walk_from_stubs_to_all_solved(tmp_path):
    folder = tmp_path / "work"
    _run("init", str(folder))
    code, out = _run("check", str(folder))
    assert code == 0, out
    assert "progress: 0/100 points, 0/10 exercises complete" in out
    assert "next: ex01_coroutines" in out
    shutil.copyfile(MUTANTS / "ex02_gather" / "sequential.py", folder / "ex02_gather.py")
    code, out = _run("check", str(folder))
    assert "ex02_gather          7/10  in progress" in out
    assert _state(folder)["best"]["ex02_gather"] == 7
    stamps = {}
    for number, each in enumerate(exercises(), start=1):
        shutil.copyfile(each.solution, folder / f"{each.module}.py")
        code, out = _run("check", str(folder))
        assert code == 0, out
        assert f"checkpoint: {each.module} reached full marks" in out
        assert f"{number}/10 exercises complete" in out
        state = _state(folder)
        assert set(state["checkpoints"]) == set(MODULES[:number])
        stamps[each.module] = state["checkpoints"][each.module]
        # A checkpoint is the first time only: earlier ones never move.
        assert all(state["checkpoints"][m] == stamps[m] for m in MODULES[:number])
        if number < 10:
            assert f"next: {MODULES[number]}" in out
    assert "progress: 100/100 points, 10/10 exercises complete" in out
    assert "All exercises complete" in out
    # A regression after a checkpoint: the checkpoint stays, the status tells the truth.
    shutil.copyfile(MUTANTS / "ex02_gather" / "sequential.py", folder / "ex02_gather.py")
    code, out = _run("check", str(folder))
    assert "ex02_gather          7/10  in progress" in out
    assert _state(folder)["checkpoints"]["ex02_gather"] == stamps["ex02_gather"]
    assert _state(folder)["best"]["ex02_gather"] == 10


def test_piped_output_has_no_colour_or_drawing(tmp_path):
    folder = tmp_path / "work"
    _run("init", str(folder))
    code, out = _run("check", str(folder))
    assert code == 0 and "\x1b[" not in out and "━" not in out and "│" not in out
    code, out = _run("list", "--dir", str(folder))
    assert code == 0 and "\x1b[" not in out


@pytest.mark.slow
def test_a_corrupted_progress_file_is_kept_aside_and_rebuilt(tmp_path):
    folder = tmp_path / "work"
    _run("init", str(folder))
    shutil.copyfile(exercise("ex01_coroutines").solution, folder / "ex01_coroutines.py")
    (folder / STATE_FILE).write_text("{not json")
    code, out = _run("check", str(folder))
    assert code == 0, out
    assert "warning: the progress file" in out and "rebuilt" in out
    kept = list(folder.glob(f"{STATE_FILE}.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{not json"  # nothing lost
    assert "ex01_coroutines" in _state(folder)["checkpoints"]
    for bad in ('{"version": 1, "checkpoints": []}', '"just a string"', "\xff\xfe"):
        (folder / STATE_FILE).write_bytes(bad.encode("latin-1"))
        code, out = _run("check", str(folder))
        assert code == 0 and "warning: the progress file" in out, out
    assert len(list(folder.glob(f"{STATE_FILE}.corrupt-*"))) == 4  # every copy kept


def test_a_missing_or_renamed_exercise_file_is_named(tmp_path):
    folder = tmp_path / "work"
    _run("init", str(folder))
    (folder / "ex03_as_completed.py").rename(folder / "ex03 copy.py")
    (folder / "ex04_wait.py").unlink()
    code, out = _run("check", str(folder))
    assert code == 0, out
    assert "ex03_as_completed.py is missing" in out
    assert "found ex03 copy.py" in out and "rename it back" in out
    assert "ex04_wait.py is missing" in out and f"asynclings init {folder}" in out
    code, out = _run("check", str(tmp_path / "nowhere"))
    assert code != 0 and "asynclings init" in out


def test_hints_are_progressive_and_list_shows_status(tmp_path):
    code, out = _run("hint", "ex05", "--level", "1")
    hints = exercise("ex05_lock_counter").hints
    assert code == 0 and out.strip() == f"Hint 1/{len(hints)}: {hints[0]}"
    code, out = _run("hint", "ex05")
    assert out.count("Hint ") == len(hints)
    code, out = _run("hint", "ex05", "--level", "99")
    assert code != 0 and "hints 1 to" in out
    folder = tmp_path / "work"
    _run("init", str(folder))
    shutil.copyfile(exercise("ex01_coroutines").solution, folder / "ex01_coroutines.py")
    _run("check", str(folder))
    code, out = _run("list", "--dir", str(folder))
    lines = out.splitlines()
    assert lines[0].startswith("ex01_coroutines") and lines[0].endswith("complete")
    assert lines[1].endswith("not started")
    code, out = _run("list")
    assert code == 0 and "ex10_bank" in out


@pytest.mark.slow
def test_watch_regrades_on_save_and_moves_on(tmp_path):
    folder = tmp_path / "work"
    _run("init", str(folder))
    blocking = MUTANTS / "ex01_coroutines" / "greet_blocking_sleep.py"
    shutil.copyfile(blocking, folder / "ex01_coroutines.py")
    process = subprocess.Popen(
        [sys.executable, "-m", "asynclings.cli", "watch", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    ).start()

    def wait_for(text: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=0.2))
            except queue.Empty:
                continue
            if text in seen[-1]:
                return
        pytest.fail(f"watch never printed {text!r}; it printed:\n" + "".join(seen))

    try:
        wait_for("current exercise: ex01_coroutines")
        wait_for("FAIL")  # the blocking sleep is named
        wait_for("ex01_coroutines: ")  # its score line
        time.sleep(0.5)
        shutil.copyfile(exercise("ex01_coroutines").solution, folder / "ex01_coroutines.py")
        wait_for("ex01_coroutines complete: 10/10 (checkpoint recorded)")
        wait_for("next exercise: ex02_gather")
        wait_for("ex02_gather: not started")
        assert "ex01_coroutines" in _state(folder)["checkpoints"]
    finally:
        process.terminate()
        process.wait(10)


def test_a_module_that_kills_its_grading_costs_only_its_own_status(tmp_path):
    folder = tmp_path / "work"
    _run("init", str(folder))
    shutil.copyfile(exercise("ex01_coroutines").solution, folder / "ex01_coroutines.py")
    (folder / "ex02_gather.py").write_text("import os\nos._exit(3)\n")
    code, out = _run("check", str(folder))
    assert code == 0, out
    assert "ex01_coroutines     10/10  complete" in out
    assert "ex02_gather          0/10  error" in out
    assert "ex02_gather: grading failed" in out


def test_check_finds_the_working_folder_by_itself(tmp_path, monkeypatch):
    clone = tmp_path / "clone"
    _run("init", str(clone / "exercises"))
    monkeypatch.chdir(clone)  # a clone's top: the exercises are in ./exercises
    code, out = _run("check")
    assert code == 0 and f"asynclings check: {clone / 'exercises'}" in out
    monkeypatch.chdir(clone / "exercises")  # or the folder itself
    code, out = _run("check")
    assert code == 0 and "progress: 0/100 points" in out
    monkeypatch.chdir(tmp_path)  # nowhere: say how to start
    code, out = _run("check")
    assert code != 0 and "asynclings init" in out


def _short(module: str) -> str:
    return module.split("_", 1)[0]


def test_every_stub_says_how_to_check_it_in_the_same_words():
    for module in MODULES:
        assert check_your_work(module) == (
            f"In the folder that holds this file, ``asynclings check {_short(module)}`` "
            "grades it and shows every rubric item's verdict; "
            f"``pytest {module}.py`` does the same. ``asynclings hint {_short(module)}`` "
            "gives a hint."
        )


def _run_the_stubs_commands(folder: Path) -> list[str]:
    """Run every command the ex02 stub in ``folder`` prints, there; the commands."""
    commands = printed_commands(check_your_work("ex02_gather"))
    assert [c.split()[:2] for c in commands] == [
        ["asynclings", "check"],
        ["pytest", "ex02_gather.py"],
        ["asynclings", "hint"],
    ]
    for command in commands:
        assert_graded_sequential_ex02(command, *run_printed(command, folder))
    return commands


def test_the_stubs_commands_grade_in_an_init_folder(tmp_path):
    folder = tmp_path / "practice"
    code, out = _run("init", str(folder))
    assert code == 0 and "wrote" in out and "pytest.ini" in out
    shutil.copyfile(MUTANTS / "ex02_gather" / "sequential.py", folder / "ex02_gather.py")
    _run_the_stubs_commands(folder)
    # Plain `pytest` there grades all ten; the checks above kept the progress.
    code, out = run_printed("pytest", folder)
    assert code == 1 and "ex02_gather           7/10" in out and "total                7/100" in out
    assert _state(folder)["best"] == {"ex02_gather": 7}


def test_the_stubs_commands_grade_in_a_clone(tmp_path):
    clone = tmp_path / "clone"
    (clone / "exercises").mkdir(parents=True)
    shutil.copyfile(ROOT / "pyproject.toml", clone / "pyproject.toml")  # the clone's settings
    for each in exercises():
        shutil.copyfile(each.stub, clone / "exercises" / f"{each.module}.py")
    shutil.copyfile(
        MUTANTS / "ex02_gather" / "sequential.py", clone / "exercises" / "ex02_gather.py"
    )
    _run_the_stubs_commands(clone / "exercises")
    # The README's command at the top of the clone, and `check` there, grade the same.
    for command in ("pytest exercises/ex02_gather.py", "asynclings check ex02"):
        assert_graded_sequential_ex02(command, *run_printed(command, clone))


def test_check_one_exercise_by_name_or_file_and_with_a_folder(tmp_path, monkeypatch):
    folder = tmp_path / "work"
    _run("init", str(folder))
    code, out = _run("check", "ex03", str(folder))  # the stub: its items, still to do
    assert code == 0, out
    assert "ex03_as_completed: not started (the file is still the stub)" in out
    assert "  -    0/" in out and "ex03_as_completed: 0/10 points, not started" in out
    shutil.copyfile(exercise("ex02_gather").solution, folder / "ex02_gather.py")
    monkeypatch.chdir(tmp_path)
    code, out = _run("check", "work/ex02_gather.py")  # its file: its folder
    assert code == 0, out
    assert "ex02_gather: 10/10 points, complete" in out and "FAIL" not in out
    assert "checkpoint: ex02_gather reached full marks" in out
    assert "next: ex01_coroutines" in out  # the first without a checkpoint
    assert set(_state(folder)["checkpoints"]) == {"ex02_gather"}
    code, out = _run("check", "ex02", "ex03", str(folder))
    assert code == 2 and "one exercise and one folder at most" in out
    code, out = _run("check", "work/ex02 copy.py")
    assert code == 2 and "work/ex02 copy.py is not an exercise file" in out
