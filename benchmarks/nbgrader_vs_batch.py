"""Benchmark: grading the same code with ``nbgrader autograde`` (notebooks) and with
``asynclings grade`` (modules), side by side.

Run by hand (not a timed test), with nbgrader installed (``pip install -e '.[dev]'``):

    python benchmarks/nbgrader_vs_batch.py [--learners 6]

Each learner answers all ten exercises: the reference solution for most, a mutant for a
few (a seeded, deterministic mix). The same answers are written as the notebooks of an
nbgrader course (``asynclings nbgrader``, ``nbgrader generate_assignment``, the answer
cells filled in) and as a folder of ``.py`` modules per learner. Both are graded from
scratch and timed; the totals must agree.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261124


def answers(learners: int) -> dict[str, dict[str, str]]:
    from asynclings.manifest import exercises

    chooser = random.Random(SEED)
    result: dict[str, dict[str, str]] = {}
    for index in range(learners):
        modules = {}
        for exercise in exercises():
            mutants = sorted((ROOT / "tests" / "mutants" / exercise.module).glob("*.py"))
            source = chooser.choice(mutants) if chooser.random() < 0.3 else exercise.solution
            modules[exercise.module] = source.read_text(encoding="utf-8")
        result[f"learner{index:02d}"] = modules
    return result


def nbgrader(course: Path, *args: str) -> None:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        [str(bin_dir / "nbgrader"), *args], cwd=course, env=env, check=True, capture_output=True
    )


def notebook_run(scratch: Path, learners: dict[str, dict[str, str]]) -> tuple[float, dict]:
    from asynclings.integrations.nbgrader import write_assignment

    course = scratch / "course"
    write_assignment(course, "asyncio")
    nbgrader(course, "generate_assignment", "asyncio", "--force")
    release = course / "release" / "asyncio"
    for learner, modules in learners.items():
        folder = course / "submitted" / learner / "asyncio"
        folder.mkdir(parents=True)
        for module, code in modules.items():
            notebook = json.loads((release / f"{module}.ipynb").read_text())
            for cell in notebook["cells"]:
                if cell["metadata"].get("nbgrader", {}).get("solution"):
                    first = "".join(cell["source"]).splitlines()[0]
                    body = code.replace("from __future__ import annotations", "")
                    cell["source"] = f"{first}\n{body}"
            (folder / f"{module}.ipynb").write_text(json.dumps(notebook))
    started = time.perf_counter()
    nbgrader(course, "autograde", "asyncio", "--create")
    seconds = time.perf_counter() - started

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        totals = {
            learner: gradebook.find_submission("asyncio", learner).score for learner in learners
        }
    return seconds, totals


def module_run(scratch: Path, learners: dict[str, dict[str, str]]) -> tuple[float, dict]:
    from asynclings.grading.batch import BatchOptions, grade_batch

    submissions = scratch / "modules"
    for learner, modules in learners.items():
        (submissions / learner).mkdir(parents=True)
        for module, code in modules.items():
            (submissions / learner / f"{module}.py").write_text(code)
    started = time.perf_counter()
    run = grade_batch(submissions, scratch / "gradebook.sqlite", BatchOptions())
    seconds = time.perf_counter() - started
    return seconds, {r.submission: r.points for r in run.results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=6)
    options = parser.parse_args()
    learners = answers(options.learners)
    scratch = Path(tempfile.mkdtemp(prefix="asynclings-nbbench-"))
    try:
        notebook_seconds, notebook_totals = notebook_run(scratch, learners)
        module_seconds, module_totals = module_run(scratch, learners)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    count = len(learners)
    print(f"{count} learners x 10 exercises on {os.cpu_count()} cores")
    print(
        f"  nbgrader autograde (10 notebooks each): {notebook_seconds:.1f} s = "
        f"{notebook_seconds / count:.2f} s per submission"
    )
    print(
        f"  asynclings grade (10 modules each, sandboxed, default --jobs): "
        f"{module_seconds:.1f} s = {module_seconds / count:.2f} s per submission"
    )
    print(f"  ratio: nbgrader takes {notebook_seconds / module_seconds:.1f}x as long")
    same = {k: round(v, 3) for k, v in notebook_totals.items()} == {
        k: round(v, 3) for k, v in module_totals.items()
    }
    print(f"  totals agree: {same} {notebook_totals if not same else ''}")
    if not same:
        print(f"  (asynclings grade: {module_totals})")


if __name__ == "__main__":
    main()
