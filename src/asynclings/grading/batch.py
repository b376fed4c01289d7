"""Grading a folder of submissions: isolated, parallel, resumable.

:func:`grade_batch` reads every entry of a submissions folder, skips the ones the
gradebook already holds for this content and kit, grades the rest in parallel (each in
its own process, see :mod:`.worker`), saves each result the moment it is known, and
returns every current entry's :class:`~asynclings.results.SubmissionResult`.

If a submission's process dies or overruns without results, each of its exercise
modules is graded again in a process of its own, so that only the module that hangs or
crashes loses its points.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..manifest import Exercise, content_root, exercises
from ..results import ExerciseResult, ItemResult, Results, SubmissionResult
from ..rubric import rubric_of
from .gradebook import Gradebook
from .intake import Entry, Intake, collect, discover
from .worker import Limits, Task, grade_in_child

__all__ = ["BatchOptions", "BatchRun", "grade_batch", "kit_fingerprint"]

MAX_RESULT_BYTES = 5_000_000
NOT_SUBMITTED = "not submitted"
NOT_IMPLEMENTED = "not implemented yet: this is the unchanged stub"


@dataclass(frozen=True)
class BatchOptions:
    jobs: int = 2 * max(1, os.cpu_count() or 1)
    """Twice the cores: part of a grading run waits in real time (ex01's ``main``)."""
    limits: Limits = field(default_factory=Limits)
    force: bool = False


@dataclass
class BatchRun:
    """What one batch did: every current entry's result, and how it was obtained."""

    results: list[SubmissionResult]
    graded: list[str]
    """Ids graded in this run (the others came from the gradebook)."""
    notes: list[str]
    """Facts about the submissions folder itself (skipped files, shared ids)."""
    seconds: float


def kit_fingerprint() -> str:
    """The kit's version plus a hash of its graders and engine: a change to either
    makes every submission due for regrading."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parents[1]
    sources = sorted(package.rglob("*.py")) + sorted((content_root() / "graders").glob("*.py"))
    sources.append(content_root() / "curriculum.toml")
    for path in sources:
        digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


# Results for exercises that were not run -------------------------------------------------


def _uniform(exercise: Exercise, status: Any, message: str, details: str = "") -> ExerciseResult:
    """Every item of ``exercise`` failed for one reason."""
    items = [ItemResult.of(r, "failed", message, details) for r in rubric_of(exercise)]
    return ExerciseResult(
        module=exercise.module,
        title=exercise.title,
        path=None,
        status=status,
        items=items,
        max_points=sum(i.max_points for i in items),
    )


def _validated(exercise: Exercise, reported: ExerciseResult | None) -> ExerciseResult:
    """The child's verdicts, checked against the rubric the parent knows: points come
    from the rubric, items the child did not report count as failed."""
    by_name = {item.name: item for item in reported.items} if reported else {}
    items = []
    for rubric_item in rubric_of(exercise):
        got = by_name.get(rubric_item.name)
        if got is None or got.status not in ("passed", "failed"):
            message = "this item reported no verdict, so it scores nothing"
            items.append(ItemResult.of(rubric_item, "failed", message))
            continue
        items.append(
            ItemResult.of(
                rubric_item,
                got.status,
                str(got.message)[:4000],
                str(got.details)[:8000],
                float(got.wall_seconds),
            )
        )
    return ExerciseResult(
        module=exercise.module,
        title=exercise.title,
        path=f"{exercise.module}.py",
        status="graded",
        items=items,
        max_points=sum(i.max_points for i in items),
    )


# Running one grading process ---------------------------------------------------------------


@dataclass
class _ChildOutcome:
    results: Results | None
    problem: str = ""
    status: str = "crashed"
    output_tail: str = ""


class _Children:
    """Starts grading processes from a warm forkserver and kills what they leave."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["asynclings.grading.preload"])
        self._live: set[int] = set()
        self._lock = threading.Lock()
        self._stopping = False

    def kill_all(self) -> None:
        """Stop: kill every running grading process; start no more."""
        with self._lock:
            self._stopping = True
            for pid in list(self._live):
                _kill_group(pid)

    def run(self, modules: dict[str, bytes], limits: Limits) -> _ChildOutcome:
        if self._stopping:
            raise _Stopped
        scratch = Path(tempfile.mkdtemp(prefix="asynclings-grade-"))
        try:
            folder = scratch / "submission"
            folder.mkdir()
            for module, data in modules.items():
                (folder / f"{module}.py").write_bytes(data)
            task = Task(folder=folder, result_path=scratch / "results.json", limits=limits)
            process = self._context.Process(target=grade_in_child, args=(task,))
            with self._lock:
                if self._stopping:
                    raise _Stopped
                process.start()
                assert process.pid is not None
                self._live.add(process.pid)
            process.join(limits.timeout)
            timed_out = process.is_alive()
            _kill_group(process.pid)
            process.kill()
            process.join(5)
            with self._lock:
                self._live.discard(process.pid)
            return _read_outcome(task, timed_out, process.exitcode)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


class _Stopped(Exception):
    """The batch is stopping: no new grading process is started."""


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _tail(path: Path, lines: int = 6) -> str:
    try:
        with path.open("rb") as file:
            file.seek(0, os.SEEK_END)
            file.seek(max(0, file.tell() - 2000))
            text = file.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _read_outcome(task: Task, timed_out: bool, exitcode: int | None) -> _ChildOutcome:
    tail = _tail(task.result_path.parent / "output.log")
    if timed_out:
        return _ChildOutcome(
            None,
            f"grading did not finish within {task.limits.timeout:g} s of real time and was "
            "stopped: the code hangs or runs far too long (an endless loop, a blocking call "
            "at import or in a function)",
            "timed out",
            tail,
        )
    path = task.result_path
    if not path.is_file():
        how = (
            f"killed by signal {-exitcode}"
            if exitcode is not None and exitcode < 0
            else f"exit status {exitcode}"
        )
        return _ChildOutcome(
            None,
            f"the grading process ended without results ({how}): the code stopped the "
            "interpreter (os._exit, sys.exit in a thread, a crash) or ran out of memory "
            f"(limit {task.limits.memory_mb} MB)",
            "crashed",
            tail,
        )
    try:
        if path.stat().st_size > MAX_RESULT_BYTES:
            raise ValueError("oversized")
        return _ChildOutcome(Results.from_dict(json.loads(path.read_text(encoding="utf-8"))))
    except (ValueError, TypeError, KeyError, OSError):
        return _ChildOutcome(
            None, "the grading process left an invalid results file", "crashed", tail
        )


# One submission ----------------------------------------------------------------------------


def _grade_submission(
    entry: Entry, intake: Intake, children: _Children, limits: Limits, kit: str
) -> SubmissionResult:
    started = time.perf_counter()
    notes = list(intake.notes)
    everything = {exercise.module: exercise for exercise in exercises()}
    if intake.rejected:
        results = Results(
            [_uniform(e, "not submitted", intake.rejected) for e in everything.values()]
        )
        return SubmissionResult(
            entry.id,
            "rejected",
            results,
            reason=intake.rejected,
            notes=notes,
            content_hash=intake.content_hash,
            kit=kit,
        )
    by_module: dict[str, ExerciseResult] = {}
    to_grade = {}
    for module, exercise in everything.items():
        data = intake.modules.get(module)
        if data is None:
            by_module[module] = _uniform(exercise, "not submitted", NOT_SUBMITTED)
        elif data == exercise.stub.read_bytes():
            by_module[module] = _uniform(exercise, "not implemented", NOT_IMPLEMENTED)
        else:
            to_grade[module] = data
    if to_grade:
        outcome = children.run(to_grade, limits)
        if outcome.results is not None:
            reported = {e.module: e for e in outcome.results.exercises}
            for module in to_grade:
                by_module[module] = _validated(everything[module], reported.get(module))
        else:
            # Find the culprit: each module alone, so the others keep their points.
            for module, data in to_grade.items():
                alone = children.run({module: data}, limits)
                if alone.results is not None:
                    reported = {e.module: e for e in alone.results.exercises}
                    by_module[module] = _validated(everything[module], reported.get(module))
                else:
                    by_module[module] = _uniform(
                        everything[module], alone.status, alone.problem, alone.output_tail
                    )
                    notes.append(f"{module}.py: {alone.status}")
    results = Results([by_module[module] for module in everything])
    return SubmissionResult(
        entry.id,
        "graded",
        results,
        notes=notes,
        content_hash=intake.content_hash,
        kit=kit,
        seconds=round(time.perf_counter() - started, 3),
    )


# The batch -------------------------------------------------------------------------------


def grade_batch(
    submissions: Path,
    gradebook_path: Path,
    options: BatchOptions,
    *,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[SubmissionResult], None] | None = None,
) -> BatchRun:
    """Grade every entry of ``submissions`` not already current in the gradebook.

    ``on_start(n)`` is told how many will be graded; ``on_done(result)`` hears of each
    as it is saved. Ctrl-C stops the batch, kills every grading process and keeps what
    was saved.
    """
    started = time.perf_counter()
    entries, notes = discover(submissions)
    kit = kit_fingerprint()
    children = _Children()
    graded: list[str] = []
    with Gradebook(gradebook_path) as book:
        pending: list[tuple[Entry, Intake]] = []
        for entry in entries:
            intake = collect(entry)
            if options.force or not book.is_current(entry.id, intake.content_hash, kit):
                pending.append((entry, intake))
        if on_start is not None:
            on_start(len(pending))
        executor = ThreadPoolExecutor(max_workers=max(1, options.jobs))
        futures: dict[Future[SubmissionResult], Entry] = {}
        try:
            for entry, intake in pending:
                futures[
                    executor.submit(_grade_submission, entry, intake, children, options.limits, kit)
                ] = entry
            remaining = set(futures)
            while remaining:
                done, remaining = wait(remaining, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    book.save(result)
                    graded.append(result.submission)
                    if on_done is not None:
                        on_done(result)
        except BaseException:
            for future in futures:
                future.cancel()
            children.kill_all()
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        executor.shutdown(wait=True)
        current = [book.load(entry.id) for entry in entries]
    return BatchRun(
        results=[r for r in current if r is not None],
        graded=graded,
        notes=notes,
        seconds=time.perf_counter() - started,
    )
