"""Benchmark: batch grading throughput, and where one submission's time goes.

Run by hand (not a timed test):

    python benchmarks/batch_throughput.py [--count 200] [--jobs N] [--repeat 5]
    python benchmarks/batch_throughput.py --skip-batch --profile 25

1. **Throughput.** Builds ``--count`` synthetic full submissions (all ten modules each;
   a seeded, deterministic mix of reference solutions, correct idioms from
   ``tests/idioms`` and mutants from ``tests/mutants``), grades them with
   :func:`~asynclings.grading.batch.grade_batch` at ``--jobs`` (default: the number of
   cores) with full isolation, and reports submissions per second, the spread of
   per-submission time and the share of it spent inside rubric items.
2. **One submission, broken down** (the ten reference solutions):

   * interpreter start-up: ``python -c pass``, ``python -c "import pytest,
     asynclings.plugin"``, and the forkserver's preload;
   * the forkserver: starting a process that does nothing, and the real grading
     process end to end (fork, limits, scratch folder, grading, results file, join);
   * inside one grading process, each phase measured in a fresh fork of a process
     warmed like the forkserver: a pytest session with nothing to grade, collection
     (``--collect-only``), the full grading run, the time inside rubric items, and the
     same grading run again in the same process (what is paid once per process).
3. ``--profile N`` prints the N most expensive functions (cumulative) of one grading
   run, profiled with cProfile in a fresh fork of a warm process.

The goal (the batch-grading issue): at least 5 submissions/s with full isolation on a
2-core machine.

Every grading process re-runs this script as ``__mp_main__`` (multiprocessing's
forkserver does that for the main script), so its top level imports only the standard
library.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
SEED = 20240301
MIX = {"solution": 4, "idiom": 3, "mutant": 3}
"""Relative weights of what a synthetic submission's module is copied from."""


def build_submissions(folder: Path, count: int) -> dict[str, int]:
    """``count`` full submissions in ``folder``; how many modules of each kind."""
    from asynclings.manifest import exercises

    chooser = random.Random(SEED)
    kinds = list(MIX)
    tally = dict.fromkeys(kinds, 0)
    sources = {
        e.module: {
            "solution": [e.solution],
            "idiom": sorted((TESTS / "idioms" / e.module).glob("*.py")),
            "mutant": sorted((TESTS / "mutants" / e.module).glob("*.py")),
        }
        for e in exercises()
    }
    for number in range(count):
        learner = folder / f"learner{number:03d}"
        learner.mkdir(parents=True)
        for module, by_kind in sources.items():
            kind = chooser.choices(kinds, weights=[MIX[k] for k in kinds])[0]
            tally[kind] += 1
            shutil.copyfile(chooser.choice(by_kind[kind]), learner / f"{module}.py")
    return tally


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat (Linux)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def forkserver_cpu() -> tuple[float, float]:
    """CPU seconds of the batch's forkserver: its own, and its children's (every grading
    process it forked and reaped). Starts the forkserver if needed (Linux /proc)."""
    from multiprocessing import forkserver

    from asynclings.grading.batch import _Children

    _Children()  # sets the preload, exactly as the batch does
    forkserver.ensure_running()
    pid = forkserver._forkserver._forkserver_pid
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    tick = os.sysconf("SC_CLK_TCK")
    return (utime + stime) / tick, (cutime + cstime) / tick


def median_of(measure, repeat: int) -> float:
    return statistics.median(measure() for _ in range(repeat))


def timed(function, *args, **kwargs) -> float:
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


# 1. Throughput ----------------------------------------------------------------------


def throughput(count: int, jobs: int) -> dict[str, float]:
    from asynclings.grading.batch import BatchOptions, grade_batch
    from asynclings.grading.worker import Limits

    with tempfile.TemporaryDirectory(prefix="asynclings-bench-") as scratch:
        submissions = Path(scratch) / "submissions"
        tally = build_submissions(submissions, count)
        options = BatchOptions(jobs=jobs, limits=Limits(timeout=60), force=True)
        server_before, children_before = forkserver_cpu()
        own_before = time.process_time()
        busy_before, total_before = cpu_ticks()
        run = grade_batch(submissions, Path(scratch) / "gradebook.sqlite", options)
        busy_after, total_after = cpu_ticks()
        own = time.process_time() - own_before
        server_after, children_after = forkserver_cpu()
    assert len(run.results) == count, f"{len(run.results)} results for {count} submissions"
    per_submission = sorted(r.seconds for r in run.results)
    inside_items = sum(
        item.wall_seconds
        for result in run.results
        for exercise in result.results.exercises
        for item in exercise.items
    )
    by_module: dict[str, float] = {}
    for result in run.results:
        for exercise in result.results.exercises:
            by_module[exercise.module] = by_module.get(exercise.module, 0.0) + sum(
                i.wall_seconds for i in exercise.items
            )
    slowest = max(run.results, key=lambda r: r.seconds)
    return {
        "count": count,
        "jobs": jobs,
        "mix": tally,
        "seconds": run.seconds,
        "per_second": count / run.seconds,
        "median": statistics.median(per_submission),
        "p90": per_submission[int(0.9 * (len(per_submission) - 1))],
        "max": per_submission[-1],
        "slowest": slowest.submission,
        "inside_items_share": inside_items / sum(per_submission),
        "cpu_busy": (busy_after - busy_before) / max(1, total_after - total_before),
        "cpu_child": (children_after - children_before) / count,
        "cpu_server": (server_after - server_before) / count,
        "cpu_parent": own / count,
        "needs_review": sum(1 for r in run.results if r.needs_review),
        "mean_points": statistics.mean(r.points for r in run.results),
        "by_module": by_module,
    }


# 2. One submission ------------------------------------------------------------------


def interpreter(code: str, repeat: int) -> float:
    command = [sys.executable, "-c", code]
    return median_of(lambda: timed(subprocess.run, command, check=True), repeat)


def forkserver_costs(folder: Path, repeat: int) -> tuple[float, float]:
    """Median start-to-join time of a process that does nothing, and of the real
    grading process of ``folder``, both from the batch's warm forkserver."""
    from asynclings.grading.batch import _Children
    from asynclings.grading.worker import Limits

    children = _Children()
    context = children._context

    def empty() -> None:
        process = context.Process(target=os.getpid)
        process.start()
        process.join()

    empty()  # starts the forkserver, which imports the preload once
    modules = {path.stem: path.read_bytes() for path in folder.glob("*.py")}
    outcome = children.run(modules, Limits())
    assert outcome.results is not None, outcome.problem
    return (
        median_of(lambda: timed(empty), repeat),
        median_of(lambda: timed(children.run, modules, Limits()), repeat),
    )


def in_fork(function):
    """Run ``function()`` in a forked child of this process; return what it returns
    (JSON-able), so that every measurement starts from the same warm state."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            payload = json.dumps(function()).encode()
        except BaseException as error:  # report, never fall back into the parent's code
            payload = json.dumps({"error": repr(error)}).encode()
        with os.fdopen(write, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = json.loads(pipe.read() or b"null")
    os.waitpid(pid, 0)
    if isinstance(data, dict) and "error" in data:
        raise RuntimeError(f"measurement failed in the fork: {data['error']}")
    return data


def probe(folder: Path, repeat: int, profile: int) -> dict[str, float]:
    """Phases of one grading process, each in a fresh fork of a process warmed exactly
    like the forkserver (this runs in a subprocess of its own: ``--probe``)."""
    import pytest

    import asynclings.grading.preload  # noqa: F401  (what the forkserver imports)
    from asynclings.run import grade, pytest_args

    sys.dont_write_bytecode = True  # as in the grading process
    scratch = Path(tempfile.mkdtemp(prefix="asynclings-probe-"))
    empty = scratch / "empty"
    empty.mkdir()
    json_path = scratch / "results.json"

    def session() -> float:
        return timed(pytest.main, pytest_args([empty], json_path=json_path))

    def collection() -> float:
        return timed(pytest.main, [*pytest_args([folder], json_path=json_path), "--collect-only"])

    def grading() -> list[float]:
        first_started, cpu_started = time.perf_counter(), time.process_time()
        results = grade([folder])
        first = time.perf_counter() - first_started
        cpu = time.process_time() - cpu_started
        inside = sum(i.wall_seconds for e in results.exercises for i in e.items)
        items = sum(len(e.items) for e in results.exercises)
        return [first, inside, items, timed(grade, [folder]), cpu]

    def profiled() -> str:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(grade, [folder])
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(profile)
        return text.getvalue()

    runs = [in_fork(grading) for _ in range(repeat)]
    measured = {
        "session": statistics.median(in_fork(session) for _ in range(repeat)),
        "collection": statistics.median(in_fork(collection) for _ in range(repeat)),
        "grade": statistics.median(r[0] for r in runs),
        "inside_items": statistics.median(r[1] for r in runs),
        "items": runs[0][2],
        "grade_again": statistics.median(r[3] for r in runs),
        "grade_cpu": statistics.median(r[4] for r in runs),
    }
    if profile:
        measured["profile"] = in_fork(profiled)
    shutil.rmtree(scratch, ignore_errors=True)
    return measured


# Report -----------------------------------------------------------------------------


def row(label: str, seconds: float, note: str = "") -> None:
    print(f"  {label:<46} {seconds * 1000:8.0f} ms  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-batch", action="store_true", help="only the breakdown")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="print the N costliest functions of one grading run",
    )
    parser.add_argument("--probe", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.probe:
        print(json.dumps(probe(options.probe, options.repeat, options.profile)))
        return

    load = os.getloadavg()[0]
    if load > 0.5:
        print(
            f"warning: load average {load:.1f} before starting: other work on this machine "
            "skews every number below"
        )
    if not options.skip_batch:
        batch = throughput(options.count, options.jobs)
        mix = ", ".join(f"{n} {kind}s" for kind, n in batch["mix"].items())
        print(
            f"batch: {batch['count']} submissions x 10 modules ({mix}), "
            f"--jobs {batch['jobs']} on {os.cpu_count()} cores"
        )
        print(f"  {batch['seconds']:.1f} s = {batch['per_second']:.2f} submissions/s (goal: 5/s)")
        print(
            f"  per submission: median {batch['median']:.2f} s, p90 {batch['p90']:.2f} s, "
            f"max {batch['max']:.2f} s ({batch['slowest']}); "
            f"{batch['inside_items_share']:.0%} of it inside rubric items; "
            f"{batch['needs_review']} flagged for review; mean score {batch['mean_points']:.2f}"
        )
        cpu = batch["cpu_child"] + batch["cpu_server"] + batch["cpu_parent"]
        cores = os.cpu_count() or 1
        print(
            f"  CPU per submission: {cpu * 1000:.0f} ms = grading process "
            f"{batch['cpu_child'] * 1000:.0f} + forkserver {batch['cpu_server'] * 1000:.0f} "
            f"+ batch parent {batch['cpu_parent'] * 1000:.0f}; CPU-bound ceiling "
            f"{cores / cpu:.2f}/s; machine CPU busy {batch['cpu_busy']:.0%} (other load too)"
        )
        busiest = sorted(batch["by_module"].items(), key=lambda kv: -kv[1])
        print(
            "  time inside items by module (whole batch): "
            + ", ".join(f"{module[:4]} {seconds:.1f} s" for module, seconds in busiest)
        )
        print()

    from asynclings.manifest import exercises

    with tempfile.TemporaryDirectory(prefix="asynclings-bench-") as scratch:
        folder = Path(scratch) / "reference"
        folder.mkdir()
        for exercise in exercises():
            shutil.copyfile(exercise.solution, folder / f"{exercise.module}.py")
        repeat = options.repeat
        bare = interpreter("pass", repeat)
        imports = interpreter("import pytest, asynclings.plugin", repeat)
        preload = interpreter("import asynclings.grading.preload", repeat)
        fork, child = forkserver_costs(folder, repeat)
        completed = subprocess.run(
            [
                sys.executable,
                __file__,
                "--probe",
                str(folder),
                "--repeat",
                str(repeat),
                "--profile",
                str(options.profile),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        inside = json.loads(completed.stdout.splitlines()[-1])

    print(
        f"one submission (the ten reference solutions, {inside['items']:g} rubric items); "
        f"medians of {repeat}"
    )
    print("  fresh interpreter (what the forkserver saves every submission)")
    row("python -c pass", bare)
    row(
        'python -c "import pytest, asynclings.plugin"',
        imports,
        f"+{(imports - bare) * 1000:.0f} ms",
    )
    row(
        "python -c 'import asynclings.grading.preload'",
        preload,
        "the forkserver's preload: graders included",
    )
    print("  forkserver")
    row("start and join a process that does nothing", fork)
    row("grading process end to end", child, "fork, limits, scratch, grade, JSON, join")
    print("  inside the grading process (each in a fresh fork of a warm process)")
    row("pytest session with nothing to grade", inside["session"], "config, plugins, hooks")
    row(
        "collection (--collect-only)",
        inside["collection"],
        f"of which session {inside['session'] * 1000:.0f} ms",
    )
    row(
        "grade(): the whole run",
        inside["grade"],
        f"CPU {inside['grade_cpu'] * 1000:.0f} ms; the rest waits (real-time items)",
    )
    row(
        "  inside the rubric items",
        inside["inside_items"],
        f"{inside['inside_items'] / inside['items'] * 1000:.1f} ms per item",
    )
    running = inside["grade"] - inside["collection"] - inside["inside_items"]
    row(
        "  running, outside the items",
        running,
        f"{running / inside['items'] * 1000:.1f} ms per item: fixtures, hooks, reports",
    )
    row(
        "grade() again in the same process",
        inside["grade_again"],
        f"first run pays {(inside['grade'] - inside['grade_again']) * 1000:.0f} ms once",
    )
    cores = os.cpu_count() or 1
    print(
        f"  ceiling at this end-to-end time: {cores / child:.2f} submissions/s with "
        f"--jobs {cores}; CPU-bound ceiling (more jobs than cores): "
        f"{cores / inside['grade_cpu']:.2f}/s"
    )
    if options.profile:
        print()
        print(inside["profile"])


if __name__ == "__main__":
    main()
