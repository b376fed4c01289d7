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

__all__ = ["grade", "pytest_args"]

GRADE_INI = Path(__file__).with_name("grade.ini")


def pytest_args(
    paths: Sequence[Path],
    *,
    json_path: Path | None = None,
    seed: int | None = None,
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
    return args


def grade(paths: Sequence[Path], *, seed: int | None = None, quiet: bool = True) -> Results:
    """Grade every exercise module found in ``paths`` and return the verdicts."""
    with tempfile.TemporaryDirectory(prefix="asynclings-") as scratch:
        json_path = Path(scratch) / "results.json"
        exit_code = pytest.main(pytest_args(paths, json_path=json_path, seed=seed, quiet=quiet))
        if not json_path.exists():
            raise RuntimeError(f"grading produced no results (pytest exit code {exit_code})")
        return Results.read_json(json_path)
