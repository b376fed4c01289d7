"""The grading process of one submission, and the warm server it is forked from.

Each submission is graded in a process of its own, forked from a *forkserver* that has
pytest, the plugin and every grader already imported (start-up would otherwise dominate:
a fresh interpreter needs ~0.3 s before grading anything). The child:

* starts a session of its own (``setsid``), so that the whole process group, and
  anything the submission spawned in it, can be killed at the end;
* sets rlimits: address space (memory), file size (output), CPU seconds, no core files;
* clears the environment to a minimal one and works in a private scratch folder that
  holds only its copy of the submission;
* sends its stdout and stderr to a capped file in that folder;
* grades and writes the results as JSON to a path the parent chose, then ``_exit``s.

The parent (:mod:`.batch`) never trusts the exit code or the output: only a results file
that parses and matches the expected rubric counts.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Limits", "Task", "grade_in_child", "warm"]


@dataclass(frozen=True)
class Limits:
    """Resource limits of one grading process."""

    timeout: float = 60.0
    """Real seconds before the whole process group is killed."""
    memory_mb: int = 2048
    """Address-space limit; a submission that allocates without bound gets MemoryError."""
    output_mb: int = 16
    """Largest file the process may write (its captured output included)."""


@dataclass(frozen=True)
class Task:
    """What one child grades: the modules in ``folder``, results to ``result_path``."""

    folder: Path
    result_path: Path
    limits: Limits


def warm() -> None:
    """Import everything a grading run needs, so forked children start warm.

    Besides the kit's modules, one throwaway grading run of a stub imports what pytest
    loads lazily (its plugins' modules, the terminal and capture machinery), and
    ``gc.freeze()`` keeps the collector off the inherited objects in every child.
    """
    import gc
    import shutil

    from ..manifest import exercises
    from ..rubric import rubric_of
    from ..run import grade

    for exercise in exercises():
        rubric_of(exercise)
    scratch = Path(tempfile.mkdtemp(prefix="asynclings-warm-"))
    try:
        first = exercises()[0]
        shutil.copyfile(first.stub, scratch / first.stub.name)
        grade([scratch])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    gc.collect()
    gc.freeze()


def _limit(kind: int, value: int) -> None:
    # A limit the machine does not allow: keep its own.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(kind, (value, value))


def grade_in_child(task: Task) -> None:
    """Body of the grading process (runs in the forked child; never returns)."""
    try:
        os.setsid()
        scratch = task.result_path.parent
        limits = task.limits
        _limit(resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024)
        _limit(resource.RLIMIT_FSIZE, limits.output_mb * 1024 * 1024)
        _limit(resource.RLIMIT_CPU, int(limits.timeout) + 5)
        _limit(resource.RLIMIT_CORE, 0)
        # Over-long writes fail with EFBIG instead of killing the process silently.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        tmp = scratch / "tmp"
        tmp.mkdir(exist_ok=True)
        os.environ.clear()
        os.environ.update(
            {
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "HOME": str(scratch),
                "TMPDIR": str(tmp),
                "LANG": "C.UTF-8",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        tempfile.tempdir = str(tmp)
        sys.dont_write_bytecode = True
        os.chdir(scratch)
        output = os.open(scratch / "output.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(output, 1)
        os.dup2(output, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)

        from ..run import grade

        results = grade([task.folder])
        partial = task.result_path.with_suffix(".partial")
        results.write_json(partial)
        partial.rename(task.result_path)
    except BaseException:  # the parent reads the absence of results, not this
        import traceback

        traceback.print_exc()
    finally:
        os._exit(0)
