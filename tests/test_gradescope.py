"""Gradescope, end to end in a simulated /autograder root.

The bundle is built, unzipped into ROOT/source, ``setup.sh`` makes its own virtualenv
and installs the kit from the bundle's wheel, and ``run_autograder`` grades correct,
wrong, broken, hanging, empty and irrelevant submissions. Every results.json must
follow Gradescope's published format (field names and types, from
gradescope/autograder_samples docs/specs.md) and score as ``asynclings grade`` scores
the same code.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from asynclings.cli import main
from asynclings.grading.batch import BatchOptions, grade_batch
from asynclings.grading.worker import Limits
from asynclings.integrations.gradescope import bundle
from asynclings.manifest import exercise
from asynclings.rubric import rubric_of
from support import MUTANTS

# Every test here runs in the simulated /autograder, whose setup.sh installs the kit.
pytestmark = pytest.mark.slow

MODULES = ["ex02_gather", "ex05_lock_counter"]
HIDDEN = "test_empty_urls"
SUBMISSIONS = {
    "correct": {m: exercise(m).solution.read_text() for m in MODULES},
    "wrong": {
        "ex02_gather": (MUTANTS / "ex02_gather" / "sequential.py").read_text(),
        "ex05_lock_counter": (MUTANTS / "ex05_lock_counter" / "no_lock.py").read_text(),
    },
    "another wrong": {
        "ex02_gather": (MUTANTS / "ex02_gather" / "settled_raises.py").read_text(),
        "ex05_lock_counter": (MUTANTS / "ex05_lock_counter" / "lock_per_call.py").read_text(),
    },
    "stub": {m: exercise(m).stub.read_text() for m in MODULES},
    "broken": {"ex02_gather": "def fetch_all(:\n", "ex05_lock_counter": "\xff"},
    "hanging": {"ex02_gather": "import time\nwhile True:\n    time.sleep(1)\n"},
    "empty": {},
    "irrelevant": {"notes": "nothing graded here\n"},
}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
TOP = {
    "score": (int, float),
    "execution_time": (int, float),
    "output": str,
    "output_format": str,
    "test_output_format": str,
    "test_name_format": str,
    "visibility": str,
    "stdout_visibility": str,
    "extra_data": dict,
    "tests": list,
    "leaderboard": list,
}
TEST = {
    "score": (int, float),
    "max_score": (int, float),
    "status": str,
    "name": str,
    "name_format": str,
    "number": str,
    "output": str,
    "output_format": str,
    "tags": list,
    "visibility": str,
    "extra_data": dict,
}


def validate(data: dict) -> None:
    """Gradescope's results.json format: known fields, right types and values."""
    assert set(data) <= set(TOP), set(data) - set(TOP)
    assert "score" in data or all("score" in t for t in data.get("tests", []))
    for key, value in data.items():
        assert isinstance(value, TOP[key]), (key, value)
    for key in ("visibility", "stdout_visibility"):
        assert data.get(key, "visible") in VISIBILITY
    for key in ("output_format", "test_output_format"):
        assert data.get(key, "text") in FORMATS
    numbers = set()
    for test in data.get("tests", []):
        assert set(test) <= set(TEST), set(test) - set(TEST)
        for key, value in test.items():
            assert isinstance(value, TEST[key]), (key, value)
        assert test.get("status", "passed") in ("passed", "failed")
        assert test.get("visibility", "visible") in VISIBILITY
        assert test.get("output_format", "text") in FORMATS
        assert 0 <= test["score"] <= test["max_score"]
        numbers.add(test["number"])
    assert len(numbers) == len(data.get("tests", []))


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    root = tmp_path_factory.mktemp("autograder")
    archive = bundle(root / "autograder.zip", MODULES, hidden=[HIDDEN], timeout=20)
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        assert {"setup.sh", "run_autograder", "config.json"} <= set(names)
        assert not any("solutions" in name for name in names)
        wheel = next(n for n in names if n.endswith(".whl"))
        zipped.extractall(root / "source")
    with zipfile.ZipFile(root / "source" / wheel) as built:
        assert not any("/solutions/" in name for name in built.namelist())
    for script in ("setup.sh", "run_autograder"):
        path = root / "source" / script
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    # Gradescope copies run_autograder to the root of /autograder.
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AUTOGRADER_ROOT": str(root),
        "ASYNCLINGS_PYTHON": sys.executable,
        "HOME": str(root),
    }
    setup = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    return root, env


def _run(
    autograder,
    name: str,
    files: dict[str, str],
    metadata: dict | None = None,
    *,
    path: str | None = None,
) -> dict:
    root, env = autograder
    if path is not None:
        env = {**env, "PATH": path}
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    (root / "results").mkdir(exist_ok=True)
    (root / "results" / "results.json").unlink(missing_ok=True)
    submission.mkdir()
    for module, text in files.items():
        target = submission / "nested" / f"{module}.py"  # found at any depth
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(text.encode("utf-8", "surrogateescape") if text != "\xff" else b"\xff")
    (root / "submission_metadata.json").write_text(json.dumps(metadata or {}))
    completed = subprocess.run(
        [str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    validate(data)
    return data


def _batch_scores(tmp_path: Path, files: dict[str, str]) -> dict[str, float]:
    folder = tmp_path / "subs" / "learner"
    folder.mkdir(parents=True)
    for module, text in files.items():
        (folder / f"{module}.py").write_bytes(text.encode() if text != "\xff" else b"\xff")
    run = grade_batch(
        tmp_path / "subs", tmp_path / "gb.sqlite", BatchOptions(jobs=1, limits=Limits(timeout=20))
    )
    return {
        f"{e.module}: {i.title}": i.points
        for e in run.results[0].results.exercises
        if e.module in MODULES
        for i in e.items
    }


@pytest.mark.parametrize("name", ["correct", "wrong", "another wrong", "stub", "broken", "hanging"])
def test_each_item_is_a_test_scored_as_the_batch_scores_it(autograder, tmp_path, name):
    files = SUBMISSIONS[name]
    metadata = {"id": 4242, "users": [{"name": "Ada Lovelace", "email": "ada@example.org"}]}
    data = _run(autograder, name, files, metadata)
    scores = {t["name"]: t["score"] for t in data["tests"]}
    assert scores == _batch_scores(tmp_path, files)
    assert data["score"] == sum(scores.values())
    assert len(data["tests"]) == sum(len(rubric_of(exercise(m))) for m in MODULES)
    assert {t["number"].split(".")[0] for t in data["tests"]} == {"1", "2"}
    assert data["output"].startswith("Feedback for Ada Lovelace.")
    hidden = [t for t in data["tests"] if t.get("visibility") == "after_due_date"]
    assert [t["name"] for t in hidden] == [
        "ex02_gather: An empty list of urls gives an empty list, at once, from both functions."
    ]
    # bubblewrap is installed here: each submission is graded in the sandbox, although
    # the bundle's wheel has no solutions folder to cover.
    assert data["extra_data"]["sandbox"] == "bubblewrap"
    assert "sandbox_unavailable" not in data["extra_data"]
    assert "Unsandboxed" not in data["output"]
    if name == "correct":
        assert data["score"] == 20 and all(t["status"] == "passed" for t in data["tests"])
    else:
        failed = [t for t in data["tests"] if t["status"] == "failed"]
        assert failed and all(t["output"] for t in failed)  # every lost point explained


def test_broken_and_hanging_submissions_say_why(autograder):
    broken = _run(autograder, "broken", SUBMISSIONS["broken"])
    # Why each module scores 0 is said once, in the summary; its tests name the kind.
    assert broken["output"].count("does not compile") == 1
    assert broken["output"].count("not valid UTF-8") == 1
    for module in ("ex02_gather", "ex05_lock_counter"):
        tests = [t for t in broken["tests"] if t["name"].startswith(module)]
        assert tests and all(f"`{module}` does not load" in t["output"] for t in tests)
    hanging = _run(autograder, "hanging", SUBMISSIONS["hanging"])
    assert hanging["output"].count("did not finish") == 1
    gather = [t for t in hanging["tests"] if t["name"].startswith("ex02_gather")]
    assert gather and all("the reason is in the summary" in t["output"] for t in gather)
    lock = [t for t in hanging["tests"] if t["name"].startswith("ex05")]
    assert all("not submitted" in t["output"] for t in lock)


@pytest.mark.parametrize("name", ["empty", "irrelevant"])
def test_a_submission_without_modules_gets_a_valid_results_file_that_explains(autograder, name):
    data = _run(autograder, name, SUBMISSIONS[name])
    assert data["score"] == 0 and data["tests"] == []
    assert "ex02_gather.py" in data["output"]


def test_items_ids_hide_exactly_their_gradescope_test():
    from asynclings.integrations.gradescope import results_json
    from asynclings.results import ExerciseResult, ItemResult, Results, SubmissionResult

    runner = CliRunner()
    listed = [
        line.split()[0]
        for line in runner.invoke(main, ["items", "ex02"]).output.splitlines()
        if line.startswith("  ")
    ]
    rubric = rubric_of(exercise("ex02_gather"))
    graded = ExerciseResult(
        "ex02_gather", "title", "ex02_gather.py", items=[ItemResult.of(i, "passed") for i in rubric]
    )
    result = SubmissionResult("learner", "graded", Results([graded]))
    for item_id, item in zip(listed, rubric, strict=True):
        data = results_json(result, ["ex02_gather"], [item_id], seconds=0.0)
        hidden = [t["name"] for t in data["tests"] if t["visibility"] == "after_due_date"]
        assert hidden == [f"ex02_gather: {item.title}"]


def test_bundle_hide_refuses_an_unknown_id_and_passes_valid_ones_on(tmp_path, monkeypatch):
    import asynclings.integrations.gradescope

    calls = []
    monkeypatch.setattr(
        asynclings.integrations.gradescope,
        "bundle",
        lambda out, modules, **kw: calls.append(kw) or out,
    )
    out = str(tmp_path / "autograder.zip")
    runner = CliRunner()
    result = runner.invoke(
        main, ["gradescope", "bundle", out, "--hide", "emty_urls", "--hide", "x"]
    )
    assert result.exit_code == 2 and not calls
    assert "'emty_urls' is not the id of a rubric item of any exercise" in result.output
    assert "did you mean 'empty_urls'?" in result.output
    assert "'x' is not the id of a rubric item of any exercise." in result.output
    assert "`asynclings items` lists the item ids" in result.output
    result = runner.invoke(
        main, ["gradescope", "bundle", out, "--exercises", "ex05", "--hide", "empty_urls"]
    )
    assert result.exit_code == 2 and not calls
    assert "'empty_urls' is an item of ex02_gather, ex04_wait, ex09_taskgroup" in result.output
    result = runner.invoke(
        main,
        ["gradescope", "bundle", out, "--hide", "empty_urls", "--hide", "test_failure_propagates"],
    )
    assert result.exit_code == 0, result.output
    assert calls[0]["hidden"] == ("empty_urls", "test_failure_propagates")


def test_without_bubblewrap_the_results_say_why_it_ran_unsandboxed(autograder, tmp_path):
    bin_ = tmp_path / "bin"  # only bash: the image has no bwrap
    bin_.mkdir()
    (bin_ / "bash").symlink_to(shutil.which("bash"))
    assert shutil.which("bwrap", path=str(bin_)) is None
    data = _run(autograder, "correct", SUBMISSIONS["correct"], path=str(bin_))
    assert data["score"] == 20  # graded all the same, in Gradescope's container
    assert data["extra_data"]["sandbox"] == "none"
    reason = data["extra_data"]["sandbox_unavailable"]
    assert reason.startswith("bubblewrap is not installed in this autograder image")
    assert f"**Unsandboxed**: graded without the sandbox: {reason}." in data["output"]
    assert "--no-sandbox" not in json.dumps(data)


FAKE_APT = """#!/bin/bash
echo "$*" >> "$APT_LOG"
if [[ "$1" == install && " $* " == *" python3.11 "* ]]; then
  cp "$FAKE_BIN/fake-python" "$FAKE_BIN/python3.11"
fi
"""
FAKE_PYTHON = """#!/bin/bash
# A stand-in interpreter: `-m venv DIR` makes DIR/bin/python; everything else succeeds.
if [[ "$1" == -m && "$2" == venv ]]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python"
fi
"""


@pytest.mark.parametrize("python", ["present", "missing"])
def test_setup_updates_the_package_lists_before_installing(autograder, tmp_path, python):
    """setup.sh on a root image without bubblewrap (and, "missing", without Python 3.11+)."""
    root, _ = autograder
    fake = tmp_path / "bin"
    fake.mkdir()
    for name, text in (("apt-get", FAKE_APT), ("fake-python", FAKE_PYTHON), ("id", "echo 0\n")):
        (fake / name).write_text(text if text.startswith("#!") else "#!/bin/bash\n" + text)
        (fake / name).chmod(0o755)
    for tool in ("mkdir", "cp", "rm"):
        (fake / tool).symlink_to(shutil.which(tool))
    source = tmp_path / "autograder" / "source"
    shutil.copytree(root / "source", source, ignore=shutil.ignore_patterns("venv"))
    log = tmp_path / "apt.log"
    env = {
        "PATH": str(fake),
        "AUTOGRADER_ROOT": str(source.parent),
        "APT_LOG": str(log),
        "FAKE_BIN": str(fake),
    }
    if python == "present":
        env["ASYNCLINGS_PYTHON"] = str(fake / "fake-python")
    setup = subprocess.run(
        [shutil.which("bash"), str(source / "setup.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    calls = log.read_text().splitlines()
    installs = ["install -y -qq bubblewrap"]
    if python == "missing":
        installs.insert(0, "install -y -qq python3.11 python3.11-venv")
    assert calls == ["update -qq", *installs]  # the lists once, before the first install


def test_a_thread_lock_is_named_at_its_line_within_seconds(autograder):
    mutant = MUTANTS / "ex05_lock_counter" / "threading_lock.py"
    started = time.perf_counter()
    data = _run(autograder, "threading-lock", {"ex05_lock_counter": mutant.read_text()})
    assert time.perf_counter() - started < 10
    race = next(t for t in data["tests"] if "lose no update" in t["name"])
    assert race["status"] == "failed"
    assert "`with` on a threading.Lock blocks the event loop" in race["output"]
    assert "ex05_lock_counter.py:15" in race["output"]


def test_one_learners_folders_are_graded_as_they_are_laid_out(autograder):
    """A learner's own folders (v1/, v2/, v3/ each with a copy) are not refused as if
    they were a class: Gradescope grades one learner at a time."""
    root, env = autograder
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    (root / "results").mkdir(exist_ok=True)
    for version in ("v1", "v2", "v3"):
        (submission / version).mkdir(parents=True)
        shutil.copyfile(exercise("ex02_gather").solution, submission / version / "ex02_gather.py")
    (root / "submission_metadata.json").write_text("{}")
    completed = subprocess.run(
        [str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    validate(data)
    gather = [t for t in data["tests"] if t["name"].startswith("ex02_gather")]
    assert gather and all(t["status"] == "passed" for t in gather), data["output"]
