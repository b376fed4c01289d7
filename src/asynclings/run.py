"""Grading from Python: run the graders on exercise modules and get the results model.

:func:`grade` runs pytest in this process with the plugin in ``--grade`` mode and the
kit's own pytest settings (``grade.ini``), so no configuration file beside the
submission is read, and returns :class:`~asynclings.results.Results`. The kit's tests,
the CLI and the batch grader's worker all grade through it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from .results import Results

__all__ = ["grade", "grade_in_process", "grade_isolated", "pytest_args"]

GRADE_INI = Path(__file__).with_name("grade.ini")


def pytest_args(
    paths: Sequence[Path],
    *,
    json_path: Path | None = None,
    seed: int | None = None,
    data_seed: int | None = None,
    quiet: bool = True,
) -> list[str]:
    """The pytest command line that grades ``paths`` with the kit's own settings (no
    configuration file or conftest.py beside a submission is read), writing the results
    to ``json_path`` if given and printing nothing if ``quiet``."""
    roots = [Path(p).resolve() for p in paths]
    rootdir = Path(os.path.commonpath(roots)) if roots else Path.cwd()
    if rootdir.is_file():
        rootdir = rootdir.parent
    args = [
        *map(str, roots),
        "--grade",
        "-c",
        str(GRADE_INI),
        "--rootdir",
        str(rootdir),
        "-p",
        "no:cacheprovider",
        "--noconftest",
    ]
    if json_path is not None:
        args += ["--asynclings-json", str(json_path)]
    if quiet:
        args += ["-p", "no:terminal"]
    if seed is not None:
        args += ["--asynclings-seed", str(seed)]
    if data_seed is not None:
        args += ["--asynclings-data-seed", str(data_seed)]
    return args


def grade(paths: Sequence[Path], *, seed: int | None = None, quiet: bool = True) -> Results:
    """Grade every exercise module found in ``paths`` and return the verdicts."""
    return grade_in_process(paths, seed=seed, quiet=quiet)


class _Collector:
    """Takes the results from the grading plugin itself at the end of the session."""

    def __init__(self) -> None:
        self.results: Results | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        grading = session.config.pluginmanager.get_plugin("asynclings-grading")
        if grading is not None:
            self.results = grading.results()


def grade_in_process(
    paths: Sequence[Path],
    *,
    seed: int | None = None,
    data_seed: int | None = None,
    quiet: bool = True,
    guard: object | None = None,
    extra: Sequence[str] = (),
) -> Results:
    """Grade ``paths`` in this process, taking the results from the plugin object (no
    file a submission could find on disk), with ``guard`` (an
    :class:`asynclings.guard.Guard`) watching if given."""
    collector = _Collector()
    plugins: list[object] = [collector] + ([guard] if guard is not None else [])
    args = [*pytest_args(paths, seed=seed, data_seed=data_seed, quiet=quiet), *extra]
    exit_code = pytest.main(args, plugins=plugins)
    if collector.results is None:
        raise RuntimeError(f"grading produced no results (pytest exit code {exit_code})")
    return collector.results


def grade_isolated(
    paths: Sequence[Path], *, timeout: float = 60.0, budget_scale: float = 1.0
) -> Results | str:
    """Grade like :func:`grade`, in a separate Python process with a time limit.

    Returns the results, or a message saying why there are none. Whatever the learner's
    code does (hang, spin, print, exit) stays in that process: notebooks and the
    self-study commands grade through this.
    """
    import json
    import subprocess
    import sys

    command = [sys.executable, "-m", "asynclings.run", f"--budget-scale={budget_scale}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "PYTHON"))}
    try:
        completed = subprocess.run(
            [*command, *map(str, paths)],
            capture_output=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return (
            f"grading did not finish within {timeout:g} s: the code hangs or runs far too "
            "long (an endless loop, a blocking call at import or in a function)"
        )
    try:
        return Results.from_dict(json.loads(completed.stdout.decode().splitlines()[-1]))
    except (ValueError, IndexError, KeyError, TypeError):
        tail = completed.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        return (
            f"grading failed: the grading process ended without results (exit status "
            f"{completed.returncode}): the code stopped the interpreter (os._exit, "
            "sys.exit in a thread) or crashed" + (f"; it said: {' / '.join(tail)}" if tail else "")
        )


def _main(argv: Sequence[str]) -> None:
    """``python -m asynclings.run [--budget-scale=F] PATH...``: one JSON line of results."""
    import json

    scale = "1"
    paths = []
    for arg in argv:
        if arg.startswith("--budget-scale="):
            scale = arg.split("=", 1)[1]
        else:
            paths.append(Path(arg))
    stdout = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # whatever the learner's code prints stays out of the results line
    results = grade_in_process(paths, extra=["-o", f"asynclings_budget_scale={scale}"])
    os.write(stdout, (json.dumps(results.to_dict()) + "\n").encode())


if __name__ == "__main__":
    import sys

    _main(sys.argv[1:])
