"""Determinism under load: grade references, stubs and every mutant N times while other
processes saturate every core, and check that every verdict is identical each time.

    python benchmarks/determinism.py [--runs 20] [--burners 2]

Each run is a fresh interpreter (``python -m pytest --grade TREE``), as a learner's or a
CI's run would be.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def burn(stop: float) -> None:
    while time.time() < stop:
        pass


def main() -> None:
    from test_determinism import _REAL_TIME, _tree

    from asynclings.run import pytest_args

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--burners", type=int, default=multiprocessing.cpu_count())
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch) / "tree"
        _tree(tree)
        stop = time.time() + 3600
        burners = [
            multiprocessing.Process(target=burn, args=(stop,)) for _ in range(options.burners)
        ]
        for process in burners:
            process.start()
        try:
            seen: dict[str, tuple[str, str]] = {}
            walls = []
            for run in range(options.runs):
                out = Path(scratch) / f"run{run}.json"
                started = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "pytest", *pytest_args([tree], json_path=out)],
                    stdout=subprocess.DEVNULL,
                    check=False,
                )
                walls.append(time.perf_counter() - started)
                data = json.loads(out.read_text())
                verdicts = {
                    f"{e['path']}::{i['name']}": (
                        i["status"],
                        _REAL_TIME.sub("N s of real time", i["message"]),
                    )
                    for e in data["exercises"]
                    for i in e["items"]
                }
                if not seen:
                    seen = verdicts
                changed = sorted(k for k in seen if seen[k][0] != verdicts[k][0])
                reworded = sorted(k for k in seen if seen[k] != verdicts[k] and k not in changed)
                print(
                    f"run {run + 1:>2}: {len(verdicts)} verdicts, {len(changed)} changed, "
                    f"{len(reworded)} messages changed, {walls[-1]:.2f} s wall",
                    flush=True,
                )
                for key in changed[:5]:
                    print(f"    verdict changed: {key}")
                for key in reworded[:3]:
                    print(f"    message changed: {key}: {verdicts[key][1][:120]}")
        finally:
            for process in burners:
                process.terminate()
    print(
        f"{options.runs} runs under {options.burners} CPU burners; "
        f"wall min {min(walls):.2f} s, max {max(walls):.2f} s"
    )


if __name__ == "__main__":
    main()
