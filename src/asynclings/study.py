"""Self-study: a working folder of exercises, its progress and checkpoints.

``asynclings init DIR`` copies the stubs, a README and a ``pytest.ini`` (so that
``pytest`` there grades) into DIR; ``check`` grades the
folder and shows where the learner stands; ``watch`` re-grades the exercise being
worked on at every save; ``hint`` and ``list`` read the manifest. Progress lives in
``DIR/.asynclings-progress.json``: the first time each exercise reached full marks (its
checkpoint) and its best score. A corrupted progress file is kept aside under another
name and rebuilt, with a warning: nothing is lost.

Grading runs in a separate process (:func:`asynclings.run.grade_isolated`), so an
exercise that hangs or spins costs a message, never the session.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .manifest import Exercise, exercises
from .results import ExerciseResult, Results
from .run import grade_isolated

__all__ = ["Progress", "Status", "Workspace", "find_workspace"]

STATE_FILE = ".asynclings-progress.json"
GRADING_TIMEOUT = 120.0

LEARNER_README = """\
# asyncio exercises

Ten exercises, one file each, from your first coroutine to two locks without deadlock.
Each file's docstring teaches the pattern and states the contract; replace the stubs
(`raise NotImplementedError`) with your code.

    asynclings check        where you stand: points per exercise, the next one to do
    asynclings check ex02   grades ex02_gather.py alone: every rubric item's verdict
    asynclings watch        re-grades the exercise you work on each time you save it
    asynclings hint ex02    stuck? hints, gentlest first (--level N for one)
    asynclings list         the curriculum

Run them in this folder (or pass it: `asynclings check path/to/folder`). Your progress
and checkpoints are kept in `.asynclings-progress.json`.

pytest grades here too, with the settings in `pytest.ini`: `pytest ex02_gather.py`
grades one exercise, `pytest` all ten.
"""

PYTEST_INI = """\
# Written by `asynclings init`: `pytest` in this folder grades the exercise files in it
# (`pytest ex02_gather.py` one of them) with the asynclings graders.
[pytest]
asynclings_dirs = .
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
asyncio_default_test_loop_scope = function
timeout = 120
"""


@dataclass
class Status:
    """Where one exercise stands."""

    exercise: Exercise
    state: str
    """``complete``, ``in progress``, ``not started``, ``missing``, ``error`` (grading
    failed), ``does not load`` or ``hung at import`` (the note says why)."""
    points: float = 0.0
    max_points: float = 0.0
    result: ExerciseResult | None = None
    note: str = ""


@dataclass
class Progress:
    """The progress file: checkpoints (first full marks) and best scores."""

    checkpoints: dict[str, str] = field(default_factory=dict)
    best: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def record(self, status: Status, now: str) -> bool:
        """Note ``status``; ``True`` if it is a new checkpoint."""
        module = status.exercise.module
        if status.state in ("complete", "in progress"):
            self.best[module] = max(self.best.get(module, 0.0), status.points)
        if status.state == "complete" and module not in self.checkpoints:
            self.checkpoints[module] = now
            return True
        return False


class Workspace:
    """A folder of exercise modules being worked on."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def state_path(self) -> Path:
        return self.folder / STATE_FILE

    def path(self, exercise: Exercise) -> Path:
        return self.folder / f"{exercise.module}.py"

    # Setting up

    def init(self, *, force: bool = False) -> tuple[list[Path], list[Path]]:
        """Copy the stubs (and the README) in; ``(written, kept)``: existing files are
        kept unless ``force``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        written, kept = [], []
        for exercise in exercises():
            target = self.path(exercise)
            if target.exists() and not force:
                kept.append(target)
                continue
            shutil.copyfile(exercise.stub, target)
            written.append(target)
        config = self.folder / "pytest.ini"
        if config.exists() and not force:
            kept.append(config)
        else:
            config.write_text(PYTEST_INI, encoding="utf-8")
            written.append(config)
        readme = self.folder / "README.md"
        if not readme.exists():
            readme.write_text(LEARNER_README, encoding="utf-8")
            written.append(readme)
        if not self.state_path.exists():
            self.save(Progress())
        return written, kept

    # Progress file

    def load(self) -> Progress:
        path = self.state_path
        if not path.exists():
            return Progress()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("version") != 1:
                raise ValueError("not an asynclings progress file")
            checkpoints, best = data["checkpoints"], data.get("best", {})
            if not isinstance(checkpoints, dict) or not isinstance(best, dict):
                raise ValueError("checkpoints and best scores must be tables")
            return Progress(
                {str(k): str(v) for k, v in checkpoints.items()},
                {str(k): float(v) for k, v in best.items()},
            )
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            kept = path.with_name(f"{path.name}.corrupt-{stamp}")
            number = 1
            while kept.exists():  # never over an earlier copy
                number += 1
                kept = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
            path.replace(kept)
            return Progress(
                warnings=[
                    f"the progress file {path.name} could not be read ({error}); it was kept "
                    f"as {kept.name} and progress is rebuilt from your exercise files"
                ]
            )

    def save(self, progress: Progress) -> None:
        data = {"version": 1, "checkpoints": progress.checkpoints, "best": progress.best}
        partial = self.state_path.with_suffix(".partial")
        partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        partial.replace(self.state_path)

    # Grading

    def statuses(self, chosen: Iterable[Exercise] | None = None) -> list[Status]:
        """Grade the chosen exercises (default: all) and say where each stands."""
        chosen = list(chosen or exercises())
        statuses: dict[str, Status] = {}
        to_grade = []
        for exercise in chosen:
            path = self.path(exercise)
            if not path.is_file():
                statuses[exercise.module] = Status(
                    exercise, "missing", note=self._missing(exercise)
                )
            elif path.read_bytes() == exercise.stub.read_bytes():
                statuses[exercise.module] = Status(exercise, "not started")
            else:
                to_grade.append(exercise)
        if to_grade:
            outcome = grade_isolated([self.path(e) for e in to_grade], timeout=GRADING_TIMEOUT)
            for exercise in to_grade:
                if isinstance(outcome, str) and len(to_grade) > 1:
                    # One module hangs or crashes the run: grade each alone, so that
                    # only the culprit shows the problem.
                    alone = grade_isolated([self.path(exercise)], timeout=GRADING_TIMEOUT)
                    statuses[exercise.module] = _status(exercise, alone)
                else:
                    statuses[exercise.module] = _status(exercise, outcome)
        for status in statuses.values():
            if status.max_points == 0:
                from .rubric import rubric_of

                status.max_points = sum(item.points for item in rubric_of(status.exercise))
        return [statuses[e.module] for e in chosen]

    def _missing(self, exercise: Exercise) -> str:
        prefix = exercise.module.split("_", 1)[0]
        lookalikes = sorted(
            p.name for p in self.folder.glob(f"{prefix}*.py") if p.name != f"{exercise.module}.py"
        )
        message = f"{exercise.module}.py is missing from {self.folder}"
        if lookalikes:
            return (
                f"{message}; found {', '.join(lookalikes)}: the graders only read "
                f"{exercise.module}.py, so rename it back"
            )
        return f"{message}: restore the stub with `asynclings init {self.folder}`"

    def check(
        self,
        now: Callable[[], str] | None = None,
        chosen: Iterable[Exercise] | None = None,
    ) -> tuple[list[Status], Progress, list[str]]:
        """Grade the chosen exercises (default: all), update the progress file;
        ``(statuses, progress, new checkpoints)``."""
        stamp = now or (lambda: time.strftime("%Y-%m-%d %H:%M:%S"))
        progress = self.load()
        statuses = self.statuses(chosen)
        new = [s.exercise.module for s in statuses if progress.record(s, stamp())]
        self.save(progress)
        return statuses, progress, new


def _status(exercise: Exercise, outcome: Results | str) -> Status:
    if isinstance(outcome, str):
        return Status(exercise, "error", note=outcome)
    try:
        result = outcome.exercise(exercise.module)
    except KeyError:
        return Status(exercise, "error", note="grading produced no verdicts for this exercise")
    if result.status in ("does not load", "hung at import"):
        note = "; ".join(result.reason.splitlines())
        return Status(exercise, result.status, 0.0, result.max_points, result, note=note)
    if result.not_implemented:
        state = "not started"
    elif result.complete:
        state = "complete"
    else:
        state = "in progress"
    return Status(exercise, state, result.points, result.max_points, result)


def next_exercise(statuses: list[Status]) -> Status | None:
    """The first exercise, in curriculum order, that is not complete."""
    return next((s for s in statuses if s.state != "complete"), None)


def find_workspace(folder: Path | None) -> Workspace:
    """``folder``, or the working folder of the current directory: ``.`` if it holds
    exercise modules or a progress file, else ``./exercises`` if that does."""
    if folder is not None:
        return Workspace(folder)
    here = Path.cwd()
    for candidate in (here, here / "exercises"):
        names = {f"{e.module}.py" for e in exercises()}
        if (candidate / STATE_FILE).exists() or any((candidate / n).exists() for n in names):
            return Workspace(candidate)
    return Workspace(here)


def summary(statuses: list[Status]) -> dict[str, Any]:
    earned = sum(s.points for s in statuses)
    most = sum(s.max_points for s in statuses)
    done = sum(1 for s in statuses if s.state == "complete")
    return {"earned": earned, "max": most, "done": done, "count": len(statuses)}
