"""Grading from Python: run the graders on exercise modules and get the results model.

:func:`grade` runs pytest in this process with the plugin in ``--grade`` mode and the
kit's own pytest settings (``grade.ini``), so no configuration file beside the
submission is read, and returns :class:`~asynclings.results.Results`. The kit's tests,
the CLI and the batch grader's worker all grade through it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from .results import Results

__all__ = ["grade", "grade_in_process", "pytest_args"]

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
    with tempfile.TemporaryDirectory(prefix="asynclings-") as scratch:
        json_path = Path(scratch) / "results.json"
        exit_code = pytest.main(pytest_args(paths, json_path=json_path, seed=seed, quiet=quiet))
        if not json_path.exists():
            raise RuntimeError(f"grading produced no results (pytest exit code {exit_code})")
        return Results.read_json(json_path)


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
    data_seed: int | None = None,
    guard: object | None = None,
    extra: Sequence[str] = (),
) -> Results:
    """Grade like :func:`grade`, taking the results from the plugin object rather than a
    file (a batch grading process: nothing the submission can find on disk), with
    ``guard`` (an :class:`asynclings.guard.Guard`) watching."""
    collector = _Collector()
    plugins: list[object] = [collector] + ([guard] if guard is not None else [])
    args = [*pytest_args(paths, data_seed=data_seed), *extra]
    exit_code = pytest.main(args, plugins=plugins)
    if collector.results is None:
        raise RuntimeError(f"grading produced no results (pytest exit code {exit_code})")
    return collector.results
