"""Code that blocks the event loop: caught at the call on every grading path, a loop
stuck where nothing catches it is stopped by the wall-clock watchdog with the stuck line
named, and Ctrl-C stops a learner's run at once without calling it complete."""

from __future__ import annotations

import _queue
import _thread
import asyncio
import os
import queue
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from asynclings.cli import main as cli
from asynclings.grading.batch import BatchOptions, grade_batch
from asynclings.grading.worker import Limits
from asynclings.harness.blocking import BlockingError, detect_blocking
from asynclings.integrations.notebook import grade_answer
from support import MUTANTS, ROOT

THREADING_LOCK_MUTANTS = {
    "ex05_lock_counter": (MUTANTS / "ex05_lock_counter" / "threading_lock.py", 15),
    "ex10_bank": (MUTANTS / "ex10_bank" / "threading_locks.py", 27),
}
"""Each mutant and the line of its `with` on a thread lock."""

LOCK_MESSAGE = "`with` on a threading.Lock blocks the event loop"


def _learner_code(path: Path, source: str) -> dict[str, object]:
    """Run ``source`` as if it were the learner's file ``path`` (frames carry its name)."""
    namespace: dict[str, object] = {"__name__": "learner"}
    exec(compile(textwrap.dedent(source), str(path), "exec"), namespace)
    return namespace


LEARNER = """
import queue, threading

def take(lock):
    with lock:
        return "entered"

def acquire(lock, timeout=-1):
    return lock.acquire(timeout=timeout)

def get(q):
    return q.get()
"""


def test_blocking_calls_in_a_running_loop_are_refused_at_the_call(tmp_path):
    path = tmp_path / "ex05_lock_counter.py"
    code = _learner_code(path, LEARNER)
    held, free, rlock = threading.Lock(), threading.Lock(), threading.RLock()
    held.acquire()
    other = threading.Thread(target=rlock.acquire)
    other.start()
    other.join()  # now held by a thread that is gone: acquiring it would wait forever

    async def in_the_loop() -> list[str]:
        outcomes = []
        for call, argument in [
            (code["take"], held),
            (code["acquire"], held),
            (code["take"], rlock),
            (code["get"], queue.SimpleQueue()),
            (code["get"], queue.Queue()),
        ]:
            try:
                call(argument)  # type: ignore[operator]
            except BlockingError as error:
                outcomes.append(str(error))
        outcomes.append(code["take"](free))  # type: ignore[operator]
        outcomes.append(code["take"](free))  # type: ignore[operator]  # released: free again
        return outcomes

    with detect_blocking([str(path)]):
        outcomes = asyncio.run(in_the_loop())
    assert outcomes == [
        "Blocking call to threading.Lock.__enter__",
        "Blocking call to lock.acquire",
        "Blocking call to threading.RLock.__enter__",
        "Blocking call to queue.SimpleQueue.get",
        "Blocking call to lock.acquire",
        "entered",
        "entered",
    ]


def test_outside_a_loop_or_the_learners_files_a_lock_waits_as_usual(tmp_path):
    path = tmp_path / "ex05_lock_counter.py"
    code = _learner_code(path, LEARNER)
    lock = threading.Lock()
    lock.acquire()
    threading.Timer(0.05, lock.release).start()
    originals = {
        (klass, name): klass.__dict__[name]
        for klass, name in [
            (_thread.LockType, "__enter__"),
            (_thread.RLock, "acquire"),
            (_queue.SimpleQueue, "get"),
        ]
    }
    with detect_blocking([str(path)]):
        assert code["take"](lock) == "entered"  # type: ignore[operator]  # no loop: waits

        async def kit_code() -> bool:
            other = threading.Lock()
            other.acquire()
            threading.Timer(0.05, other.release).start()
            with other:  # not the learner's file: allowed to wait
                return True

        assert asyncio.run(kit_code())
    assert all(klass.__dict__[name] is original for (klass, name), original in originals.items())


def _pytest(folder: Path, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "--grade", str(folder), "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


def _submission(tmp_path: Path) -> Path:
    folder = tmp_path / "threading-locks"
    folder.mkdir()
    for module, (mutant, _) in THREADING_LOCK_MUTANTS.items():
        shutil.copyfile(mutant, folder / f"{module}.py")
    return folder


def _names_the_lock_line(text: str, module: str) -> bool:
    line = THREADING_LOCK_MUTANTS[module][1]
    return LOCK_MESSAGE in text and f"{module}.py:{line}" in text


@pytest.mark.slow
def test_thread_locks_are_named_at_their_line_on_the_learners_run(tmp_path):
    folder = _submission(tmp_path)
    started = time.perf_counter()
    process = _pytest(folder)
    out, _ = process.communicate(timeout=60)
    took = time.perf_counter() - started
    assert took < 10, f"took {took:.1f} s"
    assert process.returncode == 1, out
    text = " ".join(out.split())  # the report wraps long lines
    for module in THREADING_LOCK_MUTANTS:
        assert _names_the_lock_line(text, module), out


@pytest.mark.slow
def test_thread_locks_are_named_by_check_and_in_a_notebook(tmp_path):
    folder = _submission(tmp_path)
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert time.perf_counter() - started < 10
    assert result.exit_code == 0, result.output
    scores = " ".join(result.output.split())
    assert "ex05_lock_counter 7/10" in scores and "ex10_bank 5/10" in scores, result.output
    for module in THREADING_LOCK_MUTANTS:
        started = time.perf_counter()
        result = CliRunner().invoke(cli, ["check", module, str(folder)])
        assert time.perf_counter() - started < 10
        assert _names_the_lock_line(" ".join(result.output.split()), module), result.output

    for module, (mutant, _) in THREADING_LOCK_MUTANTS.items():
        started = time.perf_counter()
        outcome = grade_answer(module, mutant.read_text(encoding="utf-8"))
        assert time.perf_counter() - started < 10
        assert not isinstance(outcome, str), outcome
        messages = " ".join(i.message for i in outcome.exercise(module).items)
        assert LOCK_MESSAGE in messages and f"{module}.py:" in messages


@pytest.mark.slow
def test_thread_locks_are_named_in_batch_feedback(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    _submission(subs).rename(subs / "lena")
    started = time.perf_counter()
    run = grade_batch(
        subs,
        tmp_path / "gradebook.sqlite",
        BatchOptions(jobs=1, limits=Limits(timeout=20, memory_mb=1024)),
    )
    assert time.perf_counter() - started < 20  # includes the sandbox's start-up
    (result,) = run.results
    for module in THREADING_LOCK_MUTANTS:
        exercise_result = result.results.exercise(module)
        assert exercise_result.points == {"ex05_lock_counter": 7, "ex10_bank": 5}[module]
        text = " ".join(" ".join(i.message for i in exercise_result.items).split())
        assert _names_the_lock_line(text, module), text
    assert not any(e.flags for e in result.results.exercises)


STUCK_IN_SELECT = """
import asyncio
import select
import socket


class Counter:
    def __init__(self, store, key):
        self.store = store
        self.key = key
        self.lock = asyncio.Lock()

    async def increment(self, amount=1):
        async with self.lock:
            new = await self.store.read(self.key) + amount
            await self.store.write(self.key, new)
            return new

    async def value(self):
        reader, writer = socket.socketpair()
        select.select([reader], [], [])
        return await self.store.read(self.key)
"""


@pytest.mark.slow
def test_a_loop_stuck_where_nothing_catches_it_is_stopped_with_its_line(tmp_path):
    folder = tmp_path / "stuck"
    folder.mkdir()
    (folder / "ex05_lock_counter.py").write_text(STUCK_IN_SELECT)
    started = time.perf_counter()
    process = _pytest(folder)
    out, _ = process.communicate(timeout=90)
    assert time.perf_counter() - started < 30
    text = " ".join(out.split())
    assert "FAIL 0/1 value() returns" in text, out
    assert "the event loop was stuck for over 5 s of real time" in text
    assert "at ex05_lock_counter.py:21 select.select([reader], [], [])" in text
    assert "9/10" in text  # only the stuck item is lost


@pytest.mark.slow
def test_ctrl_c_stops_the_run_at_once_and_never_reports_it_complete(tmp_path):
    folder = tmp_path / "stuck"
    folder.mkdir()
    (folder / "ex05_lock_counter.py").write_text(STUCK_IN_SELECT)
    process = _pytest(folder)
    time.sleep(3)  # well inside the stuck item (the watchdog waits 5 s)
    interrupted = time.perf_counter()
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert time.perf_counter() - interrupted < 3, out
    assert process.returncode != 0
    assert "grading was interrupted (Ctrl-C)" in out
    assert "not graded: the run was interrupted" in out
    assert "complete" not in out.replace("incomplete", "")


def test_a_grading_run_exits_cleanly_with_buffered_output():
    """Undoing blockbuster's patches once crashed Python 3.11 at exit (status 139) unless
    PYTHONUNBUFFERED was set: the verdicts were printed, the exit status was lost."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "solutions/ex02_gather.py",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
