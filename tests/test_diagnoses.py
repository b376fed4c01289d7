"""Failure messages that name their cause from what the run did: a worker of ex06 that
swallows the cancellation, a lock of ex05 created inside increment. Also the harness
pieces that find those causes (the learner's swallowing ``except`` clauses, the locks
the learner's module creates and acquires)."""

from __future__ import annotations

import asyncio
import textwrap
import types
from pathlib import Path

import pytest

from asynclings.harness.handlers import quote_handlers, swallowing_handlers
from asynclings.harness.locks import lock_creations, watch_locks
from support import MUTANTS, expected_losses, grade_file


def _line_of(path: Path, text: str) -> int:
    """The number of the first line of ``path`` whose stripped text starts with ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.strip().startswith(text))


def _message(path: Path, module: str, item: str, workdir: Path) -> str:
    result = grade_file(path, module, workdir)
    found = next(i for i in result.items if i.name == item)
    assert found.status == "failed", f"{path.stem} passed {item}"
    return found.message


# ex06: a worker swallows the cancellation -----------------------------------------------

SWALLOWING_WORKERS = [
    (
        "worker_pool_catches_base_exception",
        "A worker catches BaseException, which includes CancelledError",
        "except BaseException as exc:",
    ),
    (
        "awaits_tasks_catching_base_exception",
        "A worker catches BaseException, which includes CancelledError",
        "except BaseException as error:",
    ),
    (
        "worker_bare_except",
        "A worker has a bare `except:`, which catches CancelledError too",
        "except:",
    ),
    (
        "worker_skips_cancelled_fetch",
        "A worker catches CancelledError and does not re-raise it",
        "except asyncio.CancelledError:",
    ),
]


@pytest.mark.parametrize(("mutant", "cause", "clause"), SWALLOWING_WORKERS)
def test_ex06_names_the_worker_that_swallows_the_cancellation(mutant, cause, clause, workdir):
    path = MUTANTS / "ex06_semaphore" / f"{mutant}.py"
    assert expected_losses(path) == {"test_cancellation_propagates"}
    message = _message(path, "ex06_semaphore", "test_cancellation_propagates", workdir)
    # The cause, then the run's fact: the tasks that swallowed it, named in one breath
    # when there are several (which took which url depends on the order of cancelling).
    assert (
        f"{cause}: the task running fetch(" in message
        or (
            f"{cause}: the tasks running fetch('b') and fetch('c') caught their CancelledError "
            "and went on to fetch 'd' and 'e'"
        )
        in message
    )
    assert f"in your file, line {_line_of(path, clause)}: `{clause}`" in message
    assert "after the cancellation it started fetches of 'd' and 'e'" in message


def test_ex06_names_crawl_itself_when_crawl_catches_the_cancellation(workdir):
    path = MUTANTS / "ex06_semaphore" / "swallows_cancellation.py"
    message = _message(path, "ex06_semaphore", "test_cancellation_propagates", workdir)
    assert "returned ['<body of a>', None, None, None, None]" in message
    assert "crawl itself catches CancelledError and does not re-raise it" in message
    assert "A worker" not in message
    line = _line_of(path, "except asyncio.CancelledError:")
    assert f"line {line}: `except asyncio.CancelledError:`" in message


def test_ex06_a_crawl_that_leaves_its_fetches_running_is_not_blamed_on_a_worker(workdir):
    path = MUTANTS / "ex06_semaphore" / "wait_leaves_tasks.py"
    message = _message(path, "ex06_semaphore", "test_cancellation_propagates", workdir)
    assert "were still running" in message
    assert "BaseException" not in message
    assert "caught its CancelledError" not in message


# ex05: a lock created inside increment --------------------------------------------------

PER_CALL_LOCKS = [
    ("lock_per_call", "async with asyncio.Lock():"),
    ("lock_per_call_local", "lock = asyncio.Lock()"),
    ("lock_from_dict_get", "async with self._locks.get(self.key, Lock()):"),
]
RACE = "test_concurrent_increments_lose_no_update"


@pytest.mark.parametrize(("mutant", "creation"), PER_CALL_LOCKS)
def test_ex05_names_a_lock_created_inside_increment(mutant, creation, workdir):
    path = MUTANTS / "ex05_lock_counter" / f"{mutant}.py"
    assert expected_losses(path) == {RACE}
    message = _message(path, "ex05_lock_counter", RACE, workdir)
    assert "update(s) lost" in message
    assert "A lock created inside increment excludes nothing: each of the 5 calls " in message
    assert "acquired a new asyncio.Lock that it had just created itself" in message
    assert "5 different locks in all" in message
    assert f"in your file, line {_line_of(path, creation)}: `{creation}`" in message
    assert "--asynclings-seed 0" in message


@pytest.mark.parametrize(
    "mutant", ["no_lock", "lock_around_read_only", "lock_around_write_only", "returns_fresh_read"]
)
def test_ex05_other_races_are_not_blamed_on_a_per_call_lock(mutant, workdir):
    path = MUTANTS / "ex05_lock_counter" / f"{mutant}.py"
    message = _message(path, "ex05_lock_counter", RACE, workdir)
    assert "created inside increment" not in message


# The harness pieces ---------------------------------------------------------------------


def test_swallowing_handlers_finds_the_clauses_that_keep_a_cancellation(tmp_path):
    source = tmp_path / "code.py"
    source.write_text(
        textwrap.dedent(
            """\
            import asyncio

            async def crawl(urls, fetch):
                async def worker(url):
                    try:
                        return await fetch(url)
                    except (ValueError, BaseException) as exc:
                        return exc
                try:
                    return await worker(urls[0])
                except asyncio.CancelledError:
                    raise TimeoutError from None
                except BaseException as error:
                    log(error)
                    raise error
                finally:
                    pass

            def plain():
                try:
                    pass
                except:
                    pass
                try:
                    pass
                except Exception:
                    pass
                except asyncio.CancelledError:
                    cleanup()
                    raise
            """
        ),
        encoding="utf-8",
    )
    found = swallowing_handlers(source)
    assert [(h.line, h.catches, h.function) for h in found] == [
        (7, "BaseException", "worker"),
        (11, "CancelledError", "crawl"),  # turned into TimeoutError: still swallowed
        (22, "", "plain"),
    ]
    assert found[0].why == "catches BaseException, which includes CancelledError"
    assert quote_handlers(found[2:]) == "\n  in your file, line 22: `except:`"
    assert quote_handlers([]) == ""


def test_swallowing_handlers_of_an_unreadable_file_are_none(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n", encoding="utf-8")
    assert swallowing_handlers(broken) == []
    assert swallowing_handlers(tmp_path / "missing.py") == []


def _module(source: str) -> types.ModuleType:
    module = types.ModuleType("learner_code")
    exec(textwrap.dedent(source), vars(module))
    return module


@pytest.mark.asyncio
async def test_watch_locks_records_who_creates_and_acquires_each_lock():
    module = _module(
        """\
        import asyncio
        from asyncio import Semaphore

        shared = asyncio.Lock()

        async def per_call():
            async with asyncio.Lock():
                await asyncio.sleep(0)

        async def both():
            async with shared:
                async with Semaphore(1):
                    pass
        """
    )
    with watch_locks(module) as log:
        await asyncio.gather(
            asyncio.create_task(module.per_call(), name="first"),
            asyncio.create_task(module.per_call(), name="second"),
            asyncio.create_task(module.both(), name="third"),
        )
    assert [(lock.kind, lock.created_by, lock.acquired_by) for lock in log.locks] == [
        ("asyncio.Lock", "first", ["first"]),
        ("asyncio.Lock", "second", ["second"]),
        ("asyncio.Semaphore", "third", ["third"]),
    ]
    assert [lock.kind for lock in log.acquired_by("third")] == ["asyncio.Semaphore"]
    # The module's own names are put back; asyncio itself never changed.
    assert module.asyncio is asyncio
    assert module.Semaphore is asyncio.Semaphore
    assert type(asyncio.Lock()) is asyncio.locks.Lock


def test_lock_creations_quotes_the_lines_of_one_function(tmp_path):
    source = tmp_path / "code.py"
    source.write_text(
        textwrap.dedent(
            """\
            import asyncio

            class Counter:
                def __init__(self):
                    self._lock = asyncio.Lock()

                async def increment(self):
                    lock = asyncio.Semaphore(1)
                    async with lock:
                        pass
            """
        ),
        encoding="utf-8",
    )
    assert lock_creations(source, "increment") == ["line 8: `lock = asyncio.Semaphore(1)`"]
    assert lock_creations(source, "__init__") == ["line 5: `self._lock = asyncio.Lock()`"]
