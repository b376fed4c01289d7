"""Terminal output of the self-study commands: rich on a terminal, plain text (no colour,
no progress bar, no box drawing) when piped."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress_bar import ProgressBar
from rich.table import Table

from ..study import Progress, Status, next_exercise, summary

__all__ = ["show_check", "show_exercise", "show_failures", "show_list"]

STYLE = {
    "complete": "green",
    "in progress": "yellow",
    "not started": "dim",
    "missing": "red",
    "error": "red",
    "does not load": "red",
    "hung at import": "red",
}
BROKEN = ("missing", "error", "does not load", "hung at import")
"""States whose note says why the exercise scores nothing."""


def _points(status: Status) -> str:
    if status.state in (*BROKEN, "not started"):
        return f"0/{status.max_points:g}"
    return f"{status.points:g}/{status.max_points:g}"


def show_check(
    console: Console,
    folder: Path,
    statuses: list[Status],
    progress: Progress,
    new: list[str],
) -> None:
    for warning in progress.warnings:
        console.print(f"warning: {warning}", style="yellow")
    totals = summary(statuses)
    if console.is_terminal:
        table = Table(title=f"asynclings check: {folder}", title_justify="left")
        for column, justify in (
            ("exercise", "left"),
            ("topic", "left"),
            ("points", "right"),
            ("status", "left"),
            ("checkpoint", "left"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for status in statuses:
            module = status.exercise.module
            table.add_row(
                module,
                status.exercise.topic,
                _points(status),
                f"[{STYLE[status.state]}]{status.state}[/]",
                progress.checkpoints.get(module, ""),
            )
        console.print(table)
        bar = ProgressBar(total=totals["max"] or 1, completed=totals["earned"], width=40)
        console.print(bar)
    else:
        width = max(len(s.exercise.module) for s in statuses)
        console.print(f"asynclings check: {folder}")
        console.print(f"{'exercise':<{width}}  {'points':>6}  {'status':<14}  checkpoint")
        for status in statuses:
            module = status.exercise.module
            console.print(
                f"{module:<{width}}  {_points(status):>6}  {status.state:<14}  "
                f"{progress.checkpoints.get(module, '')}".rstrip()
            )
    console.print(
        f"progress: {totals['earned']:g}/{totals['max']:g} points, "
        f"{totals['done']}/{totals['count']} exercises complete"
    )
    for status in statuses:
        if status.note:
            console.print(f"{status.exercise.module}: {status.note}", style="red")
    for module in new:
        console.print(f"checkpoint: {module} reached full marks", style="green")
    upcoming = next_exercise(statuses)
    if upcoming is None:
        console.print("All exercises complete: well done!", style="bold green")
    else:
        module = upcoming.exercise.module
        console.print(
            f"next: {module} ({upcoming.exercise.title}). Save it under `asynclings watch` "
            f"to see each item's verdict; stuck? `asynclings hint {module.split('_')[0]}`"
        )


def show_failures(console: Console, status: Status) -> None:
    """One exercise's verdicts: the failing items with their messages."""
    module = status.exercise.module
    if status.state in BROKEN:
        label = f" {status.state}" if status.state in ("does not load", "hung at import") else ""
        console.print(f"{module}{label}: {status.note}", style="red", highlight=False, markup=False)
        return
    if status.state == "not started":
        console.print(f"{module}: not started (the stubs are unchanged)")
        return
    result = status.result
    assert result is not None
    for item in result.items:
        if item.status == "passed":
            continue
        console.print(f"FAIL 0/{item.max_points:g}  {item.title}", style="red")
        for line in item.message.splitlines():
            console.print(f"      {line}", highlight=False, markup=False)
        if item.details:
            for line in item.details.splitlines():
                console.print(f"      {line}", highlight=False, markup=False)
    console.print(f"{module}: {status.points:g}/{status.max_points:g} points")


def show_exercise(
    console: Console, folder: Path, status: Status, progress: Progress, new: bool
) -> None:
    """``asynclings check EXERCISE``: every rubric item's verdict, then what to do next."""
    from ..rubric import rubric_of

    for warning in progress.warnings:
        console.print(f"warning: {warning}", style="yellow")
    exercise = status.exercise
    module = exercise.module
    console.print(f"asynclings check: {folder / (module + '.py')}")
    if status.state in ("missing", "error"):
        console.print(f"{module}: {status.note}", style="red")
    elif status.state == "not started" and status.result is None:
        console.print(
            f"{module}: not started (the file is still the stub). Its rubric items, "
            f"{status.max_points:g} points:"
        )
        for rubric_item in rubric_of(exercise):
            console.print(f"  -    0/{rubric_item.points:g}  {rubric_item.title}", markup=False)
    else:
        assert status.result is not None
        for item in status.result.items:
            passed = item.status == "passed"
            console.print(
                f"{'PASS' if passed else 'FAIL'} {item.points:>3g}/{item.max_points:g}  "
                f"{item.title}",
                style="green" if passed else "red",
                markup=False,
            )
            if not passed:
                for line in [*item.message.splitlines(), *item.details.splitlines()]:
                    console.print(f"      {line}", highlight=False, markup=False)
    console.print(f"{module}: {_points(status)} points, {status.state}")
    if new:
        console.print(f"checkpoint: {module} reached full marks", style="green")
    if status.state == "complete":
        from ..manifest import exercises

        upcoming = next((e for e in exercises() if e.module not in progress.checkpoints), None)
        if upcoming is None:
            console.print("All exercises complete: well done!", style="bold green")
        else:
            console.print(
                f"next: {upcoming.module} ({upcoming.title}): "
                f"`asynclings check {upcoming.module.split('_')[0]}`"
            )
    else:
        console.print(f"stuck? `asynclings hint {module.split('_')[0]}`")


def show_list(
    console: Console, rows: list[tuple[str, str, str, float]], progress: Progress | None
) -> None:
    """The curriculum; with a progress file, each exercise's status at the last check."""
    width = max(len(row[0]) for row in rows)
    for module, title, topic, points in rows:
        line = f"{module:<{width}}  {points:>3g} pts  {title} ({topic})"
        if progress is not None:
            if module in progress.checkpoints:
                state = "complete"
            elif progress.best.get(module):
                state = f"in progress, best {progress.best[module]:g}"
            else:
                state = "not started"
            line += f"  [{STYLE.get(state, 'yellow')}]{state}[/]"
        console.print(line, highlight=False)
    if progress is not None:
        console.print("(status as of your last `asynclings check` or `watch`)", style="dim")
