"""PrairieLearn, end to end in a simulated /grade root.

``asynclings prairielearn`` writes a course; each grading job is laid out as
PrairieLearn's external grader lays it out (docs/externalGrading.md of
PrairieLearn/PrairieLearn: the question's tests/ in /grade/tests, serverFilesCourse's
folders in /grade/serverFilesCourse, the learner's files in /grade/student), and the
entrypoint run.sh must leave /grade/results/results.json in the format of that page's
"Grading results", scored as ``asynclings grade`` scores the same code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from asynclings.cli import main
from asynclings.grading.batch import BatchOptions, grade_batch
from asynclings.grading.worker import Limits
from asynclings.integrations.prairielearn import ENTRYPOINT
from asynclings.manifest import exercise
from asynclings.rubric import rubric_of
from support import MUTANTS

MODULES = ["ex02_gather", "ex05_lock_counter"]
WRONG = {
    "ex02_gather": (MUTANTS / "ex02_gather" / "sequential.py").read_text(),
    "ex05_lock_counter": (MUTANTS / "ex05_lock_counter" / "no_lock.py").read_text(),
}
ANOTHER_WRONG = {
    "ex02_gather": (MUTANTS / "ex02_gather" / "settled_raises.py").read_text(),
    "ex05_lock_counter": (MUTANTS / "ex05_lock_counter" / "lock_per_call.py").read_text(),
}
BROKEN = {"ex02_gather": b"def fetch_all(:\n", "ex05_lock_counter": b"\xff"}
TOP = {
    "gradable": bool,
    "score": (int, float),
    "format_errors": (str, list),
    "message": str,
    "output": str,
    "images": list,
    "tests": list,
    "asynclings": dict,
}
TEST = {
    "name": str,
    "description": str,
    "points": (int, float),
    "max_points": (int, float),
    "message": str,
    "output": str,
    "images": list,
}


def validate(data: dict) -> None:
    """PrairieLearn's results.json: known fields, right types, score in [0, 1]."""
    assert set(data) <= set(TOP), set(data) - set(TOP)
    for key, value in data.items():
        assert isinstance(value, TOP[key]), (key, value)
        assert not isinstance(value, bool) or key == "gradable", key
    if data.get("gradable", True):
        assert 0.0 <= data["score"] <= 1.0
    else:
        errors = data["format_errors"]
        errors = [errors] if isinstance(errors, str) else errors
        assert errors and all(isinstance(e, str) and e for e in errors)
    for test in data.get("tests", []):
        assert set(test) <= set(TEST), set(test) - set(TEST)
        assert {"name", "points", "max_points"} <= set(test)
        for key, value in test.items():
            assert isinstance(value, TEST[key]), (key, value)
        assert 0 <= test["points"] <= test["max_points"]
    assert len(json.dumps(data)) < 1_000_000  # PrairieLearn's limit on the file


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("course")
    args = ["prairielearn", str(folder), "--timeout", "90"]
    for module in MODULES:
        args += ["--exercises", module]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "serverFilesCourse/asynclings/Dockerfile" in result.output
    return folder


def _job(course: Path, root: Path, question: str, files: dict[str, str | bytes]) -> Path:
    """A grading job's /grade folder, as PrairieLearn assembles it."""
    shutil.copytree(course / "serverFilesCourse", root / "serverFilesCourse")
    shutil.copytree(course / "questions" / question / "tests", root / "tests")
    (root / "student").mkdir()
    for name, text in files.items():
        data = text.encode() if isinstance(text, str) else text
        (root / "student" / name).write_bytes(data)
    return root


def _grade(root: Path, env: dict[str, str] | None = None) -> dict:
    entrypoint = root / ENTRYPOINT.removeprefix("/grade/")
    assert entrypoint.is_file() and os.access(entrypoint, os.X_OK)
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ASYNCLINGS_GRADE_ROOT": str(root),
        "ASYNCLINGS_PYTHON": sys.executable,
        "HOME": str(root),
    }
    completed = subprocess.run(
        [shutil.which("bash") or "bash", str(entrypoint)],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    validate(data)
    return data


def _batch_points(tmp_path: Path, module: str, text: str | bytes) -> dict[str, float]:
    folder = tmp_path / "subs" / "learner"
    folder.mkdir(parents=True)
    (folder / f"{module}.py").write_bytes(text.encode() if isinstance(text, str) else text)
    run = grade_batch(
        tmp_path / "subs", tmp_path / "gb.sqlite", BatchOptions(jobs=1, limits=Limits(timeout=60))
    )
    (graded,) = [e for e in run.results[0].results.exercises if e.module == module]
    return {item.title: item.points for item in graded.items}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["correct", "wrong", "another wrong", "stub", "broken"])
@pytest.mark.parametrize("module", MODULES)
def test_each_item_is_a_test_scored_as_the_batch_scores_it(course, tmp_path, module, kind):
    text = {
        "correct": exercise(module).solution.read_text(),
        "wrong": WRONG[module],
        "another wrong": ANOTHER_WRONG[module],
        "stub": exercise(module).stub.read_text(),
        "broken": BROKEN[module],
    }[kind]
    data = _grade(_job(course, tmp_path / "grade", module, {f"{module}.py": text}))
    assert data["gradable"] is True  # a module that does not load is graded: 0, and why
    points = {t["name"]: t["points"] for t in data["tests"]}
    assert points == _batch_points(tmp_path, module, text)
    assert len(data["tests"]) == len(rubric_of(exercise(module)))
    most = sum(t["max_points"] for t in data["tests"])
    assert most == 10
    assert data["score"] == pytest.approx(sum(points.values()) / most)
    assert data["asynclings"]["sandbox"] == "bubblewrap"
    assert "Unsandboxed" not in data["message"]
    if kind == "correct":
        assert data["score"] == 1.0 and all(t["message"] == "passed" for t in data["tests"])
        return
    if kind == "stub":
        assert data["score"] == 0.0 and "not implemented yet" in data["message"]
        return
    lost = [t for t in data["tests"] if t["points"] < t["max_points"]]
    assert lost and all(t["message"] and t["message"] != "passed" for t in lost)
    if kind == "broken":
        assert data["score"] == 0.0
        reason = "does not compile" if module == "ex02_gather" else "not valid UTF-8"
        assert data["message"].count(reason) == 1  # said once, at the top
        assert all(f"not graded: {module} does not load" in t["message"] for t in data["tests"])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("files", "says"),
    [
        ({}, "Nothing was submitted: the grader expects ex02_gather.py."),
        (
            {"ex02_gathr.py": "async def fetch_all(urls, fetch): ...\n"},
            "No file named ex02_gather.py was submitted (found: ex02_gathr.py).",
        ),
        (
            {"ex05_lock_counter.py": exercise("ex05_lock_counter").solution.read_text()},
            "No file named ex02_gather.py was submitted (found: ex05_lock_counter.py).",
        ),
    ],
    ids=["nothing", "misspelt", "another-exercise"],
)
def test_a_submission_without_the_module_is_not_gradable_and_costs_no_attempt(
    course, tmp_path, files, says
):
    data = _grade(_job(course, tmp_path / "grade", "ex02_gather", files))
    assert data["gradable"] is False
    assert data["tests"] == []
    (error,) = data["format_errors"]
    assert error.startswith(says)
    assert "this attempt was not counted" in error


def test_without_python_the_entrypoint_still_writes_a_results_file(course, tmp_path):
    bin_ = tmp_path / "bin"  # an image with bash and coreutils, and no Python 3.11+
    bin_.mkdir()
    for tool in ("bash", "dirname", "mkdir"):
        (bin_ / tool).symlink_to(shutil.which(tool))
    root = _job(course, tmp_path / "grade", "ex02_gather", {"ex02_gather.py": "x = 1\n"})
    data = _grade(root, {"PATH": str(bin_), "ASYNCLINGS_PYTHON": ""})
    assert data["gradable"] is False
    (error,) = data["format_errors"]
    assert error.startswith("The grading image has no Python 3.11 or newer; this attempt")
    assert "serverFilesCourse/asynclings/Dockerfile" in error


@pytest.mark.slow
def test_without_bubblewrap_the_results_say_why_it_ran_unsandboxed(course, tmp_path):
    bin_ = tmp_path / "bin"  # no bwrap in the image
    bin_.mkdir()
    for tool in ("bash", "dirname", "mkdir"):
        (bin_ / tool).symlink_to(shutil.which(tool))
    text = exercise("ex02_gather").solution.read_text()
    root = _job(course, tmp_path / "grade", "ex02_gather", {"ex02_gather.py": text})
    data = _grade(root, {"PATH": str(bin_)})
    assert data["gradable"] is True and data["score"] == 1.0  # graded all the same
    assert data["asynclings"]["sandbox"] == "none"
    reason = data["asynclings"]["sandbox_unavailable"]
    assert reason.startswith("bubblewrap is not installed in this grading image")
    assert f"Unsandboxed: graded without the sandbox: {reason}." in data["message"]


def test_every_info_json_configures_external_grading(course):
    questions = sorted((course / "questions").iterdir())
    assert [q.name for q in questions] == MODULES
    uuids = set()
    for question in questions:
        info = json.loads((question / "info.json").read_text())
        assert {"uuid", "title", "topic", "type", "gradingMethod"} <= set(info)
        assert info["gradingMethod"] == "External" and info["type"] == "v3"
        assert all(isinstance(info[k], str) and info[k] for k in ("uuid", "title", "topic"))
        options = info["externalGradingOptions"]
        assert options["enabled"] is True
        assert options["image"] == "prairielearn/grader-python"
        assert options["entrypoint"] == ENTRYPOINT
        shared = options["serverFilesCourse"]
        assert shared == ["asynclings/"] and (course / "serverFilesCourse" / shared[0]).is_dir()
        assert options["timeout"] == 90 and 0 < options["timeout"] <= 600
        config = json.loads((question / "tests" / "config.json").read_text())
        assert config["exercises"] == [question.name] and config["timeout"] < options["timeout"]
        uuids.add(info["uuid"])
    assert len(uuids) == len(questions)
    wheels = list((course / "serverFilesCourse" / "asynclings" / "wheels").glob("*.whl"))
    assert len(wheels) == 1 and wheels[0].name.startswith("asynclings-")
    dockerfile = (course / "serverFilesCourse" / "asynclings" / "Dockerfile").read_text()
    assert "FROM prairielearn/grader-python" in dockerfile


def test_writing_the_course_again_keeps_each_questions_uuid(course, tmp_path):
    again = tmp_path / "again"
    args = ["prairielearn", str(again), "--exercises", "ex02", "--image", "me/grader:1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    first = json.loads((course / "questions" / "ex02_gather" / "info.json").read_text())
    second = json.loads((again / "questions" / "ex02_gather" / "info.json").read_text())
    assert first["uuid"] == second["uuid"]
    assert second["externalGradingOptions"]["image"] == "me/grader:1"
    assert "run this again with --image" not in result.output


class _Editors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.editors: list[tuple[dict[str, str | None], str]] = []
        self.tags: list[str] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "pl-file-editor":
            self.editors.append((dict(attrs), ""))
            self._inside = True

    def handle_endtag(self, tag):
        if tag == "pl-file-editor":
            self._inside = False

    def handle_data(self, data):
        if self._inside:
            attrs, text = self.editors[-1]
            self.editors[-1] = (attrs, text + data)


@pytest.mark.parametrize("module", MODULES)
def test_question_html_starts_the_editor_with_the_stub_under_the_graded_name(course, module):
    page = (course / "questions" / module / "question.html").read_text()
    parsed = _Editors()
    parsed.feed(page)
    ((attrs, text),) = parsed.editors
    assert attrs["file-name"] == f"{module}.py"
    assert text == exercise(module).stub.read_text()
    assert "{{" not in page  # nothing for the page's Mustache to expand
    for tag in ("pl-question-panel", "pl-submission-panel", "pl-external-grader-results"):
        assert tag in parsed.tags


def test_a_stub_with_mustache_braces_is_loaded_from_a_file_beside_the_page(tmp_path, monkeypatch):
    """question.html is a Mustache template: text with ``{{`` would be expanded, so such
    a stub is the editor's source file instead of its inline text."""
    import dataclasses

    import asynclings.manifest
    from asynclings.integrations.prairielearn import question_html

    real = exercise("ex02_gather")
    braced = tmp_path / "ex02_gather.py"
    braced.write_text('TEMPLATE = "{{name}}"\n')

    @dataclasses.dataclass(frozen=True)
    class Braced:
        module: str = real.module
        title: str = real.title
        topic: str = real.topic
        stub: Path = braced

    monkeypatch.setattr(asynclings.manifest, "exercise", lambda module: Braced())
    page, starting = question_html("ex02_gather")
    assert starting == braced.read_text()
    assert "{{" not in page
    parsed = _Editors()
    parsed.feed(page)
    ((attrs, text),) = parsed.editors
    assert attrs["file-name"] == "ex02_gather.py"
    assert attrs["source-file-name"] == "initial_code.py" and text == ""
