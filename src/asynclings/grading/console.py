"""``asynclings grade``: the batch with a progress bar, the outputs and a closing summary.

Terminal output uses rich: a live progress bar on a terminal, plain lines when piped.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..integrations.lms import LmsOptions, Roster, write_lms_exports
from ..reports.files import write_outputs
from ..results import SubmissionResult
from .batch import BatchOptions, NotSubmissions, SandboxUnavailable, grade_batch
from .sandbox import HOW_TO_FIX

__all__ = ["run_batch"]


def run_batch(
    submissions: Path,
    out: Path,
    options: BatchOptions,
    *,
    lms: tuple[Roster, LmsOptions] | None = None,
) -> int:
    """Grade, write every output, print the summary; the exit status to return."""
    console = Console(highlight=False)
    progress = Progress(
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = progress.add_task("", total=None)
    started = time.perf_counter()

    def on_start(count: int) -> None:
        progress.update(task, total=count)

    def on_done(result: SubmissionResult) -> None:
        progress.update(task, advance=1, description=result.submission)
        if not console.is_terminal:
            console.print(f"graded {result.submission}: {result.points:g}/{result.max_points:g}")

    try:
        with progress:
            run = grade_batch(
                submissions, out / "gradebook.sqlite", options, on_start=on_start, on_done=on_done
            )
    except NotSubmissions as problem:
        console.print(f"[red]not graded[/]: {escape(str(problem))}.", soft_wrap=True)
        return 2
    except SandboxUnavailable as problem:
        console.print(
            f"[red]not graded[/]: asynclings grades each submission in a sandbox, and it "
            f"does not work on this machine: {problem}.\nTo fix: {HOW_TO_FIX}."
        )
        return 2
    except KeyboardInterrupt:
        console.print(
            "[red]interrupted[/]: every submission graded so far is saved in "
            f"{out / 'gradebook.sqlite'}; run the same command again to resume."
        )
        return 130
    write_outputs(out, run.results)
    from ..reports.html import write_report

    write_report(out / "report.html", run.results)
    _summary(console, run.results, run.graded, run.notes, time.perf_counter() - started, out)
    if lms is not None:
        roster, lms_options = lms
        for line in write_lms_exports(run.results, roster, out, lms_options).lines():
            console.print(f"[yellow]lms[/]: {escape(line)}", soft_wrap=True)
    return 0


def _summary(
    console: Console,
    results: list[SubmissionResult],
    graded: list[str],
    notes: list[str],
    seconds: float,
    out: Path,
) -> None:
    if any(r.sandbox == "none" for r in results):
        console.print(
            "[red]UNSANDBOXED[/]: submissions marked so ran without the sandbox "
            "(--no-sandbox); their code could reach this machine and each other."
        )
    table = Table(title="asynclings grade", title_justify="left")
    table.add_column("submission")
    table.add_column("points", justify="right")
    table.add_column("attention")
    for result in results:
        broken = [
            f"{e.module} {e.label}"
            for e in result.results.exercises
            if e.status in ("does not load", "hung at import")
        ]
        attention = result.reason or "; ".join(
            ([f"flagged: {_first_flag(result)}"] if result.flagged else [])
            + broken
            + result.notes[:2]
        )
        if result.sandbox == "none":
            attention = f"UNSANDBOXED. {attention}".strip()
        style = "red" if result.status != "graded" else ("yellow" if result.needs_review else "")
        table.add_row(
            result.submission, f"{result.points:g}/{result.max_points:g}", attention, style=style
        )
    console.print(table)
    if results:
        totals = [r.points for r in results]
        console.print(
            f"{len(results)} submissions ({len(graded)} graded now, "
            f"{len(results) - len(graded)} unchanged since the last run) in {seconds:.1f} s; "
            f"mean {statistics.mean(totals):.1f}, median {statistics.median(totals):g} "
            f"of {results[0].max_points:g}"
        )
    for note in notes:
        console.print(f"[yellow]note[/]: {note}")
    review = [r.submission for r in results if r.needs_review]
    if review:
        console.print(f"[yellow]needs review[/]: {', '.join(review)}")
    console.print(f"written: {out}/grades.csv, results/, feedback/, report.html, gradebook.sqlite")


def _first_flag(result: SubmissionResult) -> str:
    for exercise in result.results.exercises:
        if exercise.flags:
            return f"{exercise.module}: {exercise.flags[0]}"
    return ""
