"""Rubric items: a grader's tests, each worth points, titled for the learner.

A grader module in ``graders/`` is an ordinary pytest module whose tests are decorated
with :func:`item`; the docstring's first line is the sentence the learner sees::

    @item(points=3)
    async def test_runs_concurrently(learner, world):
        \"\"\"Runs the fetches concurrently: the total time is the slowest fetch.\"\"\"

Async items run on a fresh :class:`~asynclings.harness.VirtualLoop` (through
pytest-asyncio's loop-factory hook) with a real wall-clock budget; sync items (for
contracts about real time) get the budget too.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar, cast

import pytest

from .manifest import Exercise

__all__ = [
    "CpuBudgetExceeded",
    "RubricItem",
    "item",
    "load_grader",
    "rubric_of",
    "unknown_item_ids",
]

F = TypeVar("F", bound=Callable[..., Any])

MARK = "asynclings_item"
DEFAULT_BUDGET = 5.0
"""CPU seconds an item may use in the event loop's thread. A correct solution needs
milliseconds (a 200-seed exploration about half a second); code that busy-waits blows
it. CPU time, unlike real time, does not stretch when the machine is loaded."""
DEFAULT_HORIZON = 3600.0
"""Simulated seconds after which a run counts as never finishing."""


class CpuBudgetExceeded(BaseException):
    """Raised into the code under test when an item has used up its CPU budget.

    A BaseException, like pytest's own outcomes, so that the learner's ``except
    Exception`` around a busy loop does not swallow it.
    """


@dataclass(frozen=True)
class RubricItem:
    """One rubric line: the test's name, the learner-facing title and its points."""

    name: str
    title: str
    points: float
    budget: float = DEFAULT_BUDGET
    horizon: float = DEFAULT_HORIZON

    @property
    def id(self) -> str:
        """The item's id for ``--hide`` (the test's name without ``test_``):
        ``empty_urls`` for ``test_empty_urls``."""
        return self.name.removeprefix("test_")


def item(
    points: float, *, budget: float = DEFAULT_BUDGET, horizon: float = DEFAULT_HORIZON
) -> Callable[[F], F]:
    """Make a test function a rubric item worth ``points``.

    ``budget`` is the CPU time the item may use; ``horizon`` the simulated time after
    which the code under test counts as never finishing.
    """

    def decorate(function: F) -> F:
        doc = inspect.getdoc(function)
        if not doc:
            raise TypeError(f"rubric item {function.__name__} needs a docstring: its title")
        marked = pytest.mark.asynclings_item(points=points, budget=budget, horizon=horizon)(
            function
        )
        if inspect.iscoroutinefunction(function):
            marked = pytest.mark.asyncio(marked)
        return cast(F, marked)

    return decorate


def rubric_item_of(function: Callable[..., Any]) -> RubricItem | None:
    """The rubric item a test function declares, if any."""
    for mark in getattr(function, "pytestmark", []):
        if mark.name == MARK:
            doc = inspect.getdoc(function) or function.__name__
            return RubricItem(
                name=function.__name__,
                title=doc.splitlines()[0],
                points=mark.kwargs["points"],
                budget=mark.kwargs.get("budget", DEFAULT_BUDGET),
                horizon=mark.kwargs.get("horizon", DEFAULT_HORIZON),
            )
    return None


def load_grader(exercise: Exercise) -> ModuleType:
    """Import the grader module of ``exercise`` (once per process)."""
    return _load_grader_file(exercise.grader)


@cache
def _load_grader_file(path: Path) -> ModuleType:
    name = f"asynclings_graders.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load grader {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def rubric_of(exercise: Exercise) -> list[RubricItem]:
    """The rubric of ``exercise`` in grader order, read from its grader module."""
    module = load_grader(exercise)
    items = []
    for name, function in vars(module).items():
        if name.startswith("test") and callable(function):
            rubric_item = rubric_item_of(function)
            if rubric_item is not None:
                items.append(rubric_item)
    return items


def unknown_item_ids(ids: Iterable[str], chosen: Iterable[Exercise]) -> list[str]:
    """What is wrong with ``ids`` (``--hide``'s values) for the ``chosen`` exercises: one
    sentence per id that names no rubric item of theirs, with the closest valid id."""
    import difflib

    from .manifest import exercises

    chosen = list(chosen)
    valid = {name for e in chosen for i in rubric_of(e) for name in (i.id, i.name)}
    problems = []
    for name in dict.fromkeys(ids):
        if name == "all" or name in valid:
            continue
        elsewhere = [
            e.module
            for e in exercises()
            if e not in chosen and any(name in (i.id, i.name) for i in rubric_of(e))
        ]
        if elsewhere:
            problems.append(
                f"{name!r} is an item of {', '.join(elsewhere)}, which --exercises leaves out"
            )
            continue
        ids_only = sorted({i.id for e in chosen for i in rubric_of(e)})
        close = difflib.get_close_matches(name.removeprefix("test_"), ids_only, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        scope = (
            "any exercise"
            if len(chosen) == len(exercises())
            else ", ".join(e.module for e in chosen)
        )
        problems.append(f"{name!r} is not the id of a rubric item of {scope}{hint}")
    return problems
