"""Sharded grading: `grade --shard K/N` slices, `merge` joins, and the example workflows."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from asynclings.cli import main
from asynclings.grading.batch import BatchOptions, grade_batch
from asynclings.grading.gradebook import Gradebook
from asynclings.grading.merge import MergeRefused, merge_shards
from asynclings.grading.shard import Shard, shard_of
from asynclings.grading.worker import Limits
from asynclings.manifest import exercise
from support import ROOT

MUTANTS = ROOT / "tests" / "mutants"
SEED = "2026"
EXAMPLES = ROOT / "examples" / "sharding"


def _learner(root: Path, name: str, modules: dict[str, Path | str]) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    for module, content in modules.items():
        target = folder / f"{module}.py"
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_text(content, encoding="utf-8")


def _class(root: Path) -> Path:
    """Eleven learners, spread over all four shards: references, mutants (racy ones,
    whose verdicts depend on the seeded interleavings), stubs, a module that does not
    load, a zip and a submission with no exercise module."""
    subs = root / "subs"
    ref = {m: exercise(m).solution for m in ("ex02_gather", "ex05_lock_counter", "ex10_bank")}
    _learner(subs, "ada", ref)
    _learner(subs, "bea", {"ex02_gather": MUTANTS / "ex02_gather" / "sequential.py"})
    _learner(subs, "cy", {"ex05_lock_counter": MUTANTS / "ex05_lock_counter" / "no_lock.py"})
    _learner(
        subs,
        "dan",
        {"ex05_lock_counter": MUTANTS / "ex05_lock_counter" / "lock_around_write_only.py"},
    )
    _learner(subs, "eve", {"ex02_gather": exercise("ex02_gather").stub})
    _learner(subs, "fay", {"ex06_semaphore": MUTANTS / "ex06_semaphore" / "no_limit.py"})
    _learner(subs, "gus", {"ex02_gather": "def fetch_all(:\n"})
    _learner(subs, "hal", {"ex10_bank": exercise("ex10_bank").solution})
    _learner(subs, "ivy", {"notes": "print('no exercise here')\n"})
    _learner(subs, "jo", {"ex04_wait": MUTANTS / "ex04_wait" / "failures_in_done.py"})
    with zipfile.ZipFile(subs / "kim.zip", "w") as archive:
        archive.write(exercise("ex02_gather").solution, "ex02_gather.py")
    return subs


def _grade(*args: str) -> str:
    result = CliRunner().invoke(main, ["grade", *args, "--jobs", "2", "--seed", SEED])
    assert result.exit_code == 0, result.output
    return result.output


def _merge(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["merge", *map(str, args)])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One unsharded run and four shards of the same class with the same --seed."""
    root = tmp_path_factory.mktemp("sharding")
    subs = _class(root)
    started = time.perf_counter()
    _grade(str(subs), "--out", str(root / "whole"))
    whole_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for k in range(1, 5):
        _grade(str(subs), "--shard", f"{k}/4", "--out", str(root / f"out-{k}"))
    shards_seconds = time.perf_counter() - started
    print(f"unsharded {whole_seconds:.1f} s; 4 shards one after another {shards_seconds:.1f} s")
    return {"root": root, "subs": subs, "shards": [root / f"out-{k}" for k in range(1, 5)]}


def _items(out: Path) -> dict[str, dict[tuple[str, str], tuple[str, float, str]]]:
    with Gradebook(out / "gradebook.sqlite") as book:
        results = [book.load(s) for s in book.submissions()]
    return {
        r.submission: {
            (e.module, i.name): (i.status, i.points, i.message)
            for e in r.results.exercises
            for i in e.items
        }
        for r in results
        if r is not None
    }


def _without_timing(path: Path) -> object:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("execution_time")
    return data


def _report(out: Path) -> str:
    """report.html without the minute it was generated."""
    html = (out / "report.html").read_text(encoding="utf-8")
    stamped = re.subn(r"generated \d{4}-\d\d-\d\d \d\d:\d\d", "generated", html)
    assert stamped[1] == 1
    return stamped[0]


# The slices ------------------------------------------------------------------------------


def test_a_shard_is_chosen_by_the_id_alone():
    ids = [f"learner{n:03}" for n in range(400)]
    slices = {k: [i for i in ids if Shard(k, 4).holds(i)] for k in range(1, 5)}
    assert sorted(i for s in slices.values() for i in s) == ids  # each in exactly one
    assert all(60 < len(s) < 140 for s in slices.values()), {k: len(s) for k, s in slices.items()}
    # Pinned: the same on every machine, Python and process (no hash randomisation).
    assert [shard_of(name, 4) for name in ("alice", "bob", "ivan", "jo")] == [4, 3, 1, 1]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("2/4", Shard(2, 4)), (" 1 / 1 ", Shard(1, 1)), ("256/256", Shard(256, 256))],
)
def test_a_shard_spec_reads_k_of_n(spec, expected):
    assert Shard.parse(spec) == expected
    assert str(expected) == spec.replace(" ", "")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("0/4", "K from 1 to N"),
        ("5/4", "shard 5/4 does not exist"),
        ("1/0", "N of 1 or more"),
        ("2", "write K/N"),
        ("a/b", "JOB_COMPLETION_INDEX counts from 0"),
    ],
)
def test_a_bad_shard_is_refused_before_anything_is_graded(tmp_path, spec, message):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["grade", str(ROOT / "examples/submissions"), "--out", str(out), "--shard", spec]
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split()), result.output
    assert not out.exists()


def test_a_shard_needs_a_seed(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["grade", str(ROOT / "examples/submissions"), "--out", str(out), "--shard", "1/4"]
    )
    assert result.exit_code == 2
    assert "--shard needs --seed" in result.output
    assert not out.exists()
    with pytest.raises(ValueError, match="needs a seed"):
        grade_batch(
            ROOT / "examples/submissions", out / "g.sqlite", BatchOptions(shard=Shard(1, 4))
        )


def test_the_whole_folder_is_surveyed_even_for_one_shard(tmp_path):
    # ivy holds no exercise module and is shard 3's only submission: a folder of ivy
    # alone would be refused, but the folder also holds jo's (shard 1), so it is graded.
    subs = tmp_path / "subs"
    _learner(subs, "ivy", {"notes": "print('no exercise here')\n"})
    _learner(subs, "jo", {"ex02_gather": exercise("ex02_gather").solution})
    assert (shard_of("ivy", 4), shard_of("jo", 4)) == (3, 1)
    options = BatchOptions(jobs=1, limits=Limits(timeout=20), seed=1, shard=Shard(3, 4))
    run = grade_batch(subs, tmp_path / "out" / "gradebook.sqlite", options)
    assert [(r.submission, r.status) for r in run.results] == [("ivy", "rejected")]
    empty = grade_batch(
        subs, tmp_path / "two" / "gradebook.sqlite", BatchOptions(seed=1, shard=Shard(2, 4))
    )
    assert empty.results == [] and empty.graded == []


# Four shards merged equal one run --------------------------------------------------------


@pytest.mark.slow
def test_four_shards_merged_give_the_grades_of_one_run(graded, tmp_path):
    root, shards = graded["root"], graded["shards"]
    whole = root / "whole"
    sizes = [len(_items(out)) for out in shards]
    assert all(sizes) and sum(sizes) == 11, sizes  # every shard graded some, none twice
    code, output = _merge(*shards, "--out", tmp_path / "merged")
    assert code == 0, output
    assert "merged shards 1, 2, 3 and 4 of 4 (11 of 11 submissions" in output
    merged = tmp_path / "merged"
    expected = _items(whole)
    assert _items(merged) == expected  # every item's status, points and message
    assert {s: sum(p for _, p, _ in items.values()) for s, items in expected.items()}["ada"] == 30
    assert (merged / "grades.csv").read_bytes() == (whole / "grades.csv").read_bytes()
    assert _report(merged) == _report(whole)
    for folder in ("feedback", "results"):
        assert sorted(p.name for p in (merged / folder).iterdir()) == sorted(
            p.name for p in (whole / folder).iterdir()
        )
    for path in (whole / "feedback").iterdir():
        assert (merged / "feedback" / path.name).read_bytes() == path.read_bytes(), path.name
    for path in (whole / "results").iterdir():
        assert _without_timing(merged / "results" / path.name) == _without_timing(path)
    # The merged output is itself a complete run: merging it again changes nothing.
    code, output = _merge(merged, "--out", tmp_path / "again")
    assert code == 0, output
    assert (tmp_path / "again" / "grades.csv").read_bytes() == (whole / "grades.csv").read_bytes()


@pytest.mark.slow
def test_a_shard_records_what_it_is(graded):
    with Gradebook(graded["shards"][1] / "gradebook.sqlite") as book:
        facts = book.batch()
        held = book.submissions()
    assert (facts["shards"], facts["of"], facts["seed"]) == ([2], 4, int(SEED))
    assert [entry[0] for entry in facts["folder"]] == sorted(
        ["ada", "bea", "cy", "dan", "eve", "fay", "gus", "hal", "ivy", "jo", "kim"]
    )
    assert held == ["bea", "dan", "gus"]


# What merge refuses ----------------------------------------------------------------------


def _copy(shards: list[Path], tmp_path: Path) -> list[Path]:
    copies = []
    for shard in shards:
        shutil.copytree(shard, tmp_path / shard.name)
        copies.append(tmp_path / shard.name)
    return copies


def _sql(out: Path, statement: str, *args: object) -> None:
    db = sqlite3.connect(out / "gradebook.sqlite")
    db.execute(statement, args)
    db.commit()
    db.close()


def _refused(*args: str | Path) -> str:
    code, output = _merge(*args, "--out", args[0].parent / "merged")  # type: ignore[union-attr]
    assert code == 2, output
    assert not (args[0].parent / "merged").exists()  # type: ignore[union-attr]
    return " ".join(output.split())


@pytest.mark.slow
def test_missing_shards_are_named_and_refused_unless_partial(graded, tmp_path):
    _, two, _, four = graded["shards"]
    message = _refused(two, four)
    assert "shards 1 and 3 of 4 are missing, with 5 of the 11 submissions" in message
    assert "--allow-partial" in message
    code, output = _merge(two, four, "--out", tmp_path / "partial", "--allow-partial")
    assert code == 0, output
    assert "warning: shards 1 and 3 of 4 are missing" in output
    rows = (tmp_path / "partial" / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["bea", "dan", "eve", "fay", "gus", "hal"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (
            lambda out: _sql(out, "UPDATE batch SET value = '7' WHERE key = 'seed'"),
            f"graded with different seeds: {{one}} (shard 1 of 4) with --seed {SEED}, "
            "{two} (shard 2 of 4) with --seed 7",
        ),
        (
            lambda out: _sql(out, "UPDATE batch SET value = 'null' WHERE key = 'seed'"),
            "{two} (shard 2 of 4) was graded without --seed",
        ),
        (
            lambda out: _sql(out, "UPDATE batch SET value = '\"0.0.9+abc\"' WHERE key = 'kit'"),
            "graded by different kits: {one} (shard 1 of 4) was graded by kit 0.1",
        ),
        (
            lambda out: _sql(
                out,
                "UPDATE batch SET value = json_quote(json_extract(value, '$') || '+unsandboxed')"
                " WHERE key = 'kit'",
            ),
            "{two} (shard 2 of 4) was graded without the sandbox (--no-sandbox)",
        ),
        (
            lambda out: _sql(out, "UPDATE batch SET value = '3' WHERE key = 'of'"),
            "different splits: {one} (shard 1 of 4) and {two} (shard 2 of 3)",
        ),
        (
            lambda out: _sql(out, "DELETE FROM grades WHERE submission = 'dan'"),
            "{two} (shard 2 of 4) holds no current result for dan",
        ),
        (
            lambda out: _sql(
                out,
                "UPDATE batch SET value = json_remove(value, '$[0]') WHERE key = 'folder'",
            ),
            "saw different submissions folders: ada only in the folder {one} (shard 1 of 4) saw",
        ),
        (
            lambda out: _sql(
                out,
                "UPDATE grades SET result = json_set(result, '$.data_seed', 5) "
                "WHERE submission = 'bea'",
            ),
            "graded bea with seed 5, not with its --seed 2026",
        ),
        (
            lambda out: _sql(out, "DROP TABLE batch"),
            "does not say which shard it holds: it was written by an older",
        ),
        (
            lambda out: (out / "gradebook.sqlite").write_bytes(b"not a database" * 100),
            "gradebook.sqlite is not a gradebook that can be read (file is not a database)",
        ),
        (
            lambda out: (out / "gradebook.sqlite").unlink(),
            "{two} holds no gradebook.sqlite: pass the --out folder",
        ),
    ],
)
def test_shards_of_different_runs_are_refused(graded, tmp_path, tamper, message):
    one, two, three, four = _copy(graded["shards"], tmp_path)
    tamper(two)
    assert message.format(one=one, two=two) in _refused(one, two, three, four)


@pytest.mark.slow
def test_overlapping_shards_must_agree(graded, tmp_path):
    one, two, three, four = _copy(graded["shards"], tmp_path)
    again = tmp_path / "out-2-again"
    _grade(str(graded["subs"]), "--shard", "2/4", "--out", str(again))  # graded anew
    code, output = _merge(one, two, again, three, four, "--out", tmp_path / "merged")
    assert code == 0, output  # the same shard twice, in agreement: merged once
    assert (tmp_path / "merged" / "grades.csv").read_bytes() == (
        graded["root"] / "whole" / "grades.csv"
    ).read_bytes()
    shutil.rmtree(tmp_path / "merged")
    with Gradebook(again / "gradebook.sqlite") as book:
        bea = book.load("bea")
        assert bea is not None
        gather = bea.results.exercise("ex02_gather")
        item = next(i for i in gather.items if i.status == "failed")
        item.status = "passed"
        book.save(bea)
    message = _refused(one, two, again, three, four)
    assert f"{two} (shard 2 of 4) and {again} (shard 2 of 4) both hold bea and disagree" in message
    assert f"ex02_gather {item.name}: failed 0 against passed" in message


def test_merge_refuses_without_a_gradebook(tmp_path):
    with pytest.raises(MergeRefused, match="no shard outputs were given"):
        merge_shards([])
    (tmp_path / "empty").mkdir()
    with pytest.raises(MergeRefused, match="holds no gradebook.sqlite"):
        merge_shards([tmp_path / "empty"])
    with pytest.raises(MergeRefused, match="out-9 does not exist"):
        merge_shards([tmp_path / "out-9"])


# The example workflows -------------------------------------------------------------------


def _load(name: str) -> list[dict]:
    with (EXAMPLES / name).open(encoding="utf-8") as file:
        return [doc for doc in yaml.safe_load_all(file) if doc]


def test_the_actions_matrix_grades_every_shard_then_merges():
    (workflow,) = _load("github-actions.yml")
    jobs = workflow["jobs"]
    grade, merge = jobs["grade"], jobs["merge"]
    shards = grade["strategy"]["matrix"]["shard"]
    run = " ".join(step.get("run", "") for step in grade["steps"])
    match = re.search(r"asynclings grade (\S+) --shard \$\{\{ matrix\.shard \}\}/(\d+)", run)
    assert match, run
    count = int(match[2])
    assert shards == list(range(1, count + 1)) and count <= 256
    assert "--seed" in run and "--out out-${{ matrix.shard }}" in run
    assert grade["strategy"]["fail-fast"] is False
    uploads = [s for s in grade["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads and uploads[0]["with"]["name"] == "out-${{ matrix.shard }}"
    assert uploads[0]["with"]["path"] == "out-${{ matrix.shard }}"
    assert merge["needs"] == "grade" or merge["needs"] == ["grade"]
    downloads = [
        s for s in merge["steps"] if s.get("uses", "").startswith("actions/download-artifact")
    ]
    assert downloads and downloads[0]["with"]["pattern"] == "out-*"
    target = downloads[0]["with"]["path"]
    merge_run = " ".join(step.get("run", "") for step in merge["steps"])
    assert f"asynclings merge {target}/out-* --out" in merge_run
    # Every job grades with the one seed of the run.
    assert "${{ inputs.seed }}" in json.dumps(workflow["env"])


def test_the_kubernetes_indexed_job_maps_its_index_to_a_shard():
    (job,) = _load("kubernetes-grade-job.yaml")
    assert job["kind"] == "Job" and job["spec"]["completionMode"] == "Indexed"
    count = job["spec"]["completions"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    command = " ".join(container["command"])
    assert f"--shard $((JOB_COMPLETION_INDEX + 1))/{count}" in command
    assert "--seed" in command and "out-$((JOB_COMPLETION_INDEX + 1))" in command
    # Kubernetes numbers 0..N-1; the shell maps each to 1..N, which Shard accepts.
    assert [str(Shard.parse(f"{index + 1}/{count}")) for index in (0, count - 1)] == [
        f"1/{count}",
        f"{count}/{count}",
    ]
    (merge,) = _load("kubernetes-merge-job.yaml")
    (merger,) = merge["spec"]["template"]["spec"]["containers"]
    assert "asynclings merge /data/shards/out-* --out /data/grades" in " ".join(merger["command"])
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for doc in (job, merge)
        for v in doc["spec"]["template"]["spec"]["volumes"]
    }
    assert len(claims) == 1  # both see the same shards folder


def _shell(command: str, cwd: Path, **env: str) -> None:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    done = subprocess.run(
        ["sh", "-c", command],
        cwd=cwd,
        env={**os.environ, "PATH": path, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (command, done.stdout, done.stderr)


def _small_class(root: Path) -> Path:
    subs = root / "submissions"
    _learner(subs, "jo", {"ex02_gather": exercise("ex02_gather").solution})
    _learner(subs, "bea", {"ex02_gather": MUTANTS / "ex02_gather" / "sequential.py"})
    _learner(subs, "ivy", {"notes": "print('no exercise here')\n"})
    return subs


@pytest.mark.slow
def test_the_actions_commands_grade_and_merge_a_class(tmp_path):
    (workflow,) = _load("github-actions.yml")
    _small_class(tmp_path)
    grade = next(
        s["run"] for s in workflow["jobs"]["grade"]["steps"] if "--shard" in s.get("run", "")
    )
    for shard in workflow["jobs"]["grade"]["strategy"]["matrix"]["shard"]:
        _shell(grade.replace("${{ matrix.shard }}", str(shard)), tmp_path, SEED=SEED)
        shutil.copytree(tmp_path / f"out-{shard}", tmp_path / "shards" / f"out-{shard}")
    merge = next(
        s["run"] for s in workflow["jobs"]["merge"]["steps"] if "merge" in s.get("run", "")
    )
    _shell(merge, tmp_path)
    _shell(f"asynclings grade submissions --seed {SEED} --out whole", tmp_path)
    merged = (tmp_path / "grades" / "grades.csv").read_bytes()
    assert merged == (tmp_path / "whole" / "grades.csv").read_bytes()
    assert b"jo,0,10," in merged


@pytest.mark.slow
def test_the_kubernetes_commands_grade_and_merge_a_class(tmp_path):
    (job,) = _load("kubernetes-grade-job.yaml")
    (merge,) = _load("kubernetes-merge-job.yaml")
    _small_class(tmp_path)
    (container,) = job["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    grade = container["command"][-1].replace("/data", str(tmp_path))
    for index in range(job["spec"]["completions"]):
        _shell(grade, tmp_path, JOB_COMPLETION_INDEX=str(index), **env)
    (merger,) = merge["spec"]["template"]["spec"]["containers"]
    _shell(merger["command"][-1].replace("/data", str(tmp_path)), tmp_path)
    _shell(f"asynclings grade submissions --seed {env['SEED']} --out whole", tmp_path)
    merged = (tmp_path / "grades" / "grades.csv").read_bytes()
    assert merged == (tmp_path / "whole" / "grades.csv").read_bytes()
    assert b"jo,0,10," in merged
