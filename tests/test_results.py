"""The results model computes its own facts: an exercise's max points."""

from __future__ import annotations

from asynclings.manifest import exercise
from asynclings.results import ExerciseResult, ItemResult
from asynclings.rubric import rubric_of


def test_settle_sums_the_items_points_into_max_points_whatever_the_verdicts():
    rubric = rubric_of(exercise("ex02_gather"))
    items = [ItemResult.of(item, "passed" if n % 2 else "failed") for n, item in enumerate(rubric)]
    result = ExerciseResult("ex02_gather", "title", "ex02_gather.py", items=items)
    assert result.max_points == 0.0  # not settled yet
    assert result.settle().max_points == sum(item.points for item in rubric) == 10
    assert result.points == sum(item.points for n, item in enumerate(rubric) if n % 2)


def test_settle_sets_max_points_of_a_module_that_scores_0_as_a_whole():
    rubric = rubric_of(exercise("ex02_gather"))
    items = [ItemResult.of(item, "failed", "x", problem="does not load") for item in rubric]
    result = ExerciseResult("ex02_gather", "title", None, items=items).settle()
    assert (result.status, result.points, result.max_points) == ("does not load", 0, 10)
    missing = ExerciseResult("ex02_gather", "t", None, "not submitted", items=items).settle()
    assert (missing.status, missing.max_points) == ("not submitted", 10)
