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

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from .. import __version__
from ..guard import TAMPERED, scan_source
from ..manifest import Exercise, content_root, exercises
from ..results import ExerciseResult, ItemResult, ModuleProblem, Results, SubmissionResult
from ..rubric import rubric_of
from .gradebook import Gradebook
from .intake import Entry, Intake, NotSubmissions, collect, discover, survey
from .messages import Reply
from .sandbox import SandboxUnavailable, WorkerDied, WorkerPool, check_sandbox
from .shard import Shard
from .worker import Limits

__all__ = [
    "BatchOptions",
    "BatchRun",
    "NotSubmissions",
    "SandboxUnavailable",
    "grade_batch",
    "kit_fingerprint",
]

MAX_RESULT_BYTES = 5_000_000
NOT_SUBMITTED = "not submitted"
NOT_IMPLEMENTED = "not implemented yet: this is the unchanged stub"


@dataclass(frozen=True)
class BatchOptions:
    jobs: int = 2 * max(1, os.cpu_count() or 1)
    """Twice the cores: part of a grading run waits in real time (ex01's ``main``)."""
    limits: Limits = field(default_factory=Limits)
    force: bool = False
    sandbox: bool = True
    """Grade each submission in the bubblewrap sandbox (``--no-sandbox``: without)."""
    seed: int | None = None
    """Draw every submission's grading data from this seed (reproduce a run); by
    default each submission gets its own, drawn from a secret made for the batch."""
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    shard: Shard | None = None
    """Grade only this slice of the folder (``--shard K/N``); it needs ``seed``, so that
    every shard draws its data as one unsharded run would."""

    def data_seed(self, content_hash: str) -> int:
        if self.seed is not None:
            return self.seed
        digest = hmac.new(self.secret, content_hash.encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:4], "big")


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
        reason=message if status != "graded" else "",
    ).settle()


def _validated(exercise: Exercise, reported: ExerciseResult | None) -> ExerciseResult:
    """The child's verdicts, checked against the rubric the parent knows: points come
    from the rubric, items the child did not report count as failed."""
    by_name = {item.name: item for item in reported.items} if reported else {}
    flags = [str(flag)[:500] for flag in reported.flags][:50] if reported else []
    items = []
    for rubric_item in rubric_of(exercise):
        got = by_name.get(rubric_item.name)
        if got is None or got.status not in ("passed", "failed"):
            message = (
                "this item reported no verdict, so it scores nothing"
                if not flags
                else "this item has no verdict that can be trusted, so it scores nothing"
            )
            items.append(ItemResult.of(rubric_item, "failed", message))
            continue
        items.append(
            ItemResult.of(
                rubric_item,
                got.status,
                str(got.message)[:4000],
                str(got.details)[:8000],
                float(got.wall_seconds),
                got.problem if got.status == "failed" and got.problem in _PROBLEMS else None,
            )
        )
    return ExerciseResult(
        module=exercise.module,
        title=exercise.title,
        path=f"{exercise.module}.py",
        status="graded",
        items=items,
        flags=flags,
    ).settle()


_PROBLEMS = get_args(ModuleProblem)


# Running one grading process ---------------------------------------------------------------


@dataclass
class _ChildOutcome:
    results: Results | None
    problem: str = ""
    status: str = "crashed"
    output_tail: str = ""
    flags: list[str] = field(default_factory=list)


class _Stopped(Exception):
    """The batch is stopping: no new grading process is started."""


class _Children:
    """Runs grading jobs on a pool of warm workers (sandboxed unless told otherwise)."""

    def __init__(self, jobs: int, *, sandboxed: bool) -> None:
        self.pool = WorkerPool(jobs, sandboxed=sandboxed)
        self._stopping = False

    def start(self) -> None:
        """Start one worker now and check its sandbox: refuse early, not mid-batch."""
        worker = self.pool.acquire()
        try:
            worker.start()
            if self.pool.sandboxed:
                problems = check_sandbox(worker)
                if problems:
                    raise SandboxUnavailable(
                        "the sandbox does not isolate as it must: " + "; ".join(problems)
                    )
        finally:
            self.pool.release(worker)

    def kill_all(self) -> None:
        """Stop: kill every worker; start no more jobs."""
        self._stopping = True
        self.pool.stop()

    def run(self, modules: dict[str, bytes], limits: Limits, seed: int | None) -> _ChildOutcome:
        if self._stopping:
            raise _Stopped
        try:
            worker = self.pool.acquire()
        except WorkerDied:
            raise _Stopped from None
        try:
            reply = worker.run(modules, limits, seed)
        except WorkerDied as died:
            if self._stopping:
                raise _Stopped from None
            return _ChildOutcome(None, f"the grading worker failed: {died}", "crashed")
        finally:
            self.pool.release(worker)
        return _outcome(reply, limits)


def _outcome(reply: Reply, limits: Limits) -> _ChildOutcome:
    outcome = _read_reply(reply, limits)
    left = [thing[:200] for thing in reply.left_behind][:10]
    if left:  # removed by the worker; evidence for the instructor
        outcome.flags.append(
            "left System V IPC objects behind after its grading, where the next "
            f"submission graded by the same worker could read them: {', '.join(left)}"
        )
    return outcome


def _read_reply(reply: Reply, limits: Limits) -> _ChildOutcome:
    tail = reply.output_tail[-2000:]
    status = reply.status
    if status == "timed out":
        return _ChildOutcome(
            None,
            f"grading did not finish within {limits.timeout:g} s of real time and was "
            "stopped: the code hangs or runs far too long (an endless loop, a blocking call "
            "at import or in a function)",
            "timed out",
            tail,
        )
    if status == "forged":
        return _ChildOutcome(
            None,
            "the grading process's results channel carried data the grader did not write: "
            "the submission's code wrote to it, so no verdict of this run stands",
            "crashed",
            tail,
            flags=["wrote to the grader's results channel (a forged results message)"],
        )
    if status != "ok":
        return _ChildOutcome(
            None,
            f"the grading process ended without results ({reply.exit}): "
            "the code stopped the interpreter (os._exit, sys.exit in a thread, a crash) or "
            f"ran out of memory (limit {limits.memory_mb} MB)",
            "crashed",
            tail,
        )
    try:
        data = reply.results
        results = Results.from_dict(data)
        late = [str(change) for change in data.get("late_tampering", [])]
    except (ValueError, TypeError, KeyError, AttributeError):
        return _ChildOutcome(None, "the grading process left invalid results", "crashed", tail)
    if late:
        return _ChildOutcome(
            None,
            f"{TAMPERED} after its last item was graded ({'; '.join(late[:5])}): no verdict "
            "of this run can be trusted",
            "graded",
            tail,
            flags=[f"changed the grader's tools after its last item: {c}" for c in late],
        )
    return _ChildOutcome(results)


# One submission ----------------------------------------------------------------------------


def _grade_submission(
    entry: Entry, intake: Intake, children: _Children, options: BatchOptions, kit: str
) -> SubmissionResult:
    limits = options.limits
    seed = options.data_seed(intake.content_hash)
    sandbox = "bubblewrap" if options.sandbox else "none"
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
            sandbox=sandbox,
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
        outcome = children.run(to_grade, limits, seed)
        if outcome.results is not None:
            reported = {e.module: e for e in outcome.results.exercises}
            for module in to_grade:
                by_module[module] = _validated(everything[module], reported.get(module))
                by_module[module].flags += outcome.flags  # the job's, not one module's
        else:
            # Find the culprit: each module alone, so the others keep their points.
            for module, data in to_grade.items():
                alone = children.run({module: data}, limits, seed)
                if alone.results is not None:
                    reported = {e.module: e for e in alone.results.exercises}
                    by_module[module] = _validated(everything[module], reported.get(module))
                else:
                    by_module[module] = _uniform(
                        everything[module], alone.status, alone.problem, alone.output_tail
                    )
                    by_module[module].flags = alone.flags
                    if alone.status != "graded":
                        notes.append(f"{module}.py: {alone.status}")
    for module, data in to_grade.items():
        # Read outside the grading process: evidence even when that process died.
        source = data.decode("utf-8", "replace")
        by_module[module].flags += [f"source {line}" for line in scan_source(source)]
    results = Results([by_module[module] for module in everything])
    return SubmissionResult(
        entry.id,
        "graded",
        results,
        notes=notes,
        content_hash=intake.content_hash,
        kit=kit,
        seconds=round(time.perf_counter() - started, 3),
        sandbox=sandbox,
        data_seed=seed,
    )


# The batch -------------------------------------------------------------------------------


def grade_batch(
    submissions: Path,
    gradebook_path: Path,
    options: BatchOptions,
    *,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[SubmissionResult], None] | None = None,
    survey_layout: bool = True,
) -> BatchRun:
    """Grade every entry of ``submissions`` not already current in the gradebook.

    Raises :class:`NotSubmissions` before anything is graded or written if
    ``submissions`` is not a folder of submissions (empty, or one learner's own), unless
    ``survey_layout`` is false: a caller that laid the folder out itself (Gradescope's
    one learner, whose own folders may look like several) grades it as it is.

    ``on_start(n)`` is told how many will be graded; ``on_done(result)`` hears of each
    as it is saved. Ctrl-C stops the batch, kills every grading process and keeps what
    was saved.
    """
    started = time.perf_counter()
    shard = options.shard or Shard(1, 1)
    if shard.count > 1 and options.seed is None:
        raise ValueError(
            "grading a shard needs a seed shared by every shard (--seed): without one each "
            "shard would draw its grading data from a secret of its own"
        )
    entries, notes = discover(submissions)
    intakes = [collect(entry) for entry in entries]
    if survey_layout:
        survey(submissions, entries, intakes)  # NotSubmissions: nothing written
    folder = [
        [entry.id, intake.content_hash] for entry, intake in zip(entries, intakes, strict=True)
    ]
    chosen = [shard.holds(entry.id) for entry in entries]
    entries = [entry for entry, keep in zip(entries, chosen, strict=True) if keep]
    intakes = [intake for intake, keep in zip(intakes, chosen, strict=True) if keep]
    gradebook_path.parent.mkdir(parents=True, exist_ok=True)
    # A submission graded without the sandbox is due for grading again with it.
    kit = kit_fingerprint() + ("" if options.sandbox else "+unsandboxed")
    children = _Children(max(1, options.jobs), sandboxed=options.sandbox)
    graded: list[str] = []
    with Gradebook(gradebook_path) as book:
        book.record_batch(
            {
                "shards": [shard.index],
                "of": shard.count,
                "seed": options.seed,
                "kit": kit,
                "folder": folder,
                "notes": notes,
            }
        )
        pending: list[tuple[Entry, Intake]] = []
        for entry, intake in zip(entries, intakes, strict=True):
            if options.force or not book.is_current(entry.id, intake.content_hash, kit):
                pending.append((entry, intake))
        if pending:
            children.start()  # refuses here if the sandbox does not work
        if on_start is not None:
            on_start(len(pending))
        executor = ThreadPoolExecutor(max_workers=max(1, options.jobs))
        futures: dict[Future[SubmissionResult], Entry] = {}
        try:
            for entry, intake in pending:
                futures[
                    executor.submit(_grade_submission, entry, intake, children, options, kit)
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
        children.kill_all()
        current = [book.load(entry.id) for entry in entries]
    return BatchRun(
        results=[r for r in current if r is not None],
        graded=graded,
        notes=notes,
        seconds=time.perf_counter() - started,
    )
