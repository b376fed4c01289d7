"""``asynclings collect``: the results the learners' GitHub Actions runs uploaded, turned
into the gradebook, CSV, feedback and report that ``asynclings grade`` writes.

An artifacts folder holds what the instructor downloaded: one artifact per learner
repository (``asynclings-results``, holding ``results.json``), as folders or zips, at
any depth (``gh run download --dir artifacts/REPO`` gives ``artifacts/REPO/results.json``;
the web page gives ``asynclings-results.zip``). A learner's id is the repository's name:
the nearest folder or zip around the artifact not named ``asynclings-results``, which
must agree with the repository the artifact says it came from.

An artifact is data written by a workflow the learner controls, so nothing in it is
trusted as it is: every field must have its exact type, every exercise and rubric item
must exist in this kit's curriculum, each item's points are recomputed from this kit's
rubric and the item's status, and the totals the artifact states must equal the
recomputed ones (a forged point is refused). A broken artifact becomes a rejected
submission with the reason, and never stops the collection. Every result is marked
:data:`~asynclings.results.LEARNER_WORKFLOW`: its verdicts were not reached in a sandbox
here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, get_args

from .. import __version__
from ..integrations.lms import LmsOptions, Roster, write_lms_exports
from ..manifest import Exercise, exercises
from ..results import (
    LEARNER_WORKFLOW,
    ExerciseResult,
    ExerciseStatus,
    ItemResult,
    ModuleProblem,
    Results,
    SubmissionResult,
)
from ..rubric import rubric_of

__all__ = ["Artifact", "BrokenArtifact", "collect_artifacts", "find_artifacts", "read_artifact"]

RESULTS_FILE = "results.json"
ARTIFACT_NAME = "asynclings-results"
MAX_ARTIFACT_BYTES = 5_000_000
MAX_ZIP_ENTRIES = 1000
_EXERCISE_STATUSES = get_args(ExerciseStatus)
_PROBLEMS = get_args(ModuleProblem)
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class BrokenArtifact(ValueError):
    """An artifact that cannot be read as the grade step writes it: the message says
    which field is wrong and how."""


@dataclass
class Artifact:
    """One ``results.json`` found in the artifacts folder."""

    location: str
    """Where it was found, relative to the artifacts folder (``alice/results.json``,
    ``alice.zip!results.json``)."""
    id: str
    """The learner id the folders around it give (empty: none)."""
    data: bytes = b""
    problem: str = ""
    """Why it could not be read at all (a corrupt zip, no results.json in it)."""


@dataclass
class CollectRun:
    results: list[SubmissionResult]
    notes: list[str] = field(default_factory=list)


def _id_of(parts: list[str]) -> str:
    """The learner id from the folder and zip names around an artifact, nearest first."""
    for part in reversed(parts):
        name = part.removesuffix(".zip")
        if name and name != ARTIFACT_NAME:
            return name
    return ""


def find_artifacts(folder: Path) -> list[Artifact]:
    """Every ``results.json`` under ``folder``, in folders or in zips, at any depth; and,
    as broken artifacts, zips that cannot be read and top-level entries that hold none."""
    found: list[Artifact] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        here = Path(root)
        parts = list(here.relative_to(folder).parts)
        for name in sorted(files):
            path = here / name
            if path.is_symlink():
                continue
            relative = "/".join([*parts, name])
            if name == RESULTS_FILE:
                found.append(_read_file(path, relative, _id_of(parts)))
            elif name.endswith(".zip"):
                found += _from_zip(path, relative, [*parts, name])
    covered = {a.location.split("/", 1)[0].split("!", 1)[0] for a in found}
    for entry in sorted(folder.iterdir()):
        if entry.name not in covered and (entry.is_dir() and not entry.is_symlink()):
            found.append(
                Artifact(
                    entry.name,
                    _id_of([entry.name]),
                    problem=f"{entry.name}/ holds no {RESULTS_FILE}: the learner's workflow "
                    f"uploaded no {ARTIFACT_NAME} artifact (it has not run, or failed before "
                    "grading), or the download did not finish",
                )
            )
    return found


def _read_file(path: Path, relative: str, learner: str) -> Artifact:
    size = path.stat().st_size
    if size > MAX_ARTIFACT_BYTES:
        return Artifact(
            relative,
            learner,
            problem=f"{relative} is {size:,} bytes (limit {MAX_ARTIFACT_BYTES:,})",
        )
    return Artifact(relative, learner, path.read_bytes())


def _from_zip(path: Path, relative: str, parts: list[str]) -> list[Artifact]:
    learner = _id_of(parts)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                return [
                    Artifact(relative, learner, problem=f"{relative} holds {len(infos):,} entries")
                ]
            found = []
            for info in infos:
                member = PurePosixPath(info.filename)
                if info.is_dir() or member.name != RESULTS_FILE:
                    continue
                with archive.open(info) as file:
                    data = file.read(MAX_ARTIFACT_BYTES + 1)
                where = f"{relative}!{info.filename}"
                inner = _id_of([*parts, *member.parent.parts]) or learner
                if len(data) > MAX_ARTIFACT_BYTES:
                    found.append(Artifact(where, inner, problem=f"{where} is over the size limit"))
                else:
                    found.append(Artifact(where, inner, data))
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as error:
        return [Artifact(relative, learner, problem=f"{relative} is not a readable zip ({error})")]
    if not found:
        return [Artifact(relative, learner, problem=f"{relative} holds no {RESULTS_FILE}")]
    return found


# Validation ------------------------------------------------------------------------------


def _expect(data: dict[str, Any], key: str, kinds: tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise BrokenArtifact(f"{where} has no {key!r}")
    value = data[key]
    # Exact types: a bool is not a number here, and a number is not a string.
    if type(value) not in kinds:
        names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
        raise BrokenArtifact(f"{where}.{key} is {type(value).__name__}, expected {names}")
    return value


def _strings(data: dict[str, Any], key: str, where: str, limit: int) -> list[str]:
    values = _expect(data, key, (list,), where)
    if any(type(value) is not str for value in values):
        raise BrokenArtifact(f"{where}.{key} holds something other than text")
    return [value[:500] for value in values[:limit]]


def _number(value: float) -> str:
    return f"{value:g}"


def _item(rubric_item: Any, data: Any, where: str) -> ItemResult:
    if type(data) is not dict:
        raise BrokenArtifact(f"{where} is not an object")
    status = _expect(data, "status", (str,), where)
    if status not in ("passed", "failed"):
        raise BrokenArtifact(f"{where}.status is {status!r}, expected 'passed' or 'failed'")
    claimed = _expect(data, "max_points", (int, float), where)
    if claimed != rubric_item.points:
        raise BrokenArtifact(
            f"{where} claims {_number(claimed)} points for the rubric item "
            f"{rubric_item.name}, which is worth {_number(rubric_item.points)}: forged points "
            "are refused"
        )
    problem = _expect(data, "problem", (str, type(None)), where)
    if problem is not None and problem not in _PROBLEMS:
        raise BrokenArtifact(f"{where}.problem is {problem!r}, not a problem the kit names")
    seconds = _expect(data, "wall_seconds", (int, float), where)
    return ItemResult.of(
        rubric_item,
        status,
        _expect(data, "message", (str,), where)[:4000],
        _expect(data, "details", (str,), where)[:8000],
        float(seconds) if 0 <= seconds < 1e6 else 0.0,
        problem if status == "failed" else None,
    )


def _exercise(exercise: Exercise, data: Any, where: str) -> ExerciseResult:
    if type(data) is not dict:
        raise BrokenArtifact(f"{where} is not an object")
    status = _expect(data, "status", (str,), where)
    if status not in _EXERCISE_STATUSES:
        raise BrokenArtifact(f"{where}.status is {status!r}, not a status the kit names")
    rubric = {item.name: item for item in rubric_of(exercise)}
    reported: dict[str, ItemResult] = {}
    for index, item in enumerate(_expect(data, "items", (list,), where)):
        name = item.get("name") if type(item) is dict else None
        if type(name) is not str or name not in rubric:
            raise BrokenArtifact(
                f"{where}.items[{index}] names the rubric item {name!r}, which "
                f"{exercise.module} does not have (it has {', '.join(rubric)})"
            )
        if name in reported:
            raise BrokenArtifact(f"{where} reports the rubric item {name} twice")
        reported[name] = _item(rubric[name], item, f"{where}.{name}")
    items = [
        reported.get(name)
        or ItemResult.of(
            rubric_item, "failed", "this item has no verdict in the artifact, so it scores nothing"
        )
        for name, rubric_item in rubric.items()
    ]
    if status != "graded" and any(item.status == "passed" for item in items):
        raise BrokenArtifact(
            f"{where} says the module {status}, yet has items that passed: a module that "
            "was not graded scores nothing"
        )
    claimed = _expect(data, "max_points", (int, float), where)
    most = sum(item.points for item in rubric.values())
    if claimed != most:
        raise BrokenArtifact(
            f"{where} claims {_number(claimed)} points at most, but {exercise.module} is "
            f"worth {_number(most)}: forged points are refused"
        )
    _expect(data, "path", (str, type(None)), where)
    result = ExerciseResult(
        module=exercise.module,
        title=exercise.title,
        path=f"{exercise.module}.py",
        status=status,
        items=items,
        flags=_strings(data, "flags", where, 50),
        reason=_expect(data, "reason", (str,), where)[:4000],
    )
    return result.settle()


def read_artifact(data: bytes) -> tuple[dict[str, Any], SubmissionResult]:
    """The artifact's envelope and its submission, validated and recomputed from this
    kit's rubric. Raises :class:`BrokenArtifact` with the reason."""
    try:
        top = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BrokenArtifact(f"it is not JSON ({error})") from None
    except RecursionError:
        raise BrokenArtifact("it is JSON nested too deeply to be results") from None
    if type(top) is not dict:
        raise BrokenArtifact("it is not a JSON object")
    kind = _expect(top, "format", (str,), "results.json")
    if kind != "asynclings-actions-results":
        raise BrokenArtifact(f"its format is {kind!r}, not 'asynclings-actions-results'")
    version = _expect(top, "version", (int,), "results.json")
    if version != 1:
        raise BrokenArtifact(f"it is version {version} of the format; this kit reads version 1")
    repository = _expect(top, "repository", (str,), "results.json")
    if not _REPOSITORY.fullmatch(repository):
        raise BrokenArtifact(f"its repository {repository[:100]!r} is not OWNER/NAME")
    commit = _expect(top, "commit", (str,), "results.json")
    if not re.fullmatch(r"[0-9a-f]{7,64}", commit):
        raise BrokenArtifact(f"its commit {commit[:100]!r} is not a commit hash")
    for key in ("kit", "run_url"):
        _expect(top, key, (str,), "results.json")
    submission = _expect(top, "submission", (dict,), "results.json")
    status = _expect(submission, "status", (str,), "submission")
    if status not in ("graded", "rejected"):
        raise BrokenArtifact(f"submission.status is {status!r}, expected 'graded' or 'rejected'")
    results = _expect(submission, "results", (dict,), "submission")
    listed = _expect(results, "exercises", (list,), "submission.results")
    curriculum = {exercise.module: exercise for exercise in exercises()}
    by_module: dict[str, ExerciseResult] = {}
    for index, exercise_data in enumerate(listed):
        module = exercise_data.get("module") if type(exercise_data) is dict else None
        if type(module) is not str or module not in curriculum:
            raise BrokenArtifact(
                f"submission.results.exercises[{index}] names the exercise {module!r}, which "
                "is not in this kit's curriculum"
            )
        if module in by_module:
            raise BrokenArtifact(f"it reports {module} twice")
        by_module[module] = _exercise(curriculum[module], exercise_data, module)
    for module, exercise in curriculum.items():
        if module not in by_module:
            by_module[module] = ExerciseResult(
                module=module,
                title=exercise.title,
                path=None,
                status="not submitted",
                items=[
                    ItemResult.of(r, "failed", "not in the workflow's results")
                    for r in rubric_of(exercise)
                ],
                reason="not in the workflow's results",
            ).settle()
    if status == "rejected" and any(e.points for e in by_module.values()):
        raise BrokenArtifact("the submission is marked rejected, yet has items that passed")
    recomputed = Results([by_module[module] for module in curriculum])
    for key, value in (("score", recomputed.points), ("max_score", recomputed.max_points)):
        claimed = _expect(top, key, (int, float), "results.json")
        if claimed != value:
            raise BrokenArtifact(
                f"it states {key} {_number(claimed)}, but its items' verdicts under this "
                f"kit's rubric give {_number(value)}: forged points are refused"
            )
    seed = _expect(submission, "data_seed", (int, type(None)), "submission")
    seconds = _expect(submission, "seconds", (int, float), "submission")
    result = SubmissionResult(
        submission="",
        status=status,
        results=recomputed,
        reason=_expect(submission, "reason", (str,), "submission")[:4000],
        notes=_strings(submission, "notes", "submission", 20),
        kit=_expect(submission, "kit", (str,), "submission")[:200],
        seconds=float(seconds) if 0 <= seconds < 1e6 else 0.0,
        sandbox=LEARNER_WORKFLOW,
        data_seed=seed,
    )
    return top, result


def _rejected(learner: str, reason: str, content_hash: str) -> SubmissionResult:
    results = Results(
        [
            ExerciseResult(
                module=exercise.module,
                title=exercise.title,
                path=None,
                status="not submitted",
                items=[ItemResult.of(r, "failed", reason) for r in rubric_of(exercise)],
                reason=reason,
            ).settle()
            for exercise in exercises()
        ]
    )
    return SubmissionResult(
        learner,
        "rejected",
        results,
        reason=reason,
        content_hash=content_hash,
        kit=f"{__version__}+collected",
        sandbox=LEARNER_WORKFLOW,
    )


def _result_of(artifact: Artifact) -> SubmissionResult:
    content_hash = hashlib.sha256(artifact.data or artifact.problem.encode()).hexdigest()
    learner = artifact.id
    if artifact.problem:
        return _rejected(learner or artifact.location, artifact.problem, content_hash)
    try:
        top, result = read_artifact(artifact.data)
    except BrokenArtifact as broken:
        reason = f"its artifact {artifact.location} cannot be used: {broken}"
        return _rejected(learner or artifact.location, reason, content_hash)
    repository = str(top["repository"])
    name = repository.split("/", 1)[1]
    result.submission = learner or name
    result.content_hash = content_hash
    result.kit = f"{result.kit or top['kit']}+collected"
    run_url = str(top["run_url"])[:300]
    result.origin = f"{repository} at commit {top['commit']}" + (f" ({run_url})" if run_url else "")
    if learner and learner != name:
        result.notes.append(
            f"its artifact was downloaded as {learner} but says it came from {repository}: "
            "check that it is that repository's artifact"
        )
    if top["kit"] != __version__:
        result.notes.append(
            f"graded by asynclings {top['kit']}, collected by {__version__}: the template's "
            "wheel is older or newer than this kit"
        )
    return result


def collect_artifacts(folder: Path) -> CollectRun:
    """Every artifact under ``folder`` as a submission result, sorted by learner id; two
    artifacts for one learner are both refused, with where each was found."""
    results: dict[str, list[tuple[Artifact, SubmissionResult]]] = {}
    for artifact in find_artifacts(folder):
        result = _result_of(artifact)
        results.setdefault(result.submission, []).append((artifact, result))
    collected = []
    notes = []
    for learner in sorted(results):
        found = results[learner]
        if len(found) == 1:
            collected.append(found[0][1])
            continue
        where = ", ".join(artifact.location for artifact, _ in found)
        notes.append(f"{learner}: {len(found)} artifacts ({where}); none was used")
        reason = (
            f"{len(found)} artifacts for {learner} were found ({where}): keep the one of the "
            "run to grade and collect again"
        )
        digest = hashlib.sha256("".join(r.content_hash for _, r in found).encode()).hexdigest()
        collected.append(_rejected(learner, reason, digest))
    return CollectRun(collected, notes)


def run_collect(folder: Path, out: Path, *, lms: tuple[Roster, LmsOptions] | None = None) -> int:
    """``asynclings collect``: read, write every output, print the summary; the exit
    status to return."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ..reports.files import write_outputs
    from ..reports.html import write_report
    from .gradebook import Gradebook

    console = Console(highlight=False)
    if not folder.is_dir() or not any(folder.iterdir()):
        console.print(
            f"[red]nothing collected[/]: {escape(str(folder))} is empty or not a folder: "
            "download the learners' artifacts into it first (see docs/instructors.md)",
            soft_wrap=True,
        )
        return 2
    run = collect_artifacts(folder)
    if not run.results:
        console.print(f"[red]nothing collected[/]: no {RESULTS_FILE} found under {folder}")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    with Gradebook(out / "gradebook.sqlite") as book:
        for result in run.results:
            book.save(result)
    write_outputs(out, run.results)
    if lms is not None:
        roster, lms_options = lms
        for line in write_lms_exports(run.results, roster, out, lms_options).lines():
            console.print(f"[yellow]lms[/]: {escape(line)}", soft_wrap=True)
    write_report(out / "report.html", run.results)
    console.print(
        "[yellow]FROM LEARNERS' WORKFLOWS[/]: these verdicts were reached in each learner's "
        "own GitHub Actions run, not in a sandbox here, and a learner controls that "
        "workflow; regrade any you doubt with `asynclings grade`.",
        soft_wrap=True,
    )
    table = Table(title="asynclings collect", title_justify="left")
    table.add_column("submission")
    table.add_column("points", justify="right")
    table.add_column("attention")
    for result in run.results:
        attention = result.reason or "; ".join(result.notes[:2])
        style = "red" if result.status != "graded" else ("yellow" if result.needs_review else "")
        table.add_row(
            escape(result.submission),
            f"{result.points:g}/{result.max_points:g}",
            escape(attention),
            style=style,
        )
    console.print(table)
    for note in run.notes:
        console.print(f"[yellow]note[/]: {escape(note)}", soft_wrap=True)
    console.print(f"written: {out}/grades.csv, results/, feedback/, report.html, gradebook.sqlite")
    return 0
