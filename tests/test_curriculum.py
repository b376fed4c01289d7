"""Every grader against known code: the references get full marks, the stubs fail every
item with "not implemented yet", each mutant loses exactly the items it violates, and
each alternative correct idiom gets full marks."""

from __future__ import annotations

from pathlib import Path

import pytest

from asynclings.manifest import exercises
from asynclings.rubric import rubric_of
from support import IDIOMS, MUTANTS, cases, expected_losses, grade_file

MODULES = [exercise.module for exercise in exercises()]


def _summary(result) -> str:
    return "\n".join(
        f"  {item.status:6} {item.name}: {item.message.splitlines()[0] if item.message else ''}"
        for item in result.items
    )


@pytest.mark.parametrize("module", MODULES)
def test_reference_solution_gets_full_marks(module, workdir):
    exercise = next(e for e in exercises() if e.module == module)
    result = grade_file(exercise.solution, module, workdir)
    assert result.items, "the grader collected no rubric items"
    assert result.points == result.max_points, _summary(result)


@pytest.mark.parametrize("module", MODULES)
def test_stub_fails_every_item_as_not_implemented(module, workdir):
    exercise = next(e for e in exercises() if e.module == module)
    result = grade_file(exercise.stub, module, workdir)
    assert result.points == 0
    for item in result.items:
        assert item.message.startswith("not implemented yet"), _summary(result)
        assert "Traceback" not in item.message


@pytest.mark.parametrize("module", MODULES)
def test_rubric_is_worth_ten_points_with_titled_items(module):
    exercise = next(e for e in exercises() if e.module == module)
    rubric = rubric_of(exercise)
    assert sum(item.points for item in rubric) == 10
    assert all(item.title.endswith(".") and len(item.title) < 110 for item in rubric)


@pytest.mark.parametrize(
    ("module", "mutant"), cases(MUTANTS), ids=lambda v: v.stem if isinstance(v, Path) else v
)
def test_mutant_loses_exactly_the_items_it_violates(module, mutant, workdir):
    result = grade_file(mutant, module, workdir)
    lost = {item.name for item in result.items if item.status != "passed"}
    assert lost == expected_losses(mutant), _summary(result)


@pytest.mark.parametrize(
    ("module", "idiom"), cases(IDIOMS), ids=lambda v: v.stem if isinstance(v, Path) else v
)
def test_alternative_idiom_gets_full_marks(module, idiom, workdir):
    result = grade_file(idiom, module, workdir)
    assert result.points == result.max_points, _summary(result)


@pytest.mark.parametrize("module", MODULES)
def test_each_exercise_has_enough_mutants_and_idioms(module):
    assert len(list((MUTANTS / module).glob("*.py"))) >= 5
    assert len(list((IDIOMS / module).glob("*.py"))) >= 2
