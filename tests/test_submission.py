"""Loading learner modules: every way a file can fail to load gets a clear message."""

from __future__ import annotations

import time

import pytest

from asynclings.submission import Learner, SubmissionProblem, load


def _file(tmp_path, source: str | bytes, name: str = "ex02_gather.py"):
    path = tmp_path / name
    if isinstance(source, bytes):
        path.write_bytes(source)
    else:
        path.write_text(source, encoding="utf-8")
    return path


def test_a_hanging_import_is_abandoned_with_a_reason(tmp_path):
    path = _file(tmp_path, "import time\nwhile True:\n    time.sleep(0.01)\n")
    started = time.perf_counter()
    with pytest.raises(SubmissionProblem, match="did not finish within 0.3 s"):
        load(path, timeout=0.3)
    assert time.perf_counter() - started < 2
    with pytest.raises(SubmissionProblem, match="did not finish"):  # remembered, not retried
        load(path, timeout=0.3)


def test_missing_file_is_not_submitted(tmp_path):
    with pytest.raises(SubmissionProblem, match="ex02_gather.py was not submitted"):
        load(tmp_path / "ex02_gather.py")


def test_null_bytes_do_not_crash_the_loader(tmp_path):
    with pytest.raises(SubmissionProblem, match="does not compile"):
        load(_file(tmp_path, b"x = 1\x00\n"))


def test_same_names_in_two_folders_load_as_two_modules(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = load(_file(tmp_path / "a", "VALUE = 1\n"))
    second = load(_file(tmp_path / "b", "VALUE = 2\n"))
    assert (first.VALUE, second.VALUE) == (1, 2)


def test_learner_names_what_is_missing_and_what_is_defined(tmp_path):
    learner = Learner(_file(tmp_path, "def fetch_all(urls, fetch):\n    pass\n"))
    with pytest.raises(SubmissionProblem, match=r"has no `fetch_all_settled`.*defined: fetch_all"):
        learner.fetch_all_settled
