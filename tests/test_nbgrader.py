"""nbgrader delivery, end to end with the real nbgrader command line.

The exercise is generated as an nbgrader source assignment, released with
``nbgrader generate_assignment``, answered by six learners (correct, sequential, wrong
order, hanging, blocking with ``time.sleep``, a syntax error), graded with ``nbgrader
autograde``, exported and given feedback. Every item's score must equal what
``asynclings grade`` gives the same code as a ``.py`` module, and the feedback must not
show the hidden item's code.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asynclings.grading.batch import BatchOptions, grade_batch
from asynclings.grading.worker import Limits
from asynclings.integrations.nbgrader import docstring_markdown, exercise_notebook, write_assignment
from asynclings.integrations.notebook import ANSWER_MARKER, _without_placeholders, answer_source
from asynclings.manifest import exercise
from support import MUTANTS

nbformat = pytest.importorskip("nbformat", reason="nbgrader is a dev dependency")
MODULE = "ex02_gather"
HIDDEN = "test_empty_urls"
ANSWERS = {
    "correct": exercise(MODULE).solution.read_text(encoding="utf-8"),
    "sequential": (MUTANTS / MODULE / "sequential.py").read_text(encoding="utf-8"),
    "wrongorder": (MUTANTS / MODULE / "completion_order.py").read_text(encoding="utf-8"),
    "hanging": (
        "import asyncio\n\n\nasync def fetch_all(urls, fetch):\n"
        "    await asyncio.Event().wait()  # nothing ever sets it\n\n\n"
        "async def fetch_all_settled(urls, fetch):\n"
        "    return list(await asyncio.gather(*(fetch(u) for u in urls), "
        "return_exceptions=True))\n"
    ),
    "blocking": (
        "import asyncio\nimport time\n\n\nasync def fetch_all(urls, fetch):\n"
        "    time.sleep(100)\n    return []\n\n\n"
        "async def fetch_all_settled(urls, fetch):\n"
        "    return list(await asyncio.gather(*(fetch(u) for u in urls), "
        "return_exceptions=True))\n"
    ),
    "syntaxerror": "async def fetch_all(urls, fetch)\n    return []\n",
}


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    completed = subprocess.run(
        [str(Path(bin_dir) / "nbgrader"), *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    if shutil.which("nbgrader", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("nbgrader is not installed: pip install -e '.[dev]'")
    root = tmp_path_factory.mktemp("course")
    write_assignment(root, "asyncio", [MODULE], hidden=[HIDDEN])
    _nbgrader(root, "generate_assignment", "asyncio", "--force")
    released = json.loads((root / "release" / "asyncio" / f"{MODULE}.ipynb").read_text())
    for learner, code in ANSWERS.items():
        notebook = json.loads(json.dumps(released))
        for cell in notebook["cells"]:
            if cell["metadata"].get("nbgrader", {}).get("solution"):
                # What a learner does: write the answer under the cell's first line.
                first = "".join(cell["source"]).splitlines()[0]
                cell["source"] = (
                    f"{first}\n{code.replace('from __future__ import annotations', '')}"
                )
        folder = root / "submitted" / learner / "asyncio"
        folder.mkdir(parents=True)
        (folder / f"{MODULE}.ipynb").write_text(json.dumps(notebook))
    _nbgrader(root, "autograde", "asyncio", "--create")
    _nbgrader(root, "export")
    _nbgrader(root, "generate_feedback", "asyncio")
    return root


def _nbgrader_items(course: Path) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for learner in ANSWERS:
            notebook = gradebook.find_submission_notebook(MODULE, "asyncio", learner)
            scores[learner] = {
                grade.cell.name.split("__", 1)[1]: grade.score
                for grade in notebook.grades
                if grade.cell.name.startswith(f"{MODULE}__test_")
            }
    return scores


def _batch_items(tmp_path: Path) -> dict[str, dict[str, float]]:
    submissions = tmp_path / "modules"
    for learner, code in ANSWERS.items():
        (submissions / learner).mkdir(parents=True)
        (submissions / learner / f"{MODULE}.py").write_text(code)
    run = grade_batch(
        submissions,
        tmp_path / "gradebook.sqlite",
        BatchOptions(jobs=3, limits=Limits(timeout=30)),
    )
    return {
        result.submission: {i.name: i.points for i in result.results.exercise(MODULE).items}
        for result in run.results
    }


def test_source_notebook_has_the_rubric_as_locked_graded_cells():
    notebook = exercise_notebook(exercise(MODULE), {HIDDEN})
    nbformat.validate(nbformat.from_dict(notebook))
    graded = [c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    from asynclings.rubric import rubric_of

    rubric = rubric_of(exercise(MODULE))
    assert [c["metadata"]["nbgrader"]["grade_id"] for c in graded] == [
        f"{MODULE}__{item.name}" for item in rubric
    ]
    assert [c["metadata"]["nbgrader"]["points"] for c in graded] == [i.points for i in rubric]
    assert all(c["metadata"]["nbgrader"]["locked"] for c in graded)
    hidden = [c for c in graded if "### BEGIN HIDDEN TESTS" in "".join(c["source"])]
    assert [c["metadata"]["nbgrader"]["grade_id"] for c in hidden] == [f"{MODULE}__{HIDDEN}"]
    answer = "".join(notebook["cells"][1]["source"])
    assert answer.startswith(f"{ANSWER_MARKER}{MODULE}")
    assert "### BEGIN SOLUTION" in answer and "raise NotImplementedError" in answer


@pytest.mark.slow
def test_every_item_scores_as_the_batch_grader_scores_the_same_code(course, tmp_path):
    notebook_scores = _nbgrader_items(course)
    batch_scores = _batch_items(tmp_path)
    assert notebook_scores == batch_scores
    assert sum(notebook_scores["correct"].values()) == 10
    # Hanging and blocking answers lose their own items; the rest of the notebook grades.
    for learner in ("hanging", "blocking"):
        assert notebook_scores[learner]["test_settled_keeps_failures_in_place"] == 1
        assert notebook_scores[learner]["test_results_in_url_order"] == 0
    assert sum(notebook_scores["syntaxerror"].values()) == 0


@pytest.mark.slow
def test_export_holds_every_learner_with_the_notebook_total(course):
    with (course / "grades.csv").open(encoding="utf-8") as file:
        rows = {row["student_id"]: row for row in csv.DictReader(file)}
    assert set(rows) == set(ANSWERS)
    totals = {learner: sum(items.values()) for learner, items in _nbgrader_items(course).items()}
    assert {learner: float(row["score"]) for learner, row in rows.items()} == totals
    assert {float(row["max_score"]) for row in rows.values()} == {10.0}


@pytest.mark.slow
def test_feedback_does_not_leak_the_hidden_item(course):
    for learner in ANSWERS:
        html = (course / "feedback" / learner / "asyncio" / f"{MODULE}.html").read_text()
        assert "A hidden rubric item" in html  # the cell is there, its code is not
        for quote in ('"', "&quot;", "&#34;"):
            assert f"{quote}{HIDDEN}{quote}" not in html
        assert "test_results_in_url_order" in html  # a visible item's call is shown


@pytest.mark.slow
def test_the_learners_release_keeps_the_stub_and_hides_the_solution(course):
    released = (course / "release" / "asyncio" / f"{MODULE}.ipynb").read_text()
    assert "return list(await asyncio.gather(*(fetch(url) for url in urls)))" not in released
    assert "raise NotImplementedError" in released
    sources = ["".join(cell["source"]) for cell in json.loads(released)["cells"]]
    assert not any(HIDDEN in source for source in sources)  # only its grade_id names it


def test_the_answer_is_found_by_its_first_line_and_placeholders_are_dropped():
    history = ["x = 1", f"{ANSWER_MARKER}{MODULE}\nasync def fetch_all(u, f): ...", "print(x)"]
    assert answer_source(MODULE, history) == history[1]
    assert answer_source("ex03_as_completed", history) is None
    source = (
        "async def f():\n    raise NotImplementedError\n\n"
        "# YOUR CODE HERE\nraise NotImplementedError()\n"
    )
    cleaned = _without_placeholders(source)
    assert "raise NotImplementedError\n" in cleaned and "raise NotImplementedError()" not in cleaned


def test_the_teaching_text_becomes_markdown():
    text = docstring_markdown(
        "Exercise 9: title with ``code``.\n\nGoal\n    Do it.\n\nThe pattern\n    Like this::\n\n"
        "        await thing()\n\n    Then more.\n\nCheck your work\n    pytest ...\n"
    )
    assert text.startswith("# Exercise 9: title with `code`.")
    assert "## Goal" in text and "```python\nawait thing()\n```" in text
    assert "Check your work" not in text and "Then more." in text


@pytest.mark.slow
def test_every_instructor_copy_validates_and_its_answer_gets_full_marks(tmp_path):
    from asynclings.integrations.notebook import grade_answer
    from asynclings.manifest import exercises

    written = write_assignment(tmp_path, "asyncio")
    assert [p.stem for p in written] == [e.module for e in exercises()]
    assert (tmp_path / "nbgrader_config.py").read_text().count("ClearHiddenTests") == 2
    for path in written:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        answer = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution"))
        results = grade_answer(path.stem, answer.source)
        assert not isinstance(results, str), results
        verdicts = results.exercise(path.stem)
        assert verdicts.points == verdicts.max_points == 10, [
            i.message for i in verdicts.items if i.status != "passed"
        ]


def test_each_notebook_says_how_to_check_in_the_notebook_and_its_cell_grades(monkeypatch, capsys):
    from asynclings.integrations import notebook as notebook_module
    from asynclings.manifest import exercises

    for each in exercises():
        cells = exercise_notebook(each)["cells"]
        intro = "".join(cells[0]["source"])
        # The stub's "Check your work" (pytest, asynclings check) is for files, not here.
        assert "Check your work" not in intro and "pytest" not in intro, each.module
        assert "asynclings check" not in intro and "Run the self-check cell" in intro
        check_cells = ["".join(c["source"]) for c in cells if c["id"] == f"{each.module}-check"]
        assert check_cells == [
            f'from asynclings.integrations.notebook import check\n\ncheck("{each.module}")\n'
        ]
    # The self-check cell, run as it stands after the learner ran their answer cell.
    answer = f"{ANSWER_MARKER}{MODULE}\n" + (MUTANTS / MODULE / "sequential.py").read_text()
    monkeypatch.setattr(notebook_module, "_history", lambda: ["import asyncio", answer])
    exec(check_cells_of(MODULE), {})
    out = capsys.readouterr().out
    assert "FAIL 0/2  fetch_all runs the fetches concurrently" in out
    assert "PASS 2/2  fetch_all returns every result in the order" in out
    assert out.rstrip().endswith("7/10 points")


def check_cells_of(module: str) -> str:
    cells = exercise_notebook(exercise(module))["cells"]
    return next("".join(c["source"]) for c in cells if c["id"] == f"{module}-check")


def _cli(*args: str):
    from click.testing import CliRunner

    from asynclings.cli import main

    return CliRunner().invoke(main, list(args))


def test_items_lists_the_ids_hide_takes_with_points_and_titles():
    from asynclings.manifest import exercises
    from asynclings.rubric import rubric_of

    for name in ("ex02", "ex02_gather"):
        result = _cli("items", name)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("ex02_gather: 10 points\n")
        assert "  empty_urls  " in result.output and "1 pt  An empty list of urls" in result.output
        assert (
            "fetches_run_concurrently" in result.output and "2 pts  fetch_all runs" in result.output
        )
    everything = _cli("items").output
    listed = [line.split()[0] for line in everything.splitlines() if line.startswith("  ")]
    assert len(listed) == sum(len(rubric_of(e)) for e in exercises())
    # Each listed id makes exactly its item a hidden test in its exercise's notebook.
    rubric = rubric_of(exercise(MODULE))
    for line_id, item in zip(_ids_of(_cli("items", MODULE).output), rubric, strict=True):
        cells = exercise_notebook(exercise(MODULE), {line_id})["cells"]
        hidden = [
            c["metadata"]["nbgrader"]["grade_id"]
            for c in cells
            if "### BEGIN HIDDEN TESTS" in "".join(c["source"])
        ]
        assert hidden == [f"{MODULE}__{item.name}"]
    assert _cli("items", "ex99").exit_code == 2


def _ids_of(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines() if line.startswith("  ")]


def test_nbgrader_hide_refuses_an_unknown_id_and_names_the_closest(tmp_path):
    course = tmp_path / "course"
    result = _cli("nbgrader", str(course), "--exercises", "ex02", "--hide", "empty_url")
    assert result.exit_code == 2
    assert "'empty_url' is not the id of a rubric item of ex02_gather" in result.output
    assert "did you mean 'empty_urls'?" in result.output and "asynclings items" in result.output
    assert not course.exists()  # nothing written
    # An item of an exercise the command leaves out is named as such.
    result = _cli(
        "nbgrader",
        str(course),
        "--exercises",
        "ex02",
        "--hide",
        "counters_do_not_wait_for_each_other",
    )
    assert result.exit_code == 2
    assert "is an item of ex05_lock_counter, which --exercises leaves out" in result.output
    for valid in ("empty_urls", "test_empty_urls", "all"):
        result = _cli("nbgrader", str(course), "--exercises", "ex02", "--hide", valid)
        assert result.exit_code == 0, result.output
        text = (course / "source" / "asyncio" / f"{MODULE}.ipynb").read_text()
        assert "### BEGIN HIDDEN TESTS" in text
