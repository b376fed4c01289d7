"""The sample class in examples/submissions, graded by the README's main command.

Each learner's expected points follow from what they submitted (examples/README.md):
a reference solution or a correct idiom scores 10, a mutant loses the items of its
``# loses:`` line, an unchanged stub, a missing module and a broken module score 0.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from asynclings.cli import main
from asynclings.manifest import exercises
from support import ROOT

SUBMISSIONS = ROOT / "examples" / "submissions"

# Per learner, the points of ex01 ... ex10, as listed in examples/README.md.
EXPECTED = {
    "alice": [10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
    "bob": [10, 10, 10, 10, 7, 8, 0, 0, 0, 0],
    "carol": [10, 10, 9, 8, 7, 10, 0, 9, 0, 0],
    "dave": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    "erin": [5, 7, 8, 8, 8, 9, 8, 8, 6, 5],
    "frank": [10, 10, 0, 10, 10, 10, 0, 0, 0, 0],
    "grace": [10, 10, 10, 0, 10, 10, 10, 10, 10, 10],
    "heidi": [10, 7, 10, 10, 10, 10, 0, 10, 10, 9],
    "ivan": [7, 7, 0, 0, 0, 0, 0, 0, 0, 0],
    "judy": [10, 10, 10, 10, 10, 9, 9, 10, 8, 10],
}
TOTALS = {
    "alice": 100,
    "bob": 55,
    "carol": 63,
    "dave": 0,
    "erin": 72,
    "frank": 50,
    "grace": 90,
    "heidi": 86,
    "ivan": 14,
    "judy": 96,
}
MODULES = [e.module for e in exercises()]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``asynclings grade examples/submissions --out OUT``, with a short timeout: the
    hanging learner is then graded module by module, the slow path."""
    out = tmp_path_factory.mktemp("grades")
    result = CliRunner().invoke(
        main, ["grade", str(SUBMISSIONS), "--out", str(out), "--timeout", "8"]
    )
    assert result.exit_code == 0, result.output
    return out


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open(encoding="utf-8", newline="") as file:
        return {row["submission"]: row for row in csv.DictReader(file)}


def _feedback(out: Path, learner: str) -> str:
    return (out / "feedback" / f"{learner}.md").read_text(encoding="utf-8")


def _items(out: Path, learner: str, module: str) -> list[dict]:
    tests = json.loads((out / "results" / f"{learner}.json").read_text(encoding="utf-8"))["tests"]
    return [t for t in tests if t["name"].startswith(f"{module}: ")]


def test_the_expected_totals_add_up():
    assert {learner: sum(points) for learner, points in EXPECTED.items()} == TOTALS


@pytest.mark.slow
def test_every_learner_gets_the_expected_points(graded):
    rows = _rows(graded)
    assert sorted(rows) == sorted(EXPECTED)
    got = {learner: [int(row[m]) for m in MODULES] for learner, row in rows.items()}
    assert got == EXPECTED
    assert {learner: int(row["total"]) for learner, row in rows.items()} == TOTALS


@pytest.mark.slow
def test_every_output_is_written(graded):
    for learner in EXPECTED:
        assert (graded / "results" / f"{learner}.json").is_file()
        assert (graded / "feedback" / f"{learner}.md").is_file()
        score = json.loads((graded / "results" / f"{learner}.json").read_text())["score"]
        assert score == TOTALS[learner]
    assert (graded / "report.html").stat().st_size > 0
    assert (graded / "gradebook.sqlite").stat().st_size > 0


@pytest.mark.slow
def test_the_strong_learner_has_nothing_to_fix(graded):
    feedback = _feedback(graded, "alice")
    assert "**Score: 100/100**" in feedback
    assert "❌" not in feedback


@pytest.mark.slow
def test_unchanged_stubs_are_not_implemented_yet(graded):
    feedback = _feedback(graded, "dave")
    assert "**Score: 0/100**" in feedback
    assert feedback.count("not implemented yet") == len(MODULES)
    assert "not implemented yet" in _feedback(graded, "ivan")
    assert "not implemented yet" in _feedback(graded, "carol")


@pytest.mark.slow
def test_missing_modules_are_not_submitted(graded):
    feedback = _feedback(graded, "bob")
    for module in MODULES[6:]:
        assert f"| {module} | 0/10 | not submitted |" in feedback
    for module in MODULES[:6]:
        assert f"| {module} | 0/10 | not submitted |" not in feedback


def _summary(out: Path, learner: str) -> str:
    return json.loads((out / "results" / f"{learner}.json").read_text(encoding="utf-8"))["output"]


@pytest.mark.slow
def test_a_syntax_error_costs_only_its_module_and_says_why_once(graded):
    items = _items(graded, "frank", "ex03_as_completed")
    assert items and all(i["score"] == 0 for i in items)
    assert all("`ex03_as_completed` does not load" in i["output"] for i in items)
    assert _summary(graded, "frank").count("does not compile") == 1
    feedback = _feedback(graded, "frank")
    assert feedback.count("does not compile") == 1
    assert "| ex03_as_completed | 0/10 | does not load |" in feedback


@pytest.mark.slow
def test_a_module_that_hangs_at_import_costs_only_its_own_points(graded):
    items = _items(graded, "grace", "ex04_wait")
    assert items and all(i["score"] == 0 for i in items)
    # "importing ex04_wait.py did not finish within 5 s" (hung at import) or, if the
    # process's --timeout stops it first, "grading did not finish within 8 s" (timed out).
    assert _summary(graded, "grace").count("did not finish within") == 1
    assert _feedback(graded, "grace").count("did not finish within") == 1
    row = _rows(graded)["grace"]
    assert all(row[m] == "10" for m in MODULES if m != "ex04_wait")


@pytest.mark.slow
def test_a_module_that_exits_the_interpreter_costs_only_its_own_points(graded):
    items = _items(graded, "heidi", "ex07_timeouts")
    assert items and all(i["score"] == 0 for i in items)
    assert "ended without results" in _summary(graded, "heidi")
    assert "**crashed**" in _feedback(graded, "heidi")
    row = _rows(graded)["heidi"]
    others = {m: int(row[m]) for m in MODULES if m != "ex07_timeouts"}
    assert others == {
        m: p for m, p in zip(MODULES, EXPECTED["heidi"], strict=True) if m != "ex07_timeouts"
    }
    assert sum(others.values()) == TOTALS["heidi"]
