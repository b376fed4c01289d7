"""GitHub Classroom: the template's workflow parses, its grading steps grade the repo,
and their ``result`` payloads decode to what the grading reporter reads."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from asynclings.classroom import write_template
from asynclings.grading.batch import BatchOptions, grade_batch
from asynclings.grading.worker import Limits
from asynclings.manifest import exercise, exercises
from support import (
    MUTANTS,
    assert_graded_sequential_ex02,
    check_your_work,
    printed_commands,
    run_printed,
)

MODULES = ["ex02_gather", "ex05_lock_counter", "ex07_timeouts"]
TEST_FIELDS = {
    "name": str,
    "status": str,
    "score": (int, float),
    "message": str,
    "test_code": str,
    "filename": str,
    "line_no": int,
    "duration": int,
}


def validate(payload: dict) -> None:
    """The runner result format of GitHub Classroom's autograding actions."""
    assert payload["version"] == 1
    assert payload["status"] in ("pass", "fail", "error")
    assert isinstance(payload["max_score"], int | float) and payload["max_score"] > 0
    assert payload["tests"]
    for test in payload["tests"]:
        assert set(test) == set(TEST_FIELDS)
        for key, kind in TEST_FIELDS.items():
            assert isinstance(test[key], kind), (key, test[key])
        assert test["status"] in ("pass", "fail")
    if payload["status"] == "pass":
        assert sum(t["score"] for t in payload["tests"]) == payload["max_score"]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("template")
    write_template(folder, MODULES)
    return folder


def _workflow(template: Path) -> dict:
    return yaml.safe_load((template / ".github" / "workflows" / "classroom.yml").read_text())


def _steps(template: Path) -> list[dict]:
    workflow = _workflow(template)
    return workflow["jobs"]["run-autograding-tests"]["steps"]


def test_the_template_holds_stubs_workflow_and_a_wheel_without_solutions(template):
    assert sorted(p.stem for p in (template / "exercises").glob("*.py")) == MODULES
    for module in MODULES:
        assert (template / "exercises" / f"{module}.py").read_bytes() == (
            exercise(module).stub.read_bytes()
        )
    wheels = list((template / ".github" / "asynclings").glob("*.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
    assert "asynclings/_content/graders/ex02_gather.py" in names
    assert not any("solutions" in name for name in names)
    assert "testpaths = exercises" in (template / "pytest.ini").read_text()
    assert ".asynclings-progress.json" in (template / ".gitignore").read_text()


def test_the_readmes_and_the_stubs_commands_grade_in_the_template(template, tmp_path):
    repo = tmp_path / "repo"  # the learner's clone of the assignment
    shutil.copytree(template, repo, ignore=shutil.ignore_patterns("*.whl"))
    shutil.copyfile(
        MUTANTS / "ex02_gather" / "sequential.py", repo / "exercises" / "ex02_gather.py"
    )
    block = (repo / "README.md").read_text().split("```bash\n", 1)[1].split("```", 1)[0]
    typed = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    commands = [c for c in typed if c.startswith(("asynclings", "pytest"))]
    assert commands == [
        "asynclings check ex02",
        "pytest",
        "pytest exercises/ex02_gather.py",
        "asynclings hint ex02",
    ]
    for command in commands:  # at the top, as the README says
        code, out = run_printed(command, repo)
        assert_graded_sequential_ex02(command, code, out)
        if command == "pytest":  # every exercise of the template
            assert re.search(r"total +7/30", out), out
    for command in printed_commands(check_your_work("ex02_gather")):  # beside the file
        assert_graded_sequential_ex02(command, *run_printed(command, repo / "exercises"))


def test_the_workflow_parses_and_wires_every_step_to_the_reporter(template):
    workflow = _workflow(template)
    assert workflow["name"] == "Autograding Tests"
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True
    assert "push" in triggers
    assert workflow["permissions"]["checks"] == "write"
    steps = _steps(template)
    graders = [s for s in steps if "classroom result" in s.get("run", "")]
    assert [s["name"] for s in graders] == MODULES
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    ids = [s["id"] for s in graders]
    assert reporter["with"]["runners"].split(",") == ids
    for step_id in ids:
        # The reporter reads `${RUNNER.toUpperCase()}_RESULTS`.
        assert reporter["env"][f"{step_id.upper()}_RESULTS"] == (
            f"${{{{steps.{step_id}.outputs.result}}}}"
        )


ANSWERS = {
    "correct": {m: exercise(m).solution for m in MODULES},
    "wrong": {
        "ex02_gather": MUTANTS / "ex02_gather" / "sequential.py",
        "ex05_lock_counter": MUTANTS / "ex05_lock_counter" / "no_lock.py",
        "ex07_timeouts": exercise("ex07_timeouts").stub,
    },
    "broken": {"ex02_gather": "def f(:\n", "ex05_lock_counter": None, "ex07_timeouts": None},
}


def _repo(root: Path, template: Path, answers: dict) -> Path:
    repo = root / "repo"
    shutil.copytree(template, repo)
    for module, answer in answers.items():
        target = repo / "exercises" / f"{module}.py"
        if answer is None:
            target.unlink()  # a learner who renamed or deleted the file
        elif isinstance(answer, Path):
            shutil.copyfile(answer, target)
        else:
            target.write_text(answer)
    return repo


@pytest.mark.parametrize("case", list(ANSWERS))
def test_each_step_grades_the_repo_with_points_per_item(template, tmp_path, case):
    repo = _repo(tmp_path, template, ANSWERS[case])
    bin_dir = str(Path(sys.executable).parent)
    payloads = {}
    for step in [s for s in _steps(template) if "classroom result" in s.get("run", "")]:
        output = tmp_path / f"{step['id']}.out"
        completed = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=repo,
            env={
                **os.environ,
                "PATH": f"{bin_dir}:{os.environ['PATH']}",
                "GITHUB_OUTPUT": str(output),
            },
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert completed.returncode == 0, completed.stderr  # later steps must still run
        lines = output.read_text().splitlines()
        assert len(lines) == 1 and lines[0].startswith("result=")
        payload = json.loads(base64.b64decode(lines[0].removeprefix("result=")))
        validate(payload)
        payloads[step["name"]] = payload
        assert "PASS" in completed.stderr or "FAIL" in completed.stderr  # the log explains
    if case == "correct":
        assert all(p["status"] == "pass" for p in payloads.values())
        return
    # Same points per item as the batch grader gives the same files.
    batch = tmp_path / "batch" / "learner"
    batch.mkdir(parents=True)
    for module in MODULES:
        source = repo / "exercises" / f"{module}.py"
        if source.exists():
            shutil.copyfile(source, batch / f"{module}.py")
    run = grade_batch(
        batch.parent, tmp_path / "gb.sqlite", BatchOptions(jobs=1, limits=Limits(timeout=30))
    )
    for module in MODULES:
        expected = [i.points for i in run.results[0].results.exercise(module).items]
        assert [t["score"] for t in payloads[module]["tests"]] == expected, module
    assert payloads["ex02_gather"]["status"] == "fail"


def test_every_exercise_can_be_in_the_template(tmp_path):
    write_template(tmp_path)
    steps = _steps(tmp_path)
    assert [s["name"] for s in steps if "classroom result" in s.get("run", "")] == [
        e.module for e in exercises()
    ]
