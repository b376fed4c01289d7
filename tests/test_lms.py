"""LMS gradebooks: canvas.csv, moodle.csv and blackboard.csv against each import
format, the roster's checks, and scores equal to grades.csv's for the same batch."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from asynclings.cli import main
from asynclings.grading.gradebook import Gradebook
from asynclings.integrations.lms import LmsOptions, RosterError, load_roster, write_lms_exports
from asynclings.manifest import exercise, exercises
from support import ROOT

MODULES = [e.module for e in exercises()]
ROSTER = """\
submission,name,canvas_id,sis_user_id,sis_login_id,section,email,username,idnumber
reference,"Lovelace, Ada",101,S-1,ada,Section A,Ada.Lovelace@Example.edu,alovelace,1001
stubs,"Hopper, Grace",102,S-2,grace,Section A,grace@example.edu,ghopper,1002
broken,"Turing, Alan",103,S-3,alan,Section B,alan@example.edu,aturing,1003
mutant,"Liskov, Barbara",,,,,barbara@example.edu,bliskov,1004
zed,"Zuse, Konrad",105,S-5,konrad,Section B,konrad@example.edu,kzuse,1005
"""
"""``walk-in`` submitted but is not listed; ``zed`` is listed but did not submit;
``mutant`` has no Canvas identity."""


def _batch(root: Path) -> Path:
    subs = root / "subs"
    for learner, modules in {
        "reference": {e.module: e.solution for e in exercises()},
        "stubs": {e.module: e.stub for e in exercises()},
        "mutant": {
            "ex01_coroutines": exercise("ex01_coroutines").solution,
            "ex02_gather": ROOT / "tests" / "mutants" / "ex02_gather" / "sequential.py",
        },
        "walk-in": {"ex01_coroutines": exercise("ex01_coroutines").solution},
    }.items():
        (subs / learner).mkdir(parents=True)
        for module, source in modules.items():
            shutil.copyfile(source, subs / learner / f"{module}.py")
    (subs / "broken").mkdir()
    (subs / "broken" / "ex02_gather.py").write_text("def fetch_all(:\n", encoding="utf-8")
    return subs


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``asynclings grade SUBS --out OUT --roster roster.csv ...`` on a small class."""
    root = tmp_path_factory.mktemp("lms")
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    out = root / "out"
    result = CliRunner().invoke(
        main,
        [
            "grade",
            str(_batch(root)),
            "--out",
            str(out),
            "--roster",
            str(root / "roster.csv"),
            "--canvas-assignment-id",
            "1234",
            "--blackboard-column-id",
            "_5678_1",
        ],
    )
    assert result.exit_code == 0, result.output
    return out, " ".join(result.output.split())


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def _totals(out: Path) -> dict[str, str]:
    with (out / "grades.csv").open(encoding="utf-8", newline="") as file:
        return {row["submission"]: row["total"] for row in csv.DictReader(file)}


def test_the_batch_scores_what_the_fixture_says(graded):
    out, _ = graded
    totals = _totals(out)
    assert totals["reference"] == "100" and totals["stubs"] == "0" and totals["broken"] == "0"
    assert 0 < float(totals["mutant"]) < 20 and totals["walk-in"] == "10"


def test_canvas_csv_is_the_gradebook_import_format(graded):
    out, _ = graded
    rows = _read(out / "canvas.csv")
    assert rows[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "asyncio exercises (1234)",
    ]
    assert rows[1] == ["    Points Possible", "", "", "", "", "100"]
    learners = {row[0]: row for row in rows[2:]}
    totals = _totals(out)
    assert learners == {
        "Lovelace, Ada": ["Lovelace, Ada", "101", "S-1", "ada", "Section A", totals["reference"]],
        "Hopper, Grace": ["Hopper, Grace", "102", "S-2", "grace", "Section A", totals["stubs"]],
        "Turing, Alan": ["Turing, Alan", "103", "S-3", "alan", "Section B", totals["broken"]],
    }
    for row in rows[1:]:
        assert 0 <= float(row[5]) <= 100


def test_moodle_csv_has_the_identifiers_moodle_maps_from(graded):
    out, _ = graded
    rows = _read(out / "moodle.csv")
    assert rows[0] == ["Name", "Email address", "Username", "ID number", "asyncio exercises"]
    totals = _totals(out)
    by_username = {row[2]: row for row in rows[1:]}
    assert set(by_username) == {"alovelace", "ghopper", "aturing", "bliskov"}
    assert by_username["bliskov"] == [
        "Liskov, Barbara",
        "barbara@example.edu",
        "bliskov",
        "1004",
        totals["mutant"],
    ]
    # the address is written as in the roster: Moodle compares it case by case
    assert by_username["alovelace"][1] == "Ada.Lovelace@Example.edu"
    assert by_username["alovelace"][4] == totals["reference"] == "100"


def test_blackboard_csv_has_username_column_ids_and_every_value_quoted(graded):
    out, _ = graded
    text = (out / "blackboard.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == '"Username","asyncio exercises [Total Pts: 100 Score] |_5678_1"'
    totals = _totals(out)
    assert '"alovelace","100"' in lines and f'"bliskov","{totals["mutant"]}"' in lines
    for line in lines:
        assert line.startswith('"') and line.endswith('"') and line.count('","') == 1
    assert {row[0] for row in _read(out / "blackboard.csv")[1:]} == {
        "alovelace",
        "ghopper",
        "aturing",
        "bliskov",
    }


def test_unmatched_learners_are_listed_never_dropped(graded):
    out, output = graded
    report = " ".join((out / "roster-report.txt").read_text(encoding="utf-8").split())
    for text in (report, output):
        assert "not in the roster, so in no LMS file (1): walk-in;" in text
        assert "in the roster but with no submission in the batch (1)" in text
        assert "zed (Zuse, Konrad), line 6" in text
        assert "left out of canvas.csv, with no Canvas identity in the roster (1): mutant" in text
        assert "Moodle matches email addresses case-sensitively: Ada.Lovelace@Example.edu" in text
    for name in ("canvas.csv", "moodle.csv", "blackboard.csv"):
        content = (out / name).read_text(encoding="utf-8")
        assert "walk-in" not in content and "Zuse" not in content and "kzuse" not in content


def test_per_exercise_columns_add_up_to_the_total(graded, tmp_path):
    out, _ = graded
    with Gradebook(out / "gradebook.sqlite") as book:
        results = [book.load(s) for s in book.submissions()]
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    options = LmsOptions(assignment="Async", canvas_assignment_id="9", per_exercise=True)
    write_lms_exports([r for r in results if r], load_roster(roster), tmp_path, options)
    rows = _read(tmp_path / "canvas.csv")
    assert rows[0][5:] == ["Async (9)", *(f"Async: {m}" for m in MODULES)]
    assert rows[1][5:] == ["100", *["10"] * len(MODULES)]
    with (out / "grades.csv").open(encoding="utf-8", newline="") as file:
        grades = {row["submission"]: row for row in csv.DictReader(file)}
    names = {"Lovelace, Ada": "reference", "Hopper, Grace": "stubs", "Turing, Alan": "broken"}
    for row in rows[2:]:
        expected = grades[names[row[0]]]
        assert row[5:] == [expected["total"], *(expected[m] for m in MODULES)]
        assert sum(float(v) for v in row[6:]) == float(row[5])
    header = _read(tmp_path / "blackboard.csv")[0]
    assert header[1] == "Async [Total Pts: 100 Score]"
    assert header[2] == "Async: ex01_coroutines [Total Pts: 10 Score]"


def test_a_roster_with_one_system_writes_only_that_file(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Submission,Blackboard_Username\nann,ann01\n", encoding="utf-8")
    report = write_lms_exports([], load_roster(roster), tmp_path / "out", LmsOptions())
    assert [p.name for p in report.written] == ["blackboard.csv"]
    assert _read(tmp_path / "out" / "blackboard.csv") == [
        ["Username", "asyncio exercises [Total Pts: 100 Score]"]
    ]
    text = (tmp_path / "out" / "roster-report.txt").read_text(encoding="utf-8")
    assert "no canvas.csv: the roster has none of its identity columns" in text
    assert "ann, line 2" in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty: it needs a header row with at least a 'submission' column"),
        (b"submission,email\n", "has a header but no learners"),
        (b"name,email\nAda,a@x.org\n", "has no 'submission' column"),
        (b"submission,name\nada,Ada\n", "has no identity column, so no LMS could match"),
        (b"submission,emial\nada,a@x.org\n", "has the column 'emial', which asynclings"),
        (b"submission,email,email\nada,a,b\n", "has the column 'email' twice"),
        (
            b"submission,email\nada,a@x.org\nada,b@x.org\n",
            "has submission 'ada' twice, on lines 2 and 3",
        ),
        (b"submission,email\nada,A@x.org\nbob,a@X.org\n", "has email 'a@X.org' twice"),
        (b"submission,email\n,a@x.org\n", "line 2 of the roster"),
        (b"submission,email\nada,a@x.org,extra\n", "has 3 values but the header names 2"),
        ("submission,email\nzoë,z@x.org\n".encode("latin-1"), "is not UTF-8 text (line 2"),
    ],
    ids=[
        "empty",
        "header-only",
        "no-submission-column",
        "no-identity",
        "unknown-column",
        "column-twice",
        "duplicate-id",
        "duplicate-email-any-case",
        "blank-id",
        "ragged",
        "latin-1",
    ],
)
def test_a_bad_roster_is_refused_with_what_to_fix(tmp_path, content, message):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(content)
    with pytest.raises(RosterError) as raised:
        load_roster(roster)
    assert message in str(raised.value)


def test_a_utf8_roster_with_a_byte_order_mark_and_quoted_newlines_loads(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes('\ufeffsubmission,name,username\nzoë,"Zoë\nZ.",zz\n'.encode())
    (entry,) = load_roster(roster).entries
    assert (entry.submission, entry.name, entry.username) == ("zoë", "Zoë\nZ.", "zz")


def test_the_cli_refuses_a_bad_roster_before_grading(tmp_path):
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    shutil.copyfile(exercise("ex01_coroutines").solution, tmp_path / "subs" / "ada" / "x.py")
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nAda,a@x.org\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["grade", str(tmp_path / "subs"), "--out", str(out), "--roster", str(roster)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "not graded: the roster" in result.output and "has no 'submission' column" in (
        result.output
    )
    assert not out.exists()
    result = CliRunner().invoke(main, [*args[:-1], str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "missing.csv does not exist" in result.output
