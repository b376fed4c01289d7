"""Benchmark: batch grading throughput, and where one submission's time goes.

Run by hand (not a timed test):

    python benchmarks/batch_throughput.py [--count 200] [--jobs N] [--repeat 5]
    python benchmarks/batch_throughput.py --skip-batch --profile 25

1. **Throughput.** Builds ``--count`` synthetic full submissions (all ten modules each;
   a seeded, deterministic mix of reference solutions, correct idioms from
   ``tests/idioms`` and mutants from ``tests/mutants``), grades them with
   :func:`~asynclings.grading.batch.grade_batch` at ``--jobs`` (default: the number of
   cores) in the sandbox (``--no-sandbox``: without; ``--compare``: both, one after the
   other), and reports submissions per second, the spread of per-submission time, the
   share of it spent inside rubric items and the machine's CPU per submission.
2. **One submission, broken down** (the ten reference solutions):

   * interpreter start-up: ``python -c pass``, ``python -c "import pytest,
     asynclings.plugin"``;
   * the grading workers, sandboxed and not: starting one (bubblewrap, imports, warm
     run), a job that grades the unchanged ex01 stub (next to nothing), and the real
     job end to end (fork, limits, scratch folder, guard, grading, results, cleanup).
     The difference between the sandboxed and the plain job is the sandbox's cost per
     submission;
   * inside one grading process, each phase measured in a fresh fork of a process
     warmed like a worker: a pytest session with nothing to grade, collection
     (``--collect-only``), the full grading run, the time inside rubric items, and the
     same grading run again in the same process (what is paid once per process).
3. ``--profile N`` prints the N most expensive functions (cumulative) of one grading
   run, profiled with cProfile in a fresh fork of a warm process.

The goal (the batch-grading issue): at least 5 submissions/s with full isolation on a
2-core machine.
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
from typing import Any

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


def median_of(measure, repeat: int) -> float:
    return statistics.median(measure() for _ in range(repeat))


def timed(function, *args, **kwargs) -> float:
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


# 1. Throughput ----------------------------------------------------------------------


def throughput(count: int, jobs: int, sandbox: bool) -> dict[str, Any]:
    from asynclings.grading.batch import BatchOptions, grade_batch
    from asynclings.grading.worker import Limits

    with tempfile.TemporaryDirectory(prefix="asynclings-bench-") as scratch:
        submissions = Path(scratch) / "submissions"
        tally = build_submissions(submissions, count)
        options = BatchOptions(
            jobs=jobs, limits=Limits(timeout=60), force=True, sandbox=sandbox, seed=SEED
        )
        own_before = time.process_time()
        busy_before, total_before = cpu_ticks()
        run = grade_batch(submissions, Path(scratch) / "gradebook.sqlite", options)
        busy_after, total_after = cpu_ticks()
        own = time.process_time() - own_before
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
        "sandbox": sandbox,
        "cpu_busy": (busy_after - busy_before) / max(1, total_after - total_before),
        "cpu_machine": (busy_after - busy_before) / os.sysconf("SC_CLK_TCK") / count,
        "cpu_parent": own / count,
        "needs_review": sum(1 for r in run.results if r.needs_review),
        "mean_points": statistics.mean(r.points for r in run.results),
        "by_module": by_module,
    }


# 2. One submission ------------------------------------------------------------------


def interpreter(code: str, repeat: int) -> float:
    command = [sys.executable, "-c", code]
    return median_of(lambda: timed(subprocess.run, command, check=True), repeat)


def worker_costs(folder: Path, repeat: int, sandboxed: bool) -> dict[str, float]:
    """Medians: starting a worker, a job that grades next to nothing (the ex01 stub),
    and the real job grading ``folder``."""
    from asynclings.grading.sandbox import Worker
    from asynclings.grading.worker import Limits
    from asynclings.manifest import exercise

    stub = exercise("ex01_coroutines")
    nothing = {stub.module: stub.stub.read_bytes() + b"\n"}
    modules = {path.stem: path.read_bytes() for path in folder.glob("*.py")}

    def start() -> float:
        worker = Worker(0, sandboxed=sandboxed)
        seconds = timed(worker.start)
        worker.stop()
        return seconds

    worker = Worker(0, sandboxed=sandboxed)
    worker.start()
    try:
        reply = worker.run(modules, Limits(), SEED)
        assert reply.status == "ok", reply
        return {
            "start": median_of(start, repeat),
            "empty_job": median_of(lambda: timed(worker.run, nothing, Limits(), SEED), repeat),
            "job": median_of(lambda: timed(worker.run, modules, Limits(), SEED), repeat),
        }
    finally:
        worker.stop()


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
    like a worker (this runs in a subprocess of its own: ``--probe``)."""
    import pytest

    from asynclings.grading.worker import warm
    from asynclings.run import grade, pytest_args

    warm()

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


def report_batch(batch: dict[str, Any]) -> None:
    mix = ", ".join(f"{n} {kind}s" for kind, n in batch["mix"].items())
    mode = "in the sandbox" if batch["sandbox"] else "WITHOUT the sandbox"
    print(
        f"batch {mode}: {batch['count']} submissions x 10 modules ({mix}), "
        f"--jobs {batch['jobs']} on {os.cpu_count()} cores"
    )
    print(f"  {batch['seconds']:.1f} s = {batch['per_second']:.2f} submissions/s (goal: 5/s)")
    print(
        f"  per submission: median {batch['median']:.2f} s, p90 {batch['p90']:.2f} s, "
        f"max {batch['max']:.2f} s ({batch['slowest']}); "
        f"{batch['inside_items_share']:.0%} of it inside rubric items; "
        f"{batch['needs_review']} flagged for review; mean score {batch['mean_points']:.2f}"
    )
    cores = os.cpu_count() or 1
    print(
        f"  machine CPU per submission: {batch['cpu_machine'] * 1000:.0f} ms (of which the "
        f"batch parent {batch['cpu_parent'] * 1000:.0f}); CPU-bound ceiling "
        f"{cores / batch['cpu_machine']:.2f}/s; machine CPU busy {batch['cpu_busy']:.0%}"
    )
    busiest = sorted(batch["by_module"].items(), key=lambda kv: -kv[1])
    print(
        "  time inside items by module (whole batch): "
        + ", ".join(f"{module[:4]} {seconds:.1f} s" for module, seconds in busiest)
    )


def row(label: str, seconds: float, note: str = "") -> None:
    print(f"  {label:<46} {seconds * 1000:8.0f} ms  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-batch", action="store_true", help="only the breakdown")
    parser.add_argument("--no-sandbox", action="store_true", help="batch without the sandbox")
    parser.add_argument("--compare", action="store_true", help="batch with and without the sandbox")
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
        modes = [True, False] if options.compare else [not options.no_sandbox]
        for sandbox in modes:
            report_batch(throughput(options.count, options.jobs, sandbox))
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
        workers = {mode: worker_costs(folder, repeat, mode) for mode in (True, False)}
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
    print("  fresh interpreter (what a warm worker saves every submission)")
    row("python -c pass", bare)
    row(
        'python -c "import pytest, asynclings.plugin"',
        imports,
        f"+{(imports - bare) * 1000:.0f} ms",
    )
    for mode, label in ((True, "sandboxed worker"), (False, "plain worker (--no-sandbox)")):
        costs = workers[mode]
        print(f"  {label}")
        row(
            "start: bubblewrap, imports, warm run" if mode else "start: imports, warm run",
            costs["start"],
            "once per worker",
        )
        row("a job that grades next to nothing", costs["empty_job"], "fork, guard, cleanup")
        row("the job end to end", costs["job"], "what one submission costs")
    overhead = workers[True]["job"] - workers[False]["job"]
    print(
        f"  sandbox overhead per submission: {overhead * 1000:+.0f} ms "
        f"(empty job {(workers[True]['empty_job'] - workers[False]['empty_job']) * 1000:+.0f} ms;"
        f" worker start {(workers[True]['start'] - workers[False]['start']) * 1000:+.0f} ms, "
        "once per worker)"
    )
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
        f"  ceiling at this end-to-end time: {cores / workers[True]['job']:.2f} submissions/s "
        "with "
        f"--jobs {cores}; CPU-bound ceiling (more jobs than cores): "
        f"{cores / inside['grade_cpu']:.2f}/s"
    )
    if options.profile:
        print()
        print(inside["profile"])


if __name__ == "__main__":
    main()
