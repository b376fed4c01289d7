"""The ``asynclings`` command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .manifest import exercise as find_exercise
from .manifest import exercises
from .rubric import rubric_of

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="asynclings")
def main() -> None:
    """asyncio exercises, graded on correctness, concurrency and race-freedom.

    Learners: edit an exercise file, then run `asynclings check ex02` beside it.
    """


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


_EXERCISES = click.option(
    "--exercises",
    "chosen",
    multiple=True,
    metavar="EXERCISE",
    help="Only these exercises (repeatable; default: all ten).",
)
_FOLDER = click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))


@main.command("list")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Working folder whose progress to show (default: here, or ./exercises).",
)
def list_exercises(folder: Path | None) -> None:
    """The curriculum: every exercise with its topic, points and your status."""
    from .reports.study import show_list
    from .study import find_workspace

    rows = [(e.module, e.title, e.topic, sum(i.points for i in rubric_of(e))) for e in exercises()]
    workspace = find_workspace(folder)
    progress = workspace.load() if workspace.state_path.exists() else None
    show_list(_console(), rows, progress)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite exercise files that exist already.")
def init(folder: Path, force: bool) -> None:
    """Copy the exercise stubs and a README into FOLDER, ready to work on."""
    from .study import Workspace

    written, kept = Workspace(folder).init(force=force)
    for path in written:
        click.echo(f"wrote {path}")
    for path in kept:
        click.echo(f"kept  {path} (exists; --force overwrites it)")
    click.echo(f"next: cd {folder} && asynclings check")


@main.command()
@click.argument("targets", nargs=-1, metavar="[EXERCISE] [FOLDER]")
def check(targets: tuple[str, ...]) -> None:
    """Grade your exercises and show your progress.

    EXERCISE (ex02, ex02_gather or ex02_gather.py) grades that one alone and shows each
    rubric item's verdict. FOLDER: default here, or ./exercises.
    """
    from .reports.study import show_check, show_exercise
    from .study import find_workspace

    folder, module = _check_targets(targets)
    workspace = find_workspace(folder)
    _require_exercises(workspace.folder)
    if module is None:
        statuses, progress, new = workspace.check()
        show_check(_console(), workspace.folder, statuses, progress, new)
        return
    chosen = find_exercise(module)
    statuses, progress, new = workspace.check(chosen=[chosen])
    show_exercise(_console(), workspace.folder, statuses[0], progress, bool(new))


def _check_targets(targets: tuple[str, ...]) -> tuple[Path | None, str | None]:
    """``check``'s arguments as (folder, exercise module): an exercise is named as
    ``hint`` takes it or by its file (whose folder is then the folder); anything else is
    a folder."""
    folders: list[Path] = []
    modules: list[str] = []
    names = {e.module for e in exercises()}
    for target in targets:
        path = Path(target)
        if path.suffix == ".py" and path.stem in names:
            modules.append(path.stem)
            if path.parent != Path("."):
                folders.append(path.parent)
        elif path.suffix == ".py":
            raise click.BadParameter(
                f"{target} is not an exercise file: the graders read only "
                f"{', '.join(sorted(f'{name}.py' for name in names))}; name one of "
                "those, or the exercise alone (ex02)",
                param_hint="EXERCISE",
            )
        elif not path.is_dir() and _exercise_named(target):
            modules.append(_resolve(target))
        else:
            folders.append(path)
    if len(set(folders)) > 1 or len(set(modules)) > 1:
        raise click.UsageError(
            f"check takes one exercise and one folder at most, got {' '.join(targets)}: "
            "e.g. `asynclings check ex02` or `asynclings check ex02 path/to/folder`"
        )
    return (folders[0] if folders else None), (modules[0] if modules else None)


def _exercise_named(name: str) -> bool:
    try:
        _resolve(name)
    except click.BadParameter:
        return False
    return True


@main.command()
@_FOLDER
def watch(folder: Path | None) -> None:
    """Re-grade the exercise you work on each time you save it; move on when it passes."""
    from .study import find_workspace
    from .watching import watch_workspace

    workspace = find_workspace(folder)
    _require_exercises(workspace.folder)
    sys.exit(watch_workspace(workspace, _console()))


def _require_exercises(folder: Path) -> None:
    names = {f"{e.module}.py" for e in exercises()}
    if not folder.is_dir() or not any((folder / n).exists() for n in names):
        raise click.ClickException(
            f"{folder} holds no exercise files: start with `asynclings init {folder}`"
        )


@main.command()
@click.argument("exercise", required=False)
def items(exercise: str | None) -> None:
    """List the rubric items of EXERCISE (e.g. ex02 or ex02_gather; default: all).

    Each line: the item's id (what --hide of `asynclings nbgrader` and `asynclings
    gradescope bundle` takes), its points and its title.
    """
    chosen = [find_exercise(_resolve(exercise))] if exercise else list(exercises())
    for each in chosen:
        rubric = rubric_of(each)
        click.echo(f"{each.module}: {sum(i.points for i in rubric):g} points")
        width = max(len(i.id) for i in rubric)
        for rubric_item in rubric:
            points = f"{rubric_item.points:g} pt{'s' if rubric_item.points != 1 else ''}"
            click.echo(f"  {rubric_item.id:<{width}}  {points:>6}  {rubric_item.title}")
    click.echo(
        "--hide ID hides that item in every chosen exercise that has it (--exercises "
        "narrows them); --hide all hides every item."
    )


def _hidden(hide: tuple[str, ...], modules: list[str] | None) -> tuple[str, ...]:
    """``hide``, checked against the rubric items of ``modules`` (default: all)."""
    from .rubric import unknown_item_ids

    chosen = [e for e in exercises() if modules is None or e.module in modules]
    problems = unknown_item_ids(hide, chosen)
    if problems:
        raise click.BadParameter(
            "; ".join(problems) + ". `asynclings items` lists the item ids of every "
            "exercise (`asynclings items ex02` those of one).",
            param_hint="--hide",
        )
    return hide


@main.command()
@click.argument("exercise")
@click.option("--level", "-l", type=int, default=None, help="Hint number (default: all so far).")
def hint(exercise: str, level: int | None) -> None:
    """Show the hints for EXERCISE (e.g. ex02_gather or ex02), gentlest first."""
    module = _resolve(exercise)
    hints = find_exercise(module).hints
    if level is not None and not 1 <= level <= len(hints):
        raise click.BadParameter(f"{module} has hints 1 to {len(hints)}", param_hint="--level")
    shown = hints if level is None else hints[level - 1 : level]
    first = 1 if level is None else level
    for number, text in enumerate(shown, start=first):
        click.echo(f"Hint {number}/{len(hints)}: {text}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--seed", type=int, default=None, help="Replay one interleaving seed.")
def test(paths: tuple[Path, ...], seed: int | None) -> None:
    """Grade the exercise modules in PATHS (default: ./exercises) and print the verdicts."""
    import pytest

    from .run import pytest_args

    targets = list(paths) or [Path("exercises")]
    args = pytest_args(targets, seed=seed, quiet=False)
    sys.exit(pytest.main(args))


def _lms_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options of the LMS gradebook files, shared by `grade` and `collect`."""
    for option in reversed(
        [
            click.option(
                "--roster",
                type=click.Path(dir_okay=False, path_type=Path),
                default=None,
                help="CSV mapping submission ids to LMS identities: also write canvas.csv, "
                "moodle.csv and blackboard.csv (see docs/instructors.md).",
            ),
            click.option(
                "--lms-assignment",
                default="asyncio exercises",
                show_default=True,
                help="The grade column's name in the LMS files.",
            ),
            click.option(
                "--canvas-assignment-id", default="", help="Canvas's id of the assignment."
            ),
            click.option(
                "--blackboard-column-id", default="", help="Blackboard's Column ID of the column."
            ),
            click.option(
                "--lms-per-exercise",
                is_flag=True,
                help="Add one LMS column per exercise beside the total.",
            ),
        ]
    ):
        command = option(command)
    return command


def _lms(
    roster: Path | None,
    assignment: str,
    canvas_assignment_id: str,
    blackboard_column_id: str,
    per_exercise: bool,
) -> tuple[Any, Any] | None:
    """The roster and LMS options, or ``None`` without a roster; a bad roster ends the
    command (exit 2) before anything is graded or written."""
    if roster is None:
        return None
    from .integrations.lms import LmsOptions, RosterError, load_roster

    try:
        options = LmsOptions(assignment, canvas_assignment_id, blackboard_column_id, per_exercise)
        return load_roster(roster), options
    except RosterError as problem:
        click.echo(f"not graded: {problem}.")
        sys.exit(2)


@main.command()
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for grades.csv, results/, feedback/, report.html and the gradebook.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Submissions graded at once (default: twice the number of cores).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Real seconds one submission's grading may take before it is killed.",
)
@click.option(
    "--memory",
    type=click.IntRange(min=64),
    default=2048,
    show_default=True,
    help="Memory limit of one grading process, in MB.",
)
@click.option("--force", is_flag=True, help="Regrade even the submissions already graded.")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Draw every submission's grading data from this seed (reproduces a run). "
    "Default: a secret seed per submission.",
)
@click.option(
    "--no-sandbox",
    is_flag=True,
    help="Grade without the bubblewrap sandbox (machines that cannot run it). Every "
    "output says so.",
)
@click.option(
    "--shard",
    metavar="K/N",
    default=None,
    callback=lambda _ctx, _param, value: _shard(value),
    help="Grade only the K-th of N slices of SUBMISSIONS (K from 1 to N; chosen by a "
    "hash of each submission's id), for `asynclings merge`. Needs --seed.",
)
@_lms_options
def grade(
    submissions: Path,
    out: Path,
    jobs: int | None,
    timeout: float,
    memory: int,
    force: bool,
    seed: int | None,
    no_sandbox: bool,
    roster: Path | None,
    lms_assignment: str,
    canvas_assignment_id: str,
    blackboard_column_id: str,
    lms_per_exercise: bool,
    shard: Any,
) -> None:
    """Grade every submission in SUBMISSIONS (a folder or .zip per learner).

    Each submission is graded in a sandbox: a bubblewrap container with no network,
    its own processes and an unprivileged user, that sees only its own copy of the
    submission. If the sandbox does not work on this machine, nothing is graded
    unless --no-sandbox is given.
    """
    from .grading.batch import BatchOptions
    from .grading.console import run_batch
    from .grading.worker import Limits

    if shard is not None and shard.count > 1 and seed is None:
        raise click.UsageError(
            "--shard needs --seed: every shard of one run must draw its grading data from "
            "the same seed, e.g. --shard 1/4 --seed 2026 on each machine"
        )
    lms = _lms(roster, lms_assignment, canvas_assignment_id, blackboard_column_id, lms_per_exercise)
    options = BatchOptions(
        jobs=jobs or BatchOptions().jobs,
        limits=Limits(timeout=timeout, memory_mb=memory),
        force=force,
        sandbox=not no_sandbox,
        seed=seed,
        shard=shard,
    )
    sys.exit(run_batch(submissions, out, options, lms=lms))


def _shard(value: str | None) -> Any:
    from .grading.shard import Shard

    try:
        return None if value is None else Shard.parse(value)
    except ValueError as problem:
        raise click.BadParameter(str(problem), param_hint="--shard") from None


@main.command()
@click.argument("shards", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the merged gradebook, grades.csv, results/, feedback/, report.html.",
)
@click.option(
    "--allow-partial",
    is_flag=True,
    help="Merge even if some shards of the run are missing (their submissions are left "
    "out, with a warning). Default: refuse.",
)
def merge(shards: tuple[Path, ...], out: Path, allow_partial: bool) -> None:
    """Merge the outputs of `asynclings grade --shard K/N` (each shard's --out folder)
    into one gradebook and report, as one unsharded `asynclings grade` writes them.

    Refuses (exit status 2) shards of different runs (another N, --seed, kit or
    submissions folder), shards that disagree about a submission, a missing or damaged
    gradebook and, unless --allow-partial, a run with shards missing.
    """
    from .grading.merge import MergeRefused, describe, merge_shards, write_merged

    try:
        run = merge_shards(list(shards), allow_partial=allow_partial)
    except MergeRefused as problem:
        click.echo(f"not merged: {problem}", err=True)
        sys.exit(2)
    write_merged(out, run)
    for warning in run.warnings:
        click.echo(f"warning: {warning}", err=True)
    for note in run.notes:
        click.echo(f"note: {note}")
    click.echo(describe(run))
    click.echo(f"written: {out}/grades.csv, results/, feedback/, report.html, gradebook.sqlite")


@main.command("nbgrader")
@click.argument("course", type=click.Path(file_okay=False, path_type=Path))
@click.option("--assignment", default="asyncio", show_default=True, help="The assignment's name.")
@_EXERCISES
@click.option(
    "--hide",
    multiple=True,
    metavar="ITEM",
    help="Make this rubric item a hidden test (repeatable; `all` hides every item; "
    "`asynclings items` lists the ids).",
)
def nbgrader_command(
    course: Path, assignment: str, chosen: tuple[str, ...], hide: tuple[str, ...]
) -> None:
    """Write the exercises as an nbgrader source assignment in COURSE/source/.

    One notebook per exercise: the teaching text, an answer cell with the stub and the
    reference solution, a self-check cell and one locked test cell per rubric item.
    Then, in COURSE: `nbgrader generate_assignment ASSIGNMENT`, collect, and
    `nbgrader autograde ASSIGNMENT` (see docs/nbgrader.md).
    """
    from .integrations.nbgrader import write_assignment

    modules = [_resolve(name) for name in chosen] or None
    written = write_assignment(course, assignment, modules, _hidden(hide, modules))
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(
        f"next: cd {course} && nbgrader generate_assignment {assignment} --force "
        "(the learners' version goes to release/)"
    )


@main.group()
def gradescope() -> None:
    """Gradescope: build the autograder bundle."""


@gradescope.command("bundle")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@_EXERCISES
@click.option(
    "--hide",
    multiple=True,
    metavar="ITEM",
    help="Show this rubric item to learners only after the due date (repeatable; `all`; "
    "`asynclings items` lists the ids).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=10),
    default=120.0,
    show_default=True,
    help="Real seconds the grading of one submission may take.",
)
def gradescope_bundle(
    out: Path, chosen: tuple[str, ...], hide: tuple[str, ...], timeout: float
) -> None:
    """Write OUT.zip, an autograder for Gradescope's "Configure Autograder" page.

    It holds setup.sh and run_autograder at its root, the kit as a wheel (without the
    reference solutions) and config.json. Each rubric item becomes one Gradescope test
    with its points and explanation. See docs/instructors.md.
    """
    from .integrations.gradescope import bundle

    modules = [_resolve(name) for name in chosen] or None
    path = bundle(out, modules, hidden=_hidden(hide, modules), timeout=timeout)
    click.echo(f"wrote {path}: upload it as the autograder (Ubuntu base image)")


@main.command("prairielearn")
@click.argument("course", type=click.Path(file_okay=False, path_type=Path))
@_EXERCISES
@click.option(
    "--image",
    default="prairielearn/grader-python",
    show_default=True,
    help="The Docker image PrairieLearn grades in: the one you built from "
    "serverFilesCourse/asynclings/Dockerfile and pushed.",
)
@click.option(
    "--timeout",
    type=click.IntRange(min=30, max=600),
    default=120,
    show_default=True,
    help="Seconds PrairieLearn gives one grading job (at most 600).",
)
def prairielearn(course: Path, chosen: tuple[str, ...], image: str, timeout: int) -> None:
    """Write externally graded PrairieLearn questions into the course folder COURSE.

    One question per exercise (questions/<exercise>/: info.json, question.html with the
    stub in a file editor, tests/) and the grader in serverFilesCourse/asynclings/ (its
    entrypoint run.sh, the kit as a wheel, a Dockerfile for the grading image). Each
    rubric item becomes one test with its points and explanation. See
    docs/instructors.md.
    """
    from .integrations.prairielearn import write_course

    modules = [_resolve(name) for name in chosen] or None
    for path in write_course(course, modules, image=image, timeout=timeout):
        click.echo(f"wrote {path}")
    if image == "prairielearn/grader-python":
        click.echo(
            "next: build the grading image from serverFilesCourse/asynclings/Dockerfile, "
            "push it, then run this again with --image YOUR/IMAGE (docs/instructors.md); "
            "without it each grading job installs the kit first"
        )


@main.group()
def actions() -> None:
    """GitHub Actions: a template repository whose workflow grades every push."""


@actions.command("template")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@_EXERCISES
def actions_template(folder: Path, chosen: tuple[str, ...]) -> None:
    """Write a template repository for learners into FOLDER.

    The stubs in exercises/, a README for learners, the grader as a wheel and
    .github/workflows/asynclings.yml, which grades every push: points per rubric item in
    the job summary, an annotation on the learner's line per failed item, and
    results.json uploaded as the artifact asynclings-results (`asynclings collect`
    gathers them). See docs/instructors.md.
    """
    from .integrations.actions import write_template

    modules = [_resolve(name) for name in chosen] or None
    for path in write_template(folder, modules):
        click.echo(f"wrote {path}")
    click.echo(
        f"next: push {folder} to GitHub, make it a template repository and create each "
        "learner's repository from it (see docs/instructors.md)"
    )


@actions.command("grade")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@_EXERCISES
@click.option(
    "--summary",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Append the Markdown verdicts to this file (the workflow passes $GITHUB_STEP_SUMMARY).",
)
@click.option(
    "--results",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the results (what `asynclings collect` reads) to this file.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=10),
    default=120.0,
    show_default=True,
    help="Real seconds the grading may take.",
)
def actions_grade(
    folder: Path,
    chosen: tuple[str, ...],
    summary: Path | None,
    results: Path | None,
    timeout: float,
) -> None:
    """Grade FOLDER in a GitHub Actions run (the template's grade step).

    Prints each exercise's points and one ::error annotation per failed rubric item, at
    the learner's line where the verdict names it. Exits 0 whenever it graded, items
    failed or not, so the workflow's next step uploads the results.
    """
    from .integrations.actions import grade_step

    modules = [_resolve(name) for name in chosen] or None
    sys.exit(grade_step(folder, modules=modules, summary=summary, results=results, timeout=timeout))


@main.command()
@click.argument("artifacts", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for grades.csv, results/, feedback/, report.html and the gradebook.",
)
@_lms_options
def collect(
    artifacts: Path,
    out: Path,
    roster: Path | None,
    lms_assignment: str,
    canvas_assignment_id: str,
    blackboard_column_id: str,
    lms_per_exercise: bool,
) -> None:
    """Turn the learners' downloaded workflow artifacts into the gradebook and report.

    ARTIFACTS holds one asynclings-results artifact per learner repository (folders or
    zips, any depth; `gh run download`, see docs/instructors.md). Each is checked against
    the rubric and its points recomputed; a broken or forged one is listed with the
    reason. OUT gets what `asynclings grade` writes, marked as graded in the learners'
    own workflows.
    """
    from .grading.collect import run_collect

    lms = _lms(roster, lms_assignment, canvas_assignment_id, blackboard_column_id, lms_per_exercise)
    sys.exit(run_collect(artifacts, out, lms=lms))


CLASSROOM_RETIRED = (
    "GitHub Classroom was retired in August 2026, so asynclings no longer writes a "
    "Classroom workflow: use `asynclings actions template DIR` for a template repository "
    "whose GitHub Actions workflow grades every push, and `asynclings collect` to gather "
    "the results (see docs/instructors.md)"
)


@main.group(hidden=True)
def classroom() -> None:
    """Deprecated: GitHub Classroom was retired in August 2026; use `asynclings actions`."""


@classroom.command(
    "template", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.argument("ignored", nargs=-1, type=click.UNPROCESSED)
def classroom_template(ignored: tuple[str, ...]) -> None:
    """Deprecated: use `asynclings actions template DIR`."""
    raise click.ClickException(CLASSROOM_RETIRED)


@classroom.command(
    "result", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.argument("ignored", nargs=-1, type=click.UNPROCESSED)
def classroom_result(ignored: tuple[str, ...]) -> None:
    """Deprecated: the template's grade step is `asynclings actions grade`."""
    raise click.ClickException(CLASSROOM_RETIRED)


def _resolve(name: str) -> str:
    modules = [e.module for e in exercises()]
    if name in modules:
        return name
    matches = [m for m in modules if m.startswith(name) or m.split("_", 1)[-1] == name]
    if len(matches) == 1:
        return matches[0]
    raise click.BadParameter(
        f"no exercise {name!r}; choose one of: {', '.join(modules)}", param_hint="EXERCISE"
    )


if __name__ == "__main__":
    main()
