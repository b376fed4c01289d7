"""GitHub Actions: the template's workflow parses and is wired, its grade step writes a
job summary, annotations and results.json as GitHub reads them, and `asynclings collect`
turns the artifacts into the batch's outputs with the batch's points, refusing forged
ones."""

from __future__ import annotations

import csv
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
from click.testing import CliRunner
from markdown_it import MarkdownIt  # installed with rich

from asynclings.cli import main
from asynclings.grading.batch import BatchOptions, grade_batch
from asynclings.grading.collect import BrokenArtifact, collect_artifacts, read_artifact
from asynclings.grading.worker import Limits
from asynclings.integrations.actions import write_template
from asynclings.manifest import exercise, exercises
from asynclings.results import LEARNER_WORKFLOW
from support import (
    MUTANTS,
    assert_graded_sequential_ex02,
    check_your_work,
    printed_commands,
    run_printed,
)

MODULES = ["ex02_gather", "ex05_lock_counter", "ex07_timeouts"]
COMMIT = "0123456789abcdef0123456789abcdef01234567"
ANNOTATION = re.compile(r"^::error file=([^,]+),line=(\d+),title=([^:]+)::(.+)$")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("template")
    write_template(folder, MODULES)
    return folder


def _steps(template: Path) -> list[dict]:
    workflow = yaml.safe_load((template / ".github" / "workflows" / "asynclings.yml").read_text())
    return workflow["jobs"]["grade"]["steps"]


def test_the_template_holds_stubs_and_a_wheel_without_solutions(template):
    assert sorted(p.stem for p in (template / "exercises").glob("*.py")) == MODULES
    for module in MODULES:
        assert (template / "exercises" / f"{module}.py").read_bytes() == (
            exercise(module).stub.read_bytes()
        )
    (wheel,) = (template / ".github" / "asynclings").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "asynclings/_content/graders/ex02_gather.py" in names
    assert "asynclings/integrations/actions.py" in names
    assert not any("solutions" in name for name in names)
    assert "testpaths = exercises" in (template / "pytest.ini").read_text()
    assert not list(template.rglob("classroom*"))


def test_the_readmes_and_the_stubs_commands_grade_in_the_template(template, tmp_path):
    repo = tmp_path / "repo"  # the learner's clone of their repository
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


def test_the_workflow_parses_and_wires_install_grade_summary_and_upload(template):
    workflow = yaml.safe_load((template / ".github" / "workflows" / "asynclings.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True
    assert "push" in triggers
    assert workflow["permissions"] == {"contents": "read"}
    steps = _steps(template)
    uses = [step.get("uses", "") for step in steps]
    assert uses[0] == "actions/checkout@v4" and uses[1] == "actions/setup-python@v5"
    install, grade, upload = steps[2], steps[3], steps[4]
    assert "pip install" in install["run"] and ".github/asynclings/asynclings-" in install["run"]
    assert grade["run"].startswith("asynclings actions grade exercises/")
    assert '--summary "$GITHUB_STEP_SUMMARY"' in grade["run"]
    assert "--results results.json" in grade["run"]
    assert all(f"--exercises {m}" in grade["run"] for m in MODULES)
    assert upload["uses"] == "actions/upload-artifact@v4"
    assert upload["if"] == "always()"
    assert upload["with"]["name"] == "asynclings-results"
    assert upload["with"]["path"] == "results.json"
    assert "classroom" not in json.dumps(workflow).lower()


ANSWERS = {
    "correct": {m: exercise(m).solution for m in MODULES},
    "wrong": {
        "ex02_gather": MUTANTS / "ex02_gather" / "sequential.py",
        "ex05_lock_counter": MUTANTS / "ex05_lock_counter" / "threading_lock.py",
        "ex07_timeouts": exercise("ex07_timeouts").stub,
    },
    "broken": {"ex02_gather": "import asyncio\n\ndef f(:\n", "ex05_lock_counter": None},
}


def _repo(root: Path, template: Path, answers: dict) -> Path:
    repo = root / "repo"
    shutil.copytree(template, repo, ignore=shutil.ignore_patterns("*.whl"))
    for module, answer in answers.items():
        target = repo / "exercises" / f"{module}.py"
        if answer is None:
            target.unlink()
        elif isinstance(answer, Path):
            shutil.copyfile(answer, target)
        else:
            target.write_text(answer)
    return repo


def _run_grade_step(template: Path, repo: Path, name: str, tmp: Path):
    """The workflow's grade step, as the runner runs it (bash -e, the step's env)."""
    summary = tmp / "step_summary.md"
    summary.write_text("")
    completed = subprocess.run(
        ["bash", "-e", "-c", _steps(template)[3]["run"]],
        cwd=repo,
        env={
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_REPOSITORY": f"course-org/{name}",
            "GITHUB_SHA": COMMIT,
            "GITHUB_RUN_ID": "42",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    return completed, summary.read_text(), repo / "results.json"


def _tables(markdown: str) -> list[list[list[str]]]:
    """Every table the job summary renders to (GitHub renders GFM: tables enabled)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables, rows, cells, inside = [], [], [], False
    for token in tokens:
        if token.type == "table_open":
            rows = []
        elif token.type == "tr_open":
            cells = []
        elif token.type in ("th_open", "td_open"):
            inside = True
        elif token.type == "inline" and inside:
            cells.append(token.content)
            inside = False
        elif token.type == "tr_close":
            rows.append(cells)
        elif token.type == "table_close":
            tables.append(rows)
    return tables


@pytest.fixture(scope="module")
def graded(template, tmp_path_factory):
    """Each case's repository after its grade step: (completed, summary, results path)."""
    runs = {}
    for case, answers in ANSWERS.items():
        root = tmp_path_factory.mktemp(case)
        repo = _repo(root, template, answers)
        runs[case] = (repo, *_run_grade_step(template, repo, f"asyncio-{case}", root))
    return runs


@pytest.mark.parametrize("case", list(ANSWERS))
def test_the_grade_step_writes_summary_annotations_and_results(graded, case):
    repo, completed, summary, results = graded[case]
    assert completed.returncode == 0, completed.stderr  # so the artifact always uploads
    tables = _tables(summary)
    assert len(tables) == 1 + len(MODULES)  # the overview, then one per exercise
    assert [row[0] for row in tables[0][1:]] == MODULES
    top, result = read_artifact(results.read_bytes())
    assert top["repository"] == f"course-org/asyncio-{case}" and top["commit"] == COMMIT
    assert top["run_url"] == f"https://github.com/course-org/asyncio-{case}/actions/runs/42"
    assert result.sandbox == LEARNER_WORKFLOW
    for table, module in zip(tables[1:], MODULES, strict=True):
        graded_items = result.results.exercise(module).items
        assert table[0] == ["rubric item", "points", "verdict", "why the points were lost"]
        assert [row[1] for row in table[1:]] == [
            f"{i.points:g}/{i.max_points:g}" for i in graded_items
        ]
        for row, item in zip(table[1:], graded_items, strict=True):
            assert (row[3] == "") == (item.status == "passed"), row  # every lost point explained
    annotations = [ANNOTATION.match(line) for line in completed.stdout.splitlines()]
    annotations = [a for a in annotations if a]
    lines = [line for line in completed.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == len(lines)  # every workflow command is well formed
    if case == "correct":
        assert annotations == [] and "total: 30/30" in completed.stdout
        return
    files = {a.group(1) for a in annotations}
    assert files <= {f"exercises/{m}.py" for m in MODULES}
    failed_items = {
        (m, i.title)
        for m in MODULES
        for i in result.results.exercise(m).items
        if i.status == "failed" and result.results.exercise(m).status == "graded"
    }
    titled = {a.group(3).replace("%3A", ":").replace("%2C", ",") for a in annotations}
    for module, title in failed_items:  # one annotation per failed item
        assert f"{module}: {title} (0/" in " ".join(titled), (module, title)
    if case == "wrong":
        ex05 = [a for a in annotations if a.group(1) == "exercises/ex05_lock_counter.py"]
        source = (repo / "exercises" / "ex05_lock_counter.py").read_text().splitlines()
        named = [a for a in ex05 if int(a.group(2)) > 1]
        assert named, ex05  # the line the verdict names: the `with threading.Lock` line
        for annotation in named:
            assert (
                "threading" in source[int(annotation.group(2)) - 1]
                or "with" in (source[int(annotation.group(2)) - 1])
            )
        assert any(a.group(1) == "exercises/ex07_timeouts.py" for a in annotations)
    if case == "broken":
        ex02 = [a for a in annotations if a.group(1) == "exercises/ex02_gather.py"]
        assert [int(a.group(2)) for a in ex02] == [3]  # the syntax error's line
        assert "does not load" in summary


def test_a_folder_that_is_not_there_fails_the_step_with_a_reason(tmp_path):
    result = CliRunner().invoke(main, ["actions", "grade", str(tmp_path / "exercises")])
    assert result.exit_code == 1
    assert "is not a folder" in result.output


def test_a_grader_that_cannot_run_says_so_in_the_summary(tmp_path, monkeypatch):
    import asynclings.integrations.actions as actions

    def broken(folder, *, timeout):
        raise OSError("no space left on device")

    monkeypatch.setattr(actions, "grade_folder", broken)
    (tmp_path / "exercises").mkdir()
    summary = tmp_path / "summary.md"
    code = actions.grade_step(
        tmp_path / "exercises", summary=summary, results=tmp_path / "results.json"
    )
    assert code == 1
    assert "not graded" in summary.read_text()
    assert "no space left on device" in summary.read_text()
    assert not (tmp_path / "results.json").exists()


def _artifacts(graded, root: Path) -> Path:
    """The layouts an instructor ends up with: gh run download's folder, the web page's
    zip in a folder, a nested organisation folder."""
    artifacts = root / "artifacts"
    correct = artifacts / "asyncio-correct"
    correct.mkdir(parents=True)
    shutil.copyfile(graded["correct"][3], correct / "results.json")
    wrong = artifacts / "asyncio-wrong"
    wrong.mkdir()
    with zipfile.ZipFile(wrong / "asynclings-results.zip", "w") as archive:
        archive.write(graded["wrong"][3], "results.json")
    broken = artifacts / "course-org" / "asyncio-broken" / "asynclings-results"
    broken.mkdir(parents=True)
    shutil.copyfile(graded["broken"][3], broken / "results.json")
    return artifacts


def test_collect_gives_the_batch_points_for_the_same_files(graded, tmp_path):
    artifacts = _artifacts(graded, tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["collect", str(artifacts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "FROM LEARNERS' WORKFLOWS" in result.output
    # The same files through the batch grader.
    batch = tmp_path / "batch"
    for case in ANSWERS:
        target = batch / f"asyncio-{case}"
        target.mkdir(parents=True)
        for path in (graded[case][0] / "exercises").glob("*.py"):
            shutil.copyfile(path, target / path.name)
    run = grade_batch(
        batch, tmp_path / "gb.sqlite", BatchOptions(jobs=2, limits=Limits(timeout=60))
    )
    expected = {
        r.submission: {e.module: [i.points for i in e.items] for e in r.results.exercises}
        for r in run.results
    }
    collected = {
        r.submission: {e.module: [i.points for i in e.items] for e in r.results.exercises}
        for r in collect_artifacts(artifacts).results
    }
    assert collected == expected
    with (out / "grades.csv").open() as file:
        rows = {row["submission"]: row for row in csv.DictReader(file)}
    assert set(rows) == {"asyncio-correct", "asyncio-wrong", "asyncio-broken"}
    assert rows["asyncio-correct"]["total"] == "30"
    assert all(row["sandbox"] == LEARNER_WORKFLOW for row in rows.values())
    feedback = (out / "feedback" / "asyncio-wrong.md").read_text()
    assert "From the learner's own workflow" in feedback
    assert f"course-org/asyncio-wrong at commit {COMMIT}" in feedback
    report = (out / "report.html").read_text()
    assert "<b>From the learners' own workflows:</b> 3 submissions were" in report
    assert json.loads((out / "results" / "asyncio-wrong.json").read_text())["score"] == (
        run.results[[r.submission for r in run.results].index("asyncio-wrong")].points
    )
    assert (out / "gradebook.sqlite").is_file()


def _forge(data: dict, how: str) -> dict:
    ex02 = next(
        e for e in data["submission"]["results"]["exercises"] if e["module"] == "ex02_gather"
    )
    if how == "item worth more":
        ex02["items"][0]["max_points"] = 100
    elif how == "total raised":
        data["score"] += 5
    elif how == "unknown item":
        ex02["items"][0]["name"] = "test_everything"
    elif how == "bool for a number":
        data["version"] = True
    elif how == "string points":
        ex02["items"][0]["max_points"] = "2"
    elif how == "unknown exercise":
        ex02["module"] = "ex99_magic"
    elif how == "passed in a stub":
        ex07 = next(
            e for e in data["submission"]["results"]["exercises"] if e["module"] == "ex07_timeouts"
        )
        ex07["items"][0]["status"] = "passed"
    return data


FORGERIES = {
    "item worth more": "worth 2: forged points are refused",
    "total raised": "forged points are refused",
    "unknown item": "does not have",
    "bool for a number": "version is bool, expected int",
    "string points": "max_points is str",
    "unknown exercise": "not in this kit's curriculum",
    "passed in a stub": "a module that was not graded scores nothing",
}


@pytest.mark.parametrize("how", list(FORGERIES))
def test_forged_or_broken_artifacts_are_refused_with_the_reason(graded, tmp_path, how):
    data = _forge(json.loads(graded["wrong"][3].read_text()), how)
    with pytest.raises(BrokenArtifact, match=re.escape(FORGERIES[how])):
        read_artifact(json.dumps(data).encode())


def _paths(value, prefix=()):
    """Every key path into ``value``: the artifact's envelope, the submission, ex02."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            if key != "exercises" or prefix == ("submission", "results"):
                yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list) and prefix[-1] == "exercises":
        yield from _paths(value[1], (*prefix, 1))  # ex02_gather
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        yield from _paths(value[0], (*prefix, 0))


def test_no_damage_to_an_artifact_crashes_its_reading(graded):
    original = json.loads(graded["wrong"][3].read_text())
    paths = [p for p in _paths(original) if p[:1] != ("exercises",)]
    assert len(paths) > 30
    for path in paths:
        for replacement in (None, True, "x", [], {}, -1, float("inf"), "DELETE"):
            data = json.loads(json.dumps(original))
            parent = data
            for key in path[:-1]:
                parent = parent[key]
            if replacement == "DELETE":
                del parent[path[-1]]
            else:
                parent[path[-1]] = replacement
            try:
                _, result = read_artifact(json.dumps(data).encode())
            except BrokenArtifact as broken:
                assert str(broken), path
                continue
            assert 0 <= result.points <= result.max_points == 100, (path, replacement)
    with pytest.raises(BrokenArtifact, match="nested too deeply"):
        read_artifact(b"[" * 100_000 + b"]" * 100_000)


def test_collect_lists_broken_artifacts_and_grades_the_rest(graded, tmp_path):
    artifacts = _artifacts(graded, tmp_path)
    forged = _forge(json.loads(graded["correct"][3].read_text()), "total raised")
    (artifacts / "asyncio-correct" / "results.json").write_text(json.dumps(forged))
    (artifacts / "asyncio-empty").mkdir()
    (artifacts / "asyncio-zip.zip").write_bytes(b"not a zip")
    (artifacts / "asyncio-text").mkdir()
    (artifacts / "asyncio-text" / "results.json").write_text("[1, 2")
    moved = artifacts / "someone-else"
    moved.mkdir()
    shutil.copyfile(graded["wrong"][3], moved / "results.json")
    run = collect_artifacts(artifacts)
    by_id = {r.submission: r for r in run.results}
    assert by_id["asyncio-correct"].status == "rejected"
    assert "forged points are refused" in by_id["asyncio-correct"].reason
    assert by_id["asyncio-correct"].points == 0
    assert "holds no results.json" in by_id["asyncio-empty"].reason
    assert "not a readable zip" in by_id["asyncio-zip"].reason
    assert "not JSON" in by_id["asyncio-text"].reason
    assert by_id["asyncio-wrong"].status == "graded" and by_id["asyncio-wrong"].points > 0
    assert any("course-org/asyncio-wrong" in n for n in by_id["someone-else"].notes)
    assert by_id["someone-else"].needs_review
    assert all(r.sandbox == LEARNER_WORKFLOW for r in run.results)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["collect", str(artifacts), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len((out / "grades.csv").read_text().splitlines()) == 1 + len(by_id)


def test_the_retired_classroom_commands_say_why_and_write_nothing(tmp_path):
    for args in (["classroom", "template", str(tmp_path / "t")], ["classroom", "result", "x.py"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        assert "GitHub Classroom was retired in August 2026" in result.output
        assert "asynclings actions template" in result.output
    assert not (tmp_path / "t").exists()


def test_every_exercise_can_be_in_the_template(tmp_path):
    write_template(tmp_path)
    grade = _steps(tmp_path)[3]["run"]
    assert "--exercises" not in grade  # all of them
    assert sorted(p.stem for p in (tmp_path / "exercises").glob("*.py")) == [
        e.module for e in exercises()
    ]


def test_collect_writes_the_lms_gradebooks_from_a_roster(graded, tmp_path):
    artifacts = _artifacts(graded, tmp_path)
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "submission,name,email,username\n"
        "asyncio-correct,Ada Lovelace,ada@example.org,ada\n"
        "asyncio-wrong,Alan Turing,alan@example.org,alan\n"
        "asyncio-absent,Grace Hopper,grace@example.org,grace\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["collect", str(artifacts), "--out", str(out), "--roster", str(roster)]
    )
    assert result.exit_code == 0, result.output
    with (out / "grades.csv").open() as file:
        totals = {row["submission"]: row["total"] for row in csv.DictReader(file)}
    with (out / "moodle.csv").open() as file:
        moodle = {row["Username"]: row["asyncio exercises"] for row in csv.DictReader(file)}
    assert moodle == {"ada": totals["asyncio-correct"], "alan": totals["asyncio-wrong"]}
    report = (out / "roster-report.txt").read_text()
    assert "asyncio-broken" in report and "asyncio-absent" in report  # listed, not dropped
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nAda\n", encoding="utf-8")
    refused = CliRunner().invoke(
        main, ["collect", str(artifacts), "--out", str(tmp_path / "o2"), "--roster", str(bad)]
    )
    assert refused.exit_code == 2 and "not graded:" in refused.output
    assert not (tmp_path / "o2").exists()
