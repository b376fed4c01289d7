"""The results model: every output (terminal table, JSON, later CSV, Gradescope, HTML)
renders from these few dataclasses, never from raw pytest output."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .rubric import RubricItem

__all__ = [
    "LEARNER_WORKFLOW",
    "ExerciseResult",
    "ItemResult",
    "ModuleProblem",
    "Results",
    "SubmissionResult",
]

LEARNER_WORKFLOW = "learner workflow"
""":attr:`SubmissionResult.sandbox` of verdicts that came from the learner's own GitHub
Actions run (``asynclings collect``): not sandboxed by the kit, and the learner controls
the workflow that produced them."""

ItemStatus = Literal["passed", "failed"]
ModuleProblem = Literal["not submitted", "not implemented", "does not load", "hung at import"]
"""Why an item failed when the cause is the module as a whole, not the item's own check:
the file is missing, a function still raises NotImplementedError, the module does not
load (unreadable, not UTF-8, a syntax error, an exception or exit at import, a name the
contract requires is missing) or its import never finishes."""
ExerciseStatus = Literal[
    "graded",
    "not submitted",
    "not implemented",
    "does not load",
    "hung at import",
    "crashed",
    "timed out",
]
"""``graded``: the items ran and decided the points. The others score 0 for one reason
of the whole module, named once (:attr:`ExerciseResult.reason`): it is missing, is the
unchanged stub, does not load, hangs at import, or its grading process died
(``crashed``) or overran its time (``timed out``)."""

STATUS_LABELS: dict[str, str] = {"not implemented": "not implemented yet"}
"""How a status reads in the outputs, where that differs from its name."""


@dataclass
class ItemResult:
    """The verdict on one rubric item."""

    name: str
    title: str
    max_points: float
    status: ItemStatus
    message: str = ""
    """Why it failed: what happened, what was expected, the likely cause."""
    details: str = ""
    """A picture for the failure: a timeline, a store trace, where tasks wait."""
    wall_seconds: float = 0.0
    problem: ModuleProblem | None = None
    """Set when the module as a whole failed the item (it does not load, say)."""

    @property
    def points(self) -> float:
        return self.max_points if self.status == "passed" else 0.0

    @classmethod
    def of(
        cls,
        rubric: RubricItem,
        status: ItemStatus,
        message: str = "",
        details: str = "",
        wall_seconds: float = 0.0,
        problem: ModuleProblem | None = None,
    ) -> ItemResult:
        """The verdict on ``rubric``: name, title and points come from the rubric."""
        return cls(
            rubric.name,
            rubric.title,
            rubric.points,
            status,
            message,
            details,
            wall_seconds,
            problem,
        )


@dataclass
class ExerciseResult:
    """The verdicts on one exercise module."""

    module: str
    title: str
    path: str | None
    status: ExerciseStatus = "graded"
    items: list[ItemResult] = field(default_factory=list)
    max_points: float = 0.0
    """The most the exercise can score: its items' points, summed by :meth:`settle`
    (the one place an exercise's max points are computed)."""
    flags: list[str] = field(default_factory=list)
    """Evidence for the instructor that the module tried to influence its grading
    (what the guard refused or put back, suspicious lines of its source)."""
    reason: str = ""
    """Why the module scores 0 as a whole (any status but ``graded``), to be shown once
    instead of under each item."""

    @property
    def points(self) -> float:
        return sum(item.points for item in self.items)

    @property
    def complete(self) -> bool:
        return bool(self.items) and all(item.status == "passed" for item in self.items)

    @property
    def not_implemented(self) -> bool:
        return self.status == "not implemented"

    @property
    def label(self) -> str:
        """The status as the outputs name it (``does not load``, ``not implemented yet``)."""
        return STATUS_LABELS.get(self.status, self.status)

    def settle(self) -> ExerciseResult:
        """Set :attr:`max_points` from the items, and :attr:`status` and :attr:`reason`
        from their verdicts: when every item failed for one problem of the whole module
        (it does not load, hangs at import, every function is a stub), the module has
        that status and the items' distinct messages, once each, as its reason. Items
        still score 0 one by one."""
        self.max_points = sum(item.max_points for item in self.items)
        if self.status != "graded" or not self.items:
            return self
        problems = {item.problem for item in self.items if item.status == "failed"}
        failed_all = all(item.status == "failed" for item in self.items)
        if failed_all and len(problems) == 1 and None not in problems:
            (problem,) = problems
            assert problem is not None
            self.status = problem
            self.reason = "\n".join(dict.fromkeys(item.message for item in self.items))
        return self


@dataclass
class Results:
    """The verdicts of one grading run, exercises in curriculum order."""

    exercises: list[ExerciseResult] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(exercise.points for exercise in self.exercises)

    @property
    def max_points(self) -> float:
        return sum(exercise.max_points for exercise in self.exercises)

    def exercise(self, module: str) -> ExerciseResult:
        for exercise in self.exercises:
            if exercise.module == module:
                return exercise
        raise KeyError(module)

    def failed(self) -> dict[str, set[str]]:
        """``{module: {failed item names}}`` for every graded exercise."""
        return {
            exercise.module: {item.name for item in exercise.items if item.status != "passed"}
            for exercise in self.exercises
        }

    def to_dict(self) -> dict[str, Any]:
        return {"exercises": [asdict(exercise) for exercise in self.exercises]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Results:
        return cls(
            exercises=[
                ExerciseResult(
                    **{k: v for k, v in exercise.items() if k != "items"},
                    items=[ItemResult(**item) for item in exercise["items"]],
                )
                for exercise in data["exercises"]
            ]
        )

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")

    @classmethod
    def read_json(cls, path: Path) -> Results:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


SubmissionStatus = Literal["graded", "rejected"]


@dataclass
class SubmissionResult:
    """One learner's submission in a batch: every exercise of the curriculum, graded,
    missing or failed, plus what the instructor should know about it."""

    submission: str
    status: SubmissionStatus
    results: Results
    reason: str = ""
    """Why the submission as a whole could not be graded (``rejected``)."""
    notes: list[str] = field(default_factory=list)
    """Facts for the instructor: ignored zip entries, duplicate modules, crashes."""
    content_hash: str = ""
    kit: str = ""
    seconds: float = 0.0
    sandbox: str = ""
    """How the submission was isolated: ``bubblewrap``, ``none`` (``--no-sandbox``) or
    :data:`LEARNER_WORKFLOW` (graded in the learner's own workflow run)."""
    data_seed: int | None = None
    """The seed its grading data was drawn from (``asynclings grade --seed`` replays it)."""
    origin: str = ""
    """Where verdicts not reached here came from: the learner's repository, commit and
    workflow run (``asynclings collect``)."""

    @property
    def points(self) -> float:
        return self.results.points

    @property
    def max_points(self) -> float:
        return self.results.max_points

    @property
    def needs_review(self) -> bool:
        return (
            self.status != "graded"
            or bool(self.notes)
            or any(e.status in ("crashed", "timed out") for e in self.results.exercises)
            or self.flagged
        )

    @property
    def flagged(self) -> bool:
        """Whether any module carries tripwire or tampering evidence."""
        return any(e.flags for e in self.results.exercises)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["results"] = self.results.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        fields = {k: v for k, v in data.items() if k != "results"}
        return cls(**fields, results=Results.from_dict(data["results"]))
