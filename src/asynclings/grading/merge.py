"""``asynclings merge``: the outputs of ``asynclings grade --shard K/N`` as one.

Every shard records in its gradebook which shard it is, its ``--seed``, the kit that
graded it and the whole submissions folder it saw (each id with its content hash).
:func:`merge_shards` reads them, refuses shards that do not belong to one run (another
split, seed, kit or folder; a result missing or disagreeing with another shard's), and
:func:`write_merged` writes one gradebook and renders every output from it exactly as
``asynclings grade`` does.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..results import SubmissionResult
from .gradebook import Gradebook
from .shard import shard_of

__all__ = [
    "MergeRefused",
    "MergeRun",
    "ShardOutput",
    "describe",
    "merge_shards",
    "read_shard",
    "write_merged",
]

GRADEBOOK = "gradebook.sqlite"


class MergeRefused(ValueError):
    """The shards given cannot be merged into one gradebook; the message says why."""


@dataclass
class ShardOutput:
    """One shard's gradebook, as ``asynclings grade --shard`` left it."""

    source: Path
    """What was passed: the shard's ``--out`` folder or its gradebook file."""
    shards: list[int]
    count: int
    seed: int | None
    kit: str
    folder: list[tuple[str, str]]
    """Every submission of the folder the shard saw (not only its own): id, content hash."""
    notes: list[str]
    results: dict[str, SubmissionResult]

    @property
    def label(self) -> str:
        return f"{self.source} ({_shards(self.shards, self.count)})"


@dataclass
class MergeRun:
    """The merged results, in the order ``asynclings grade`` lists them."""

    results: list[SubmissionResult]
    shards: list[int]
    count: int
    seed: int
    kit: str
    folder: list[tuple[str, str]]
    notes: list[str]
    sources: list[Path]
    warnings: list[str] = field(default_factory=list)


def _shards(numbers: list[int], count: int) -> str:
    """``[1, 3], 4`` → ``shards 1 and 3 of 4``."""
    names = [str(n) for n in sorted(numbers)]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"shard{'s' if len(names) > 1 else ''} {listed} of {count}"


def _damaged(path: Path, why: str) -> MergeRefused:
    return MergeRefused(
        f"{path} is not a gradebook that can be read ({why}): the file is damaged or is "
        "not the gradebook.sqlite of `asynclings grade`; copy that shard's output again, "
        "or grade the shard again"
    )


def read_shard(source: Path) -> ShardOutput:
    """The gradebook in ``source`` (a shard's output folder, or the file itself)."""
    path = source / GRADEBOOK if source.is_dir() else source
    if not source.exists():
        raise MergeRefused(
            f"{source} does not exist: pass the --out folder of each "
            "`asynclings grade --shard K/N`; was that shard's output downloaded?"
        )
    if not path.is_file():
        raise MergeRefused(
            f"{source} holds no {GRADEBOOK}: pass the --out folder of each "
            "`asynclings grade --shard K/N` (or its gradebook.sqlite); was that shard's "
            "output downloaded in full?"
        )
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if "grades" not in tables:
                raise _damaged(path, "it has no table of grades")
            facts = (
                {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM batch")}
                if "batch" in tables
                else {}
            )
            rows = db.execute("SELECT submission, result FROM grades").fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as problem:
        raise _damaged(path, str(problem)) from None
    except json.JSONDecodeError as problem:
        raise _damaged(path, f"a fact about its run is not JSON: {problem}") from None
    if "shards" not in facts:
        raise MergeRefused(
            f"{path} does not say which shard it holds: it was written by an older "
            "`asynclings grade`, or by a run that was stopped before it began; grade that "
            "shard again with this version"
        )
    try:
        output = ShardOutput(
            source=source,
            shards=[int(n) for n in facts["shards"]],
            count=int(facts["of"]),
            seed=None if facts["seed"] is None else int(facts["seed"]),
            kit=str(facts["kit"]),
            folder=[(str(i), str(h)) for i, h in facts["folder"]],
            notes=[str(note) for note in facts.get("notes", [])],
            results={},
        )
        for submission, result in rows:
            output.results[submission] = SubmissionResult.from_dict(json.loads(result))
    except (KeyError, TypeError, ValueError) as problem:
        raise _damaged(path, f"{type(problem).__name__}: {problem}") from None
    if (
        output.count < 1
        or not output.shards
        or any(not 1 <= n <= output.count for n in output.shards)
    ):
        raise _damaged(path, f"it names shards {output.shards} of {output.count}")
    return output


def _verdict(result: SubmissionResult) -> dict[str, Any]:
    """What two gradings of one submission must agree on: all but the timings."""
    data = result.to_dict()
    data.pop("seconds", None)
    for exercise in data["results"]["exercises"]:
        for item in exercise["items"]:
            item.pop("wall_seconds", None)
    return data


def _disagreement(first: SubmissionResult, second: SubmissionResult) -> str:
    if first.content_hash != second.content_hash:
        return "they graded different contents"
    ours = {(e.module, i.name): i for e in first.results.exercises for i in e.items}
    for exercise in second.results.exercises:
        for item in exercise.items:
            mine = ours.get((exercise.module, item.name))
            if mine is None or (mine.status, mine.points) != (item.status, item.points):
                before = "missing" if mine is None else f"{mine.status} {mine.points:g}"
                return (
                    f"{exercise.module} {item.name}: {before} against {item.status} {item.points:g}"
                )
    return f"{first.points:g} against {second.points:g} points, or their messages differ"


def _same_run(outputs: list[ShardOutput]) -> None:
    first = outputs[0]
    for other in outputs[1:]:
        if other.count != first.count:
            raise MergeRefused(
                f"the shards come from different splits: {first.label} and {other.label}; "
                "every shard of one run is graded with the same N in --shard K/N"
            )
    for output in outputs:
        if output.seed is None:
            raise MergeRefused(
                f"{output.label} was graded without --seed, so its grading data came from "
                "a secret of its own; grade every shard with one shared --seed"
            )
    for other in outputs[1:]:
        if other.seed != first.seed:
            raise MergeRefused(
                f"the shards were graded with different seeds: {first.label} with --seed "
                f"{first.seed}, {other.label} with --seed {other.seed}; the shards of one "
                "run share one --seed: grade the odd ones again with the others' seed"
            )
        if other.kit != first.kit:
            base = first.kit.removesuffix("+unsandboxed")
            if base == other.kit.removesuffix("+unsandboxed"):
                inside, outside = (first, other) if other.kit != base else (other, first)
                why = (
                    f"{outside.label} was graded without the sandbox (--no-sandbox) and "
                    f"{inside.label} in it"
                )
            else:
                why = (
                    f"{first.label} was graded by kit {first.kit}, {other.label} by kit "
                    f"{other.kit} (another version, or changed graders or engine)"
                )
            raise MergeRefused(
                f"the shards were graded by different kits: {why}; grade every shard with "
                "one installation of the kit"
            )
        if other.folder != first.folder:
            raise MergeRefused(
                f"the shards saw different submissions folders: {_folder_change(first, other)}; "
                "grade every shard from the same copy of the folder"
            )


def _folder_change(first: ShardOutput, other: ShardOutput) -> str:
    mine, theirs = dict(first.folder), dict(other.folder)
    only_first = sorted(set(mine) - set(theirs))
    only_other = sorted(set(theirs) - set(mine))
    changed = sorted(s for s in set(mine) & set(theirs) if mine[s] != theirs[s])
    parts = []
    if only_first:
        parts.append(f"{', '.join(only_first[:5])} only in the folder {first.label} saw")
    if only_other:
        parts.append(f"{', '.join(only_other[:5])} only in the folder {other.label} saw")
    if changed:
        parts.append(f"{', '.join(changed[:5])} changed between {first.label} and {other.label}")
    return "; ".join(parts) or "the submissions are listed in another order"


def _slice(output: ShardOutput) -> list[SubmissionResult]:
    """The shard's results for its own submissions, each checked against its run."""
    results = []
    for submission, content_hash in output.folder:
        if shard_of(submission, output.count) not in output.shards:
            continue
        result = output.results.get(submission)
        if result is None or result.content_hash != content_hash or result.kit != output.kit:
            raise MergeRefused(
                f"{output.label} holds no current result for {submission}, which is one of "
                "its submissions: that shard's grading did not finish; run the same "
                "command again (it resumes) and merge its new output"
            )
        if result.data_seed is not None and result.data_seed != output.seed:
            raise MergeRefused(
                f"{output.label} graded {submission} with seed {result.data_seed}, not with "
                f"its --seed {output.seed}: an earlier run with another seed left that "
                "result; grade the shard again with --force"
            )
        results.append(result)
    return results


def merge_shards(sources: list[Path], *, allow_partial: bool = False) -> MergeRun:
    """Read and check every shard's gradebook; raise :class:`MergeRefused` unless they
    are shards of one run that agree wherever they overlap (and, unless
    ``allow_partial``, every shard of the run is there)."""
    if not sources:
        raise MergeRefused("no shard outputs were given: pass each shard's --out folder")
    outputs = [read_shard(source) for source in sources]
    _same_run(outputs)
    first = outputs[0]
    seed = first.seed
    assert seed is not None  # _same_run refuses a shard without one
    merged: dict[str, SubmissionResult] = {}
    origin: dict[str, ShardOutput] = {}
    for output in outputs:
        for result in _slice(output):
            earlier = merged.get(result.submission)
            if earlier is not None and _verdict(earlier) != _verdict(result):
                raise MergeRefused(
                    f"{origin[result.submission].label} and {output.label} both hold "
                    f"{result.submission} and disagree ({_disagreement(earlier, result)}); "
                    "pass one output per shard, or grade that shard again and merge its "
                    "new output alone"
                )
            merged.setdefault(result.submission, result)
            origin.setdefault(result.submission, output)
    present = sorted({n for output in outputs for n in output.shards})
    missing = [n for n in range(1, first.count + 1) if n not in present]
    warnings = []
    if missing:
        left_out = sum(1 for s, _ in first.folder if shard_of(s, first.count) in missing)
        what = (
            f"{_shards(missing, first.count)} {'is' if len(missing) == 1 else 'are'} "
            f"missing, with {left_out} of the {len(first.folder)} submissions"
        )
        if not allow_partial:
            raise MergeRefused(
                f"{what}: pass every shard's output, or --allow-partial to merge the "
                "shards given (the gradebook then leaves those submissions out)"
            )
        warnings.append(f"{what}; the merged gradebook leaves them out")
    return MergeRun(
        results=[merged[s] for s, _ in first.folder if s in merged],
        shards=present,
        count=first.count,
        seed=seed,
        kit=first.kit,
        folder=first.folder,
        notes=first.notes,
        sources=list(sources),
        warnings=warnings,
    )


def write_merged(out: Path, run: MergeRun) -> None:
    """Write ``out/gradebook.sqlite`` (replacing any there) and render grades.csv,
    results/, feedback/ and report.html from it as ``asynclings grade`` does."""
    from ..reports.files import write_outputs
    from ..reports.html import write_report

    out.mkdir(parents=True, exist_ok=True)
    target = out / GRADEBOOK
    building = out / f".{GRADEBOOK}.merging"
    building.unlink(missing_ok=True)
    with Gradebook(building) as book:
        for result in run.results:
            book.save(result)
        book.record_batch(
            {
                "shards": run.shards,
                "of": run.count,
                "seed": run.seed,
                "kit": run.kit,
                "folder": [list(entry) for entry in run.folder],
                "notes": run.notes,
                "merged_from": [str(source) for source in run.sources],
            }
        )
    for stale in (f"{GRADEBOOK}-wal", f"{GRADEBOOK}-shm"):
        (out / stale).unlink(missing_ok=True)
    os.replace(building, target)
    write_outputs(out, run.results)
    write_report(out / "report.html", run.results)


def describe(run: MergeRun) -> str:
    """One line on what was merged, for the terminal."""
    return (
        f"merged {_shards(run.shards, run.count)} ({len(run.results)} of "
        f"{len(run.folder)} submissions, --seed {run.seed}, kit {run.kit})"
    )
