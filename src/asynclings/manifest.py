"""The exercise manifest: one ordered list that drives the plugin, the CLI and exports.

The manifest lives in ``curriculum.toml`` beside the content folders (``exercises/``,
``solutions/``, ``graders/``). In a source checkout they sit at the repository root; in
an installed wheel they are shipped inside the package as ``asynclings/_content``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["Exercise", "content_root", "exercise", "exercises"]


@dataclass(frozen=True)
class Exercise:
    """One exercise of the curriculum."""

    module: str
    """Module name, e.g. ``ex02_gather``: the file name in exercises/, solutions/, graders/."""
    title: str
    topic: str
    hints: tuple[str, ...]

    @property
    def stub(self) -> Path:
        return content_root() / "exercises" / f"{self.module}.py"

    @property
    def solution(self) -> Path:
        return content_root() / "solutions" / f"{self.module}.py"

    @property
    def grader(self) -> Path:
        return content_root() / "graders" / f"{self.module}.py"


@cache
def content_root() -> Path:
    """The folder holding ``curriculum.toml`` and the content folders."""
    packaged = Path(__file__).parent / "_content"
    if (packaged / "curriculum.toml").is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "curriculum.toml").is_file():
        return checkout
    raise FileNotFoundError(
        "asynclings cannot find curriculum.toml: neither the installed package nor the "
        f"source checkout ({checkout}) holds it"
    )


@cache
def exercises() -> tuple[Exercise, ...]:
    """Every exercise, in curriculum order."""
    with (content_root() / "curriculum.toml").open("rb") as file:
        data = tomllib.load(file)
    return tuple(
        Exercise(
            module=entry["module"],
            title=entry["title"],
            topic=entry["topic"],
            hints=tuple(entry.get("hints", ())),
        )
        for entry in data["exercise"]
    )


def exercise(module: str) -> Exercise:
    """The exercise whose module is ``module`` (``KeyError`` if there is none)."""
    for candidate in exercises():
        if candidate.module == module:
            return candidate
    raise KeyError(module)
