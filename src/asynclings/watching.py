"""``asynclings watch``: re-grade the exercise being worked on at every save.

It starts with the first exercise that is not complete, grades it and shows its failing
items. Each time an exercise file is saved, that exercise becomes the current one and
is graded again. When it reaches full marks its checkpoint is recorded and the next
exercise becomes current. When all are complete, it says so and stops. File events come
from watchfiles (inotify on Linux), debounced so that an editor's burst of writes
grades once.
"""

from __future__ import annotations

import threading
import time

from rich.console import Console

from .manifest import Exercise, exercises
from .reports.study import show_failures
from .study import Status, Workspace, next_exercise

__all__ = ["watch_workspace"]


def _grade(workspace: Workspace, exercise: Exercise, console: Console) -> Status:
    console.print(f"grading {exercise.module} ...", style="dim")
    status = workspace.statuses([exercise])[0]
    progress = workspace.load()
    for warning in progress.warnings:
        console.print(f"warning: {warning}", style="yellow")
    new = progress.record(status, time.strftime("%Y-%m-%d %H:%M:%S"))
    workspace.save(progress)
    if status.state == "complete":
        message = f"{exercise.module} complete: {status.points:g}/{status.max_points:g}"
        console.print(message + (" (checkpoint recorded)" if new else ""), style="bold green")
    else:
        show_failures(console, status)
    return status


def watch_workspace(
    workspace: Workspace, console: Console, *, stop: threading.Event | None = None
) -> int:
    """Watch until every exercise is complete (0) or until stopped (130 on Ctrl-C)."""
    from watchfiles import Change, watch

    by_name = {f"{e.module}.py": e for e in exercises()}
    statuses = workspace.statuses()
    current = next_exercise(statuses)
    if current is None:
        console.print("All exercises complete: well done!", style="bold green")
        return 0
    console.print(
        f"watching {workspace.folder}: save an exercise file to grade it again (Ctrl-C to stop)"
    )
    exercise = current.exercise
    console.print(f"current exercise: {exercise.module} ({exercise.title})", style="bold")
    status = _grade(workspace, exercise, console)
    try:
        for changes in watch(
            workspace.folder, debounce=300, step=50, stop_event=stop, raise_interrupt=True
        ):
            saved = [
                by_name[path.rsplit("/", 1)[-1]]
                for change, path in changes
                if change != Change.deleted and path.rsplit("/", 1)[-1] in by_name
            ]
            if not saved:
                continue
            exercise = saved[-1]
            status = _grade(workspace, exercise, console)
            while status.state == "complete":
                upcoming = next_exercise(workspace.statuses())
                if upcoming is None:
                    console.print("All exercises complete: well done!", style="bold green")
                    return 0
                exercise = upcoming.exercise
                console.print(f"next exercise: {exercise.module} ({exercise.title})", style="bold")
                status = _grade(workspace, exercise, console)
    except KeyboardInterrupt:
        console.print("stopped")
        return 130
    return 0
