"""The pytest plugin from the outside: what a learner sees and what pytest returns."""

from __future__ import annotations

import shutil
import textwrap
import time

import pytest

from asynclings.manifest import exercise
from asynclings.run import GRADE_INI
from support import grade_folder

pytest_plugins = ["pytester"]

GATHER = exercise("ex02_gather")


def _write(pytester, name: str, source: str) -> None:
    path = pytester.path / "sub" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")


def _words(result) -> str:
    """The terminal output with every run of white space folded (messages wrap)."""
    return " ".join(result.stdout.str().split())


def _grade(pytester, *args: str):
    return pytester.runpytest_inprocess(
        "sub", "--grade", "-c", str(GRADE_INI), "--rootdir", str(pytester.path), *args
    )


def test_plugin_is_inert_in_a_run_that_is_not_grading(pytester):
    shutil.copyfile(GATHER.solution, pytester.path / "ex02_gather.py")
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_other="def test_plain():\n    assert True\n")
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert "grading exercise modules" not in out and "asynclings score" not in out
    # Even named explicitly, an exercise module is an ordinary module outside grading.
    result = pytester.runpytest_inprocess("ex02_gather.py")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "asynclings score" not in result.stdout.str()


def test_exit_status_is_zero_only_when_every_item_passes(pytester):
    (pytester.path / "sub").mkdir()
    shutil.copyfile(GATHER.solution, pytester.path / "sub" / "ex02_gather.py")
    passing = _grade(pytester)
    assert passing.ret == pytest.ExitCode.OK
    assert "ex02_gather    10/10  complete" in passing.stdout.str()
    shutil.copyfile(GATHER.stub, pytester.path / "sub" / "ex02_gather.py")
    failing = _grade(pytester)
    assert failing.ret == pytest.ExitCode.TESTS_FAILED
    out = failing.stdout.str()
    assert "not implemented yet" in out
    assert "Traceback" not in out and "NotImplementedError\n" not in out
    # The score table closes the run: no list of failed node ids after it.
    assert "FAILED" not in out
    closing = [line for line in out.rstrip().splitlines() if line.strip()]
    assert closing[-2].strip().startswith("total") and "failed" in closing[-1]


def test_failed_time_bound_shows_the_learners_timeline_beside_the_expected_one(pytester):
    _write(
        pytester,
        "ex02_gather.py",
        """
        import asyncio
        async def fetch_all(urls, fetch):
            return [await fetch(url) for url in urls]
        async def fetch_all_settled(urls, fetch):
            return await asyncio.gather(*map(fetch, urls), return_exceptions=True)
        """,
    )
    out = _grade(pytester).stdout.str()
    assert "fetch_all took 6 s for fetches of 3, 1 and 2 s; expected 3 s: that is the sum" in out
    assert "your run (simulated seconds)" in out
    assert "b  |            ====        |  3-4" in out  # learner: b after a
    assert "b  |====                    |  0-1" in out  # expected: b at once


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def broken(:\n    pass\n", "ex02_gather.py does not compile: invalid syntax (line 1"),
        (
            "import json\nvalue = json.loads('{')\n",
            "importing ex02_gather.py failed with JSONDecodeError",
        ),
        ("raise SystemExit(0)\n", "calls sys.exit() / exit() while it is imported (line 1"),
        ("async def fetch_all(urls, fetch):\n    return []\n", "has no `fetch_all_settled`"),
    ],
    ids=["syntax-error", "raises-at-import", "exits-at-import", "missing-name"],
)
def test_a_module_that_cannot_be_graded_fails_its_items_and_spares_the_others(
    pytester, source, expected
):
    _write(pytester, "ex02_gather.py", source)
    shutil.copyfile(
        exercise("ex01_coroutines").solution, pytester.path / "sub" / "ex01_coroutines.py"
    )
    result = _grade(pytester)
    out = result.stdout.str()
    assert expected in out
    assert "ex01_coroutines    10/10  complete" in out
    assert "INTERNALERROR" not in out
    if "has no" not in expected:  # the module as a whole: its reason once, not per item
        assert _words(result).count(expected) == 1
        assert "DOES NOT LOAD none of its 8 items could run: 0 points" in _words(result)
        assert "ex02_gather 0/10 does not load" in _words(result)


def test_a_file_that_is_not_utf8_gets_a_clear_message(pytester):
    (pytester.path / "sub").mkdir()
    (pytester.path / "sub" / "ex02_gather.py").write_bytes(b"# caf\xe9\nx = 1\n")
    out = _grade(pytester).stdout.str()
    assert "ex02_gather.py is not valid UTF-8 text (byte 5, line 1)" in out


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "    import time\n    time.sleep(0.01)\n    return []",
            "time.sleep() blocks the event loop",
        ),
        (
            "    import asyncio\n    return asyncio.run(asyncio.sleep(0))",
            "asyncio.run() was called inside a running event loop",
        ),
        ("    fetch(urls[0])\n    return []", "was called but never awaited"),
        (
            "    import asyncio\n    await asyncio.Event().wait()",
            "deadlock at t=0 s: every task is waiting and nothing can wake it",
        ),
        (
            "    import asyncio\n    while True:\n        await asyncio.sleep(1)",
            "still running after 3600 simulated seconds",
        ),
        (
            "    return await fetch_all_settled(urls, fetch)",
            "`fetch_all_settled` raised ValueError: nope",
        ),
    ],
    ids=["time-sleep", "asyncio-run", "never-awaited", "deadlock", "endless", "other-error"],
)
def test_classic_pitfalls_are_explained(pytester, body, expected):
    _write(
        pytester,
        "ex02_gather.py",
        f"async def fetch_all(urls, fetch):\n{body}\n\n"
        "async def fetch_all_settled(urls, fetch):\n    raise ValueError('nope')\n",
    )
    assert expected in _words(_grade(pytester))


def test_lock_bound_to_another_loop_is_explained(pytester):
    _write(
        pytester,
        "ex05_lock_counter.py",
        """
        import asyncio
        LOCK = asyncio.Lock()  # created once, shared by every Counter and every loop

        class Counter:
            def __init__(self, store, key):
                self.store, self.key = store, key

            async def increment(self, amount=1):
                async with LOCK:
                    value = await self.store.read(self.key) + amount
                    await self.store.write(self.key, value)
                    return value

            async def value(self):
                return await self.store.read(self.key)
        """,
    )
    assert "bound to a different event loop" in _words(_grade(pytester))


def test_a_busy_loop_blows_the_cpu_time_budget(pytester):
    _write(
        pytester,
        "ex02_gather.py",
        """
        async def fetch_all(urls, fetch):
            for _ in range(3 * 10**7):
                pass
            return []
        async def fetch_all_settled(urls, fetch):
            return []
        """,
    )
    out = _words(_grade(pytester, "-o", "asynclings_budget_scale=0.02", "-k", "empty"))
    assert "over this item's budget of 0.1 s" in out


def test_an_endless_busy_wait_is_stopped_at_the_cpu_budget(pytester):
    _write(
        pytester,
        "ex02_gather.py",
        """
        import time
        async def fetch_all(urls, fetch):
            deadline = time.monotonic() + 1   # virtual time never moves while it spins
            while time.monotonic() < deadline:
                try:
                    pass
                except Exception:
                    pass
            return []
        async def fetch_all_settled(urls, fetch):
            return []
        """,
    )
    started = time.perf_counter()
    out = _words(_grade(pytester, "-o", "asynclings_budget_scale=0.02", "-k", "empty"))
    assert time.perf_counter() - started < 5
    assert "used 0.1 s of CPU time, over this item's budget of 0.1 s" in out
    assert "at ex02_gather.py:5" in out


def test_json_results_match_the_terminal_verdicts(tmp_path):
    (tmp_path / "ex02_gather.py").write_text(
        "import asyncio\n"
        "async def fetch_all(urls, fetch):\n"
        "    return await asyncio.gather(*map(fetch, urls), return_exceptions=True)\n"
        "async def fetch_all_settled(urls, fetch):\n"
        "    return await asyncio.gather(*map(fetch, urls), return_exceptions=True)\n",
        encoding="utf-8",
    )
    results = grade_folder(tmp_path)
    gather = results.exercise("ex02_gather")
    assert gather.points == 9 and gather.max_points == 10
    assert results.failed() == {"ex02_gather": {"test_failure_propagates"}}
    (failure,) = [i for i in gather.items if i.status == "failed"]
    assert failure.message.startswith("fetch_all returned")
