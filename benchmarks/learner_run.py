"""Benchmark: how fast a learner's run is, and how much simulated time it grades.

Run by hand (not a timed test):

    python benchmarks/learner_run.py [--runs 10]

Reports
* the wall time of ``pytest solutions/`` as a learner would run it (a fresh interpreter
  each time, start-up included): median and worst of ``--runs``;
* the same for ``pytest exercises/`` (the stubs);
* simulated seconds graded per real second: the sum of simulated time that the
  reference solutions' rubric items covered, over the real time they took in-process.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall_of(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        times.append(time.perf_counter() - started)
    return times


def simulated_per_real_second() -> tuple[float, float]:
    """Grade the solutions in-process while summing each virtual loop's final clock."""
    from asynclings.harness import loop as loop_module
    from asynclings.run import grade

    simulated = 0.0
    original_close = loop_module.VirtualLoop.close

    def close(self: loop_module.VirtualLoop) -> None:
        nonlocal simulated
        simulated += self.time()
        original_close(self)

    loop_module.VirtualLoop.close = close  # type: ignore[method-assign]
    try:
        grade([ROOT / "solutions"])  # warm-up: imports
        simulated = 0.0
        started = time.perf_counter()
        results = grade([ROOT / "solutions"])
        real = time.perf_counter() - started
    finally:
        loop_module.VirtualLoop.close = original_close  # type: ignore[method-assign]
    assert results.points == results.max_points
    return simulated, real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    for label, args in (
        ("pytest solutions/", ["solutions/"]),
        ("pytest exercises/", ["exercises/"]),
    ):
        times = wall_of(args, options.runs)
        print(
            f"{label:<20} median {statistics.median(times):.2f} s  worst {max(times):.2f} s "
            f"({options.runs} runs, interpreter start-up included)"
        )
    simulated, real = simulated_per_real_second()
    print(
        f"simulated time graded: {simulated:.1f} simulated s in {real:.2f} real s "
        f"= {simulated / real:,.0f} simulated s per real s"
    )


if __name__ == "__main__":
    main()
