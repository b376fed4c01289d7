"""The pytest plugin: grade exercise modules with the graders, explain, and score.

Options and ini settings
------------------------
``asynclings_dirs`` (ini, paths)
    Folders whose exercise modules are graded when pytest collects them. The kit's
    ``pyproject.toml`` names ``exercises`` and ``solutions``: ``pytest exercises/``
    grades the learner's stubs, ``pytest solutions/`` the reference.
``--grade``
    Grade every exercise module (``ex02_gather.py``...) found in the given paths, at any
    depth: ``pytest --grade path/to/submission``.
``--asynclings-seed N``
    Race items run only interleaving seed ``N`` (to replay a reported failure).
``--asynclings-json PATH``
    Also write the results model as JSON.
``asynclings_budget_scale`` (ini, float, default 1)
    Multiplies every item's CPU-time budget: raise it on a very slow grading machine.
    Simulated-time verdicts do not depend on it.

The plugin is inert in any run that sets neither ``asynclings_dirs`` nor ``--grade``: it
adds no tests, no hooks with effects and no output.

How grading works
-----------------
A file named like an exercise module becomes an :class:`ExerciseModule`: a pytest module
whose tests are the grader's rubric items (``graders/ex02_gather.py``), run against that
file. Graders receive the file as the ``learner`` fixture and a fresh simulated
:class:`~asynclings.harness.World` as ``world``. Async items run on a fresh
:class:`~asynclings.harness.VirtualLoop` through pytest-asyncio's loop-factory hook.
Around each item: a CPU-time budget, blocking-call detection (blockbuster,
scanning only the learner's files) and pytest-timeout as the backstop against hangs.
Every outcome becomes an :class:`~asynclings.results.ItemResult`; the run closes with
the per-exercise verdicts and a score table.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import functools
import re
import signal
import threading
import time
import types
import warnings
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from .feedback import explain, module_problem, never_awaited_note
from .guard import GUARD_KEY, Guard, tampered_message
from .harness import fakes
from .harness.blocking import LoopStuck, detect_blocking, where_stuck
from .harness.checks import RubricFailure, seconds
from .harness.fakes import FakeFetch
from .harness.loop import VirtualLoop, virtual_clocks
from .harness.world import World
from .manifest import Exercise, exercises
from .results import ExerciseResult, ItemResult, Results
from .rubric import CpuBudgetExceeded, RubricItem, load_grader, rubric_item_of
from .submission import Learner, forget_loaded

__all__ = ["ExerciseModule", "learner", "world"]


# Options ------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("asynclings", "asynclings grading")
    group.addoption(
        "--grade",
        action="store_true",
        default=False,
        help="grade every exercise module (ex02_gather.py ...) found in the given paths",
    )
    group.addoption(
        "--asynclings-seed",
        type=int,
        default=None,
        metavar="N",
        help="race items run only this interleaving seed (replay a reported failure)",
    )
    group.addoption(
        "--asynclings-data-seed",
        type=int,
        default=None,
        metavar="N",
        help="draw the fakes' results from seed N (batch grading draws one per submission)",
    )
    group.addoption(
        "--asynclings-json",
        default=None,
        metavar="PATH",
        help="also write the grading results as JSON to PATH",
    )
    parser.addini(
        "asynclings_budget_scale",
        default="1",
        help="multiplies every rubric item's real wall-clock budget (slow machines)",
    )
    parser.addini(
        "asynclings_dirs",
        type="paths",
        default=[],
        help="folders whose exercise modules are graded when collected",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "asynclings_item(points, budget, horizon): a rubric item of a grader"
    )
    grade_dirs = [Path(p) for p in config.getini("asynclings_dirs")]
    if config.getoption("grade") or grade_dirs:
        config.pluginmanager.register(Grading(config, grade_dirs), "asynclings-grading")


# Collection ---------------------------------------------------------------------------


class ExerciseModule(pytest.Module):
    """A learner's exercise file, collected as the tests of its grader."""

    exercise: Exercise

    def _getobj(self) -> types.ModuleType:
        return load_grader(self.exercise)


def _rubric_item(item: pytest.Item) -> RubricItem | None:
    if not isinstance(item, pytest.Function) or item.getparent(ExerciseModule) is None:
        return None
    return rubric_item_of(item.obj)


# Fixtures -----------------------------------------------------------------------------


@pytest.fixture
def learner(request: pytest.FixtureRequest) -> Learner:
    """The learner's module under grading (loaded on first use)."""
    node = request.node.getparent(ExerciseModule)
    if node is None:
        pytest.fail("the `learner` fixture exists only in rubric items of a grader")
    return Learner(node.path)


@pytest.fixture
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """A fresh simulated world for one rubric item (its fakes are checked at the end)."""
    world = World(
        replay_seed=request.config.getoption("asynclings_seed"),
        data_seed=request.config.getoption("asynclings_data_seed"),
    )
    yield world
    world.verify()


# Grading ------------------------------------------------------------------------------


class Grading:
    """Hooks that run only in a grading session, and the verdicts they collect."""

    def __init__(self, config: pytest.Config, grade_dirs: list[Path]) -> None:
        self.config = config
        self.grade_all = bool(config.getoption("grade"))
        self.grade_dirs = [d.resolve() for d in grade_dirs]
        self.modules = {exercise.module: exercise for exercise in exercises()}
        self.items: dict[str, ItemResult] = {}
        self.budget_scale = float(config.getini("asynclings_budget_scale"))
        self.files: dict[str, Path] = {}
        """Exercise module file of each graded item (by node id)."""
        self.collected: list[pytest.Item] = []
        self.learner_files: list[str] = []
        self.interrupted = False
        """Ctrl-C stopped the run: the results cover only the items that ran."""
        self.guard: Guard | None = None
        """Integrity checks and tripwires, in batch grading processes only."""

    # Which files are graded

    def _exercise_for(self, path: Path) -> Exercise | None:
        if path.suffix != ".py" or path.stem not in self.modules:
            return None
        resolved = path.resolve()
        if self.grade_all or any(resolved.is_relative_to(d) for d in self.grade_dirs):
            return self.modules[path.stem]
        return None

    def _collector(self, path: Path, parent: pytest.Collector) -> ExerciseModule | None:
        exercise = self._exercise_for(path)
        if exercise is None:
            return None
        module: ExerciseModule = ExerciseModule.from_parent(parent, path=path)
        module.exercise = exercise
        return module

    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(
        self, module_path: Path, parent: pytest.Collector
    ) -> ExerciseModule | None:
        # Files pytest's python plugin collects itself (named on the command line, or
        # matching python_files) come here instead of pytest_collect_file.
        return self._collector(module_path, parent)

    def pytest_collect_file(
        self, file_path: Path, parent: pytest.Collector
    ) -> ExerciseModule | None:
        python_plugin_collects = parent.session.isinitpath(file_path) or any(
            fnmatch.fnmatch(file_path.name, pattern)
            for pattern in self.config.getini("python_files")
        )
        if python_plugin_collects:
            return None
        return self._collector(file_path, parent)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.collected = [item for item in items if _rubric_item(item) is not None]
        for item in items:
            rubric = _rubric_item(item)
            if rubric is not None and item.get_closest_marker("timeout") is None:
                # The backstop against a hang that the budget cannot see (a busy loop
                # that never returns); generous so that it never decides a normal run.
                budget = rubric.budget * self.budget_scale
                item.add_marker(pytest.mark.timeout(budget * 2 + 10))

    def pytest_report_header(self) -> str:
        return "asynclings: grading exercise modules with the kit's graders"

    # Running items

    @staticmethod
    def _file(item: pytest.Item) -> Path:
        module = item.getparent(ExerciseModule)
        assert module is not None
        return module.path

    @pytest.hookimpl(trylast=True)
    def pytest_asyncio_loop_factories(
        self, config: pytest.Config, item: pytest.Item
    ) -> dict[str, Any]:
        rubric = _rubric_item(item)
        if rubric is None:
            return {"asyncio": _default_loop}
        return {"virtual": functools.partial(VirtualLoop, horizon=rubric.horizon)}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        learner_files = sorted(
            {str(self._file(item)) for item in session.items if _rubric_item(item) is not None}
        )
        if not learner_files:  # nothing to grade: leave the process as it is
            return (yield)
        self.guard = self.config.stash.get(GUARD_KEY, None)
        guard = self.guard
        self.learner_files = learner_files
        with virtual_clocks(), detect_blocking(learner_files), _interruptible():
            if guard is None:
                return (yield)
            guard.arm()
            try:
                result = yield
            finally:
                guard.last_check()
        guard.close_session()  # the tools as the kit leaves them, its own patches undone
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        rubric = _rubric_item(item)
        if rubric is None:
            return (yield)
        budget = rubric.budget * self.budget_scale
        started, cpu_started = _perf_counter(), time.thread_time()
        if self.guard is not None:
            self.guard.before_item(self._file(item))
        try:
            with warnings.catch_warnings(record=True) as caught, self._watchdog(budget):
                warnings.simplefilter("always", RuntimeWarning)
                try:
                    outcome = yield
                except LoopStuck as stuck:
                    raise RubricFailure(stuck.message) from None
                except _STOPPERS as stopper:
                    # pytest.exit, pytest.skip, sys.exit from the submission's code: the
                    # item ends here without a verdict in its favour; the run goes on.
                    raise RubricFailure(_stopped_message(stopper)) from None
                finally:
                    item.stash[_WALL] = _perf_counter() - started
                    item.stash[_WARNINGS] = [
                        str(w.message) for w in caught if _this_items(w, self._file(item))
                    ]
        finally:
            changes = self.guard.after_item(self._file(item)) if self.guard else []
        if changes:
            raise RubricFailure(tampered_message(changes))
        # The budget counts CPU time, not real time: other processes on a loaded machine
        # stretch real time, never this. time.sleep burns no CPU, but blocking-call
        # detection names it; a hang that burns nothing is left to pytest-timeout.
        cpu = time.thread_time() - cpu_started
        if cpu > budget:
            raise RubricFailure(_over_budget(cpu, budget))
        return outcome

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, object, object]:
        # Closing the item's loop cancels the tasks it left: their clean-up may block too.
        if _rubric_item(item) is None:
            return (yield)
        with self._watchdog(None):
            try:
                return (yield)
            except LoopStuck as stuck:
                raise RubricFailure(stuck.message) from None

    def _watchdog(self, budget: float | None) -> contextlib.AbstractContextManager[None]:
        stall = STALL_LIMIT * max(1.0, self.budget_scale)
        return _watchdog(budget, stall, self.learner_files)

    def pytest_keyboard_interrupt(self) -> None:
        self.interrupted = True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        rubric = _rubric_item(item)
        if rubric is None:
            return report
        path = self._file(item)
        self.files[item.nodeid] = path
        previous = self.items.get(item.nodeid)
        if previous is not None and previous.status == "failed":
            return report  # the first failure of an item is its verdict
        if report.failed and call.excinfo is not None:
            message, details = (_stable(text) for text in explain(call.excinfo.value, path))
            if report.when == "teardown":
                message = f"after the item, clean-up failed: {message}"
            note = never_awaited_note(item.stash.get(_WARNINGS, []))
            if note:
                message = f"{message}\n{note}"
            self.items[item.nodeid] = ItemResult.of(
                rubric,
                "failed",
                message,
                details,
                item.stash.get(_WALL, 0.0),
                module_problem(call.excinfo.value) if report.when != "teardown" else None,
            )
            report.longrepr = "\n".join(filter(None, [message, details]))
        elif report.when == "call" and report.passed:
            self.items[item.nodeid] = ItemResult.of(
                rubric, "passed", wall_seconds=item.stash.get(_WALL, 0.0)
            )
        elif report.skipped and previous is None:
            self.items[item.nodeid] = ItemResult.of(
                rubric,
                "failed",
                "the item did not run to a verdict (skipped), so it scores nothing",
            )
        return report

    # Results and output

    def results(self) -> Results:
        if self.interrupted:
            for item in self.collected:
                rubric = _rubric_item(item)
                if item.nodeid not in self.items and rubric is not None:
                    self.files[item.nodeid] = self._file(item)
                    self.items[item.nodeid] = ItemResult.of(rubric, "failed", _INTERRUPTED)
        by_file: dict[Path, ExerciseResult] = {}
        for nodeid, item_result in self.items.items():
            path = self.files[nodeid]
            exercise = self.modules[path.stem]
            if path not in by_file:
                by_file[path] = ExerciseResult(
                    module=exercise.module, title=exercise.title, path=str(path)
                )
            by_file[path].items.append(item_result)
        if self.guard is not None:
            for path, exercise_result in by_file.items():
                exercise_result.flags = self.guard.flags(str(path))
                changes = self.guard.tampered.get(str(path))
                if changes:
                    _void(exercise_result, tampered_message(changes))
        order = list(self.modules)
        graded = sorted(by_file.values(), key=lambda e: (order.index(e.module), e.path or ""))
        for exercise_result in graded:
            exercise_result.settle()
        return Results(exercises=graded)

    def pytest_sessionfinish(self) -> None:
        json_path = self.config.getoption("asynclings_json")
        if json_path:
            self.results().write_json(Path(json_path))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        results = self.results()
        if results.exercises:
            from .reports.terminal import write_results

            write_results(terminalreporter, results, self.config.rootpath)
        if self.interrupted:
            stopped = sum(1 for i in self.items.values() if i.message == _INTERRUPTED)
            terminalreporter.write_line(
                f"grading was interrupted (Ctrl-C): {stopped} item"
                f"{'s' if stopped != 1 else ''} did not run, so these scores are incomplete",
                red=True,
                bold=True,
            )

    def pytest_sessionstart(self) -> None:
        forget_loaded()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # In a run that only grades, our verdicts replace pytest's tracebacks (an
        # explicit --tb still wins); a run that also holds ordinary tests keeps them.
        grading_only = bool(session.items) and all(
            _rubric_item(item) is not None for item in session.items
        )
        if not grading_only:
            return
        if getattr(self.config.option, "tbstyle", None) == "auto":
            self.config.option.tbstyle = "no"
        # The score table closes the run: no list of failed node ids after it, unless
        # the user asked for one with -r.
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and self.config.option.reportchars == _DEFAULT_REPORTCHARS:
            reporter.reportchars = ""


_ADDRESS = re.compile(r" (?:object )?at 0x[0-9a-fA-F]+")


def _stable(text: str) -> str:
    """Drop memory addresses from reprs: they change from run to run."""
    return _ADDRESS.sub("", text)


_DEFAULT_REPORTCHARS = "fE"
_INTERRUPTED = "not graded: the run was interrupted (Ctrl-C) before this item finished"
_STOPPERS = (pytest.exit.Exception, pytest.skip.Exception, pytest.xfail.Exception, SystemExit)
"""What ends a test without a verdict: pytest's outcome exceptions and sys.exit."""


def _this_items(warning: warnings.WarningMessage, file: Path) -> bool:
    """Whether a warning belongs to this item. A coroutine that was never awaited is
    reported when Python collects it, which may be during a later item (one held in a
    reference cycle waits for the collector): only this item's own fakes' coroutines
    and those of the module under grading count."""
    coroutine = warning.source
    if not isinstance(coroutine, types.CoroutineType):
        return True
    frame = coroutine.cr_frame
    owner = frame.f_locals.get("self") if frame is not None else None
    if isinstance(owner, FakeFetch):
        return any(owner is fake for fake in fakes.live())
    return coroutine.cr_code.co_filename == str(file)


def _stopped_message(stopper: BaseException) -> str:
    name = type(stopper).__name__
    what = {
        "Exit": "pytest.exit()",
        "Skipped": "pytest.skip()",
        "SystemExit": "sys.exit()",
    }.get(name, name)
    return (
        f"the submission's code called {what} while it was graded: an exercise function "
        "must return or raise, never stop or skip the grading"
    )


def _void(exercise_result: ExerciseResult, message: str) -> None:
    exercise_result.items = [
        ItemResult(i.name, i.title, i.max_points, "failed", message, "", i.wall_seconds)
        for i in exercise_result.items
    ]


_perf_counter = time.perf_counter  # the real one, whatever virtual_clocks() does


def _over_budget(cpu: float, budget: float) -> str:
    return (
        f"used {seconds(cpu)} of CPU time, over this item's budget of {seconds(budget)}: "
        "something keeps the event loop busy (a busy-wait loop, heavy computation in a "
        "coroutine); under simulated time a correct solution needs milliseconds"
    )


STALL_LIMIT = 5.0
"""Real seconds the event loop's thread may wait in one call, burning no CPU, before
the item is stopped there. A correct solution never waits in real time, except ex01's
``main`` (its own loop sleeps for real: 0.4 s per call in the graders, 3 s at worst for
a learner's version that ignores the delays it is given)."""


def _stuck_message(where: str, stall: float) -> str:
    return (
        f"the event loop was stuck for over {seconds(stall)} of real time {where}, burning no "
        "CPU: a blocking call (a thread lock or threading.Event, queue.Queue.get, "
        "select, input(), a blocking socket read) freezes every task of the loop; use "
        "the asyncio equivalent (asyncio.Lock, asyncio.Event, asyncio.Queue) or "
        "`await asyncio.to_thread(...)`"
    )


@contextlib.contextmanager
def _watchdog(budget: float | None, stall: float, files: list[str]) -> Iterator[None]:
    """Stop the item when the thread that runs its event loop (this one) has used
    ``budget`` seconds of CPU time, or has burnt no CPU at all for ``stall`` real
    seconds (it waits in one blocking call).

    A busy loop that never returns (``while time.monotonic() < deadline: pass`` under
    virtual time, say) raises :class:`CpuBudgetExceeded`. A wait that burns nothing (a
    thread lock that blocking-call detection did not see, a C extension's wait) raises
    :class:`LoopStuck` naming the stuck line, and again every second while the code
    goes on waiting (``except BaseException`` around a blocking call, say). A watcher
    thread reads this thread's own CPU clock, so neither other processes nor other
    threads (an abandoned import that spins, say) count against the item, and a loaded
    machine only slows the item down: a waiting thread burns nothing at any load.
    """
    if (
        not hasattr(time, "pthread_getcpuclockid")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    target = threading.get_ident()
    clock = time.pthread_getcpuclockid(target)
    started = time.clock_gettime(clock)
    done = threading.Event()
    pending: list[BaseException] = []

    def interrupt(signum: int, frame: object) -> None:
        if pending:
            raise pending.pop()

    def watch() -> None:
        cpu, progressed = started, _perf_counter()
        next_stuck = progressed + stall
        while not done.wait(0.02):
            now_cpu, now = time.clock_gettime(clock), _perf_counter()
            if budget is not None and now_cpu - started > budget:
                pending.append(CpuBudgetExceeded(_over_budget(budget, budget)))
                signal.pthread_kill(target, signal.SIGVTALRM)
                return
            if now_cpu != cpu:
                cpu, progressed = now_cpu, now
                next_stuck = now + stall
            elif now >= next_stuck:
                message = _stuck_message(where_stuck(target, files), stall)
                pending[:] = [LoopStuck(message)]
                signal.pthread_kill(target, signal.SIGVTALRM)
                next_stuck = now + 1.0

    previous = signal.signal(signal.SIGVTALRM, interrupt)
    watcher = threading.Thread(target=watch, name="asynclings watchdog", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        pending.clear()
        # A signal sent just before the watcher stopped finds nothing to raise.
        signal.signal(signal.SIGVTALRM, signal.SIG_IGN)
        signal.signal(signal.SIGVTALRM, previous)


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt at once, wherever the main thread is.

    asyncio.Runner (which pytest-asyncio runs items in) replaces Python's default
    handler with one whose first Ctrl-C only cancels the running task: a loop stuck
    in a blocking call never sees that cancellation, so the first Ctrl-C did nothing.
    A handler of our own keeps the Runner from installing its one.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


_WALL = pytest.StashKey[float]()
_WARNINGS = pytest.StashKey[list[str]]()


def _default_loop() -> asyncio.AbstractEventLoop:
    return asyncio.new_event_loop()
