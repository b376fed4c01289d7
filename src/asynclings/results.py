"""The results model: every output (terminal table, JSON, later CSV, Gradescope, HTML)
renders from these few dataclasses, never from raw pytest output."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["ExerciseResult", "ItemResult", "Results"]

ItemStatus = Literal["passed", "failed"]
ExerciseStatus = Literal["graded", "not submitted"]


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

    @property
    def points(self) -> float:
        return self.max_points if self.status == "passed" else 0.0


@dataclass
class ExerciseResult:
    """The verdicts on one exercise module."""

    module: str
    title: str
    path: str | None
    status: ExerciseStatus = "graded"
    items: list[ItemResult] = field(default_factory=list)
    max_points: float = 0.0

    @property
    def points(self) -> float:
        return sum(item.points for item in self.items)

    @property
    def complete(self) -> bool:
        return bool(self.items) and all(item.status == "passed" for item in self.items)

    @property
    def not_implemented(self) -> bool:
        return bool(self.items) and all(
            item.message.startswith("not implemented yet") for item in self.items
        )


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
