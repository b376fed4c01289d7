"""The grading worker: a warm process that grades one submission at a time, each in a
child process of its own.

The batch (:mod:`.batch`) starts one worker per parallel slot, inside a bubblewrap
sandbox (:mod:`.sandbox`) or, with ``--no-sandbox``, as a plain subprocess, and talks
to it over its stdin and stdout in length-prefixed JSON frames
(:func:`read_frame`/:func:`write_frame`), each holding one message of :mod:`.messages`
(a ``Hello``, a ``Job``, a ``Reply``).

At start the worker imports pytest, the plugin and every grader and runs one
throwaway grading run (:func:`warm`), then says ``hello`` with the facts of the
sandbox it finds itself in (:func:`inspect_sandbox`). For each job it forks a child
that:

* starts a session of its own and sets rlimits (address space, file size, CPU
  seconds, processes, no core files);
* writes the submission's modules into a private scratch folder, the only copy of
  any submission it can see, clears the environment and sends its stdout and stderr
  to a capped file there;
* installs the guard (:mod:`asynclings.guard`: tripwires and integrity checks) and
  grades;
* sends the results, prefixed with the job's secret token, down a pipe, then exits.

The worker waits for the child within the job's time limit, then kills everything the
job left behind (in the sandbox: every other process in its PID namespace), wipes the
scratch space and answers with one frame. Results without the token, or with more than
one message on the pipe, are reported as forged: the learner's code wrote to the
results channel.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from .confine import ipc_objects, refuse_process_starts
from .messages import Hello, Job, Limits, Reply, ReplyStatus

__all__ = ["Limits", "read_frame", "serve", "warm", "write_frame"]

MAX_FRAME = 64 * 1024 * 1024
MAX_RESULT_BYTES = 5_000_000
SCRATCH = "asynclings-job"


# Frames ------------------------------------------------------------------------------------


def write_frame(stream: IO[bytes], message: dict[str, Any]) -> None:
    data = json.dumps(message).encode()
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: IO[bytes]) -> dict[str, Any] | None:
    """The next frame, or ``None`` at end of stream."""
    header = _read_exactly(stream, 4)
    if len(header) < 4:
        return None
    (size,) = struct.unpack(">I", header)
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes is over the limit")
    data = _read_exactly(stream, size)
    if len(data) < size:
        return None
    message = json.loads(data)
    if not isinstance(message, dict):
        raise ValueError("a frame must hold a JSON object")
    return message


# Warm start --------------------------------------------------------------------------------


def warm() -> None:
    """Import everything a grading run needs, so forked children start warm.

    Besides the kit's modules, one throwaway grading run of a stub imports what pytest
    loads lazily (its plugins' modules, the terminal and capture machinery), and
    ``gc.freeze()`` keeps the collector off the inherited objects in every child.
    """
    import gc

    from .. import guard  # noqa: F401  (imported before any submission is)
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


def inspect_sandbox() -> Hello:
    """What this process can and cannot do: the facts the batch checks before it
    trusts the sandbox with a submission."""
    import socket

    from ..manifest import content_root

    try:
        with socket.create_connection(("192.0.2.1", 9), timeout=0.5):
            network = "reachable"
    except OSError as error:
        network = f"unreachable ({error.strerror or error})"
    probe = content_root() / "graders" / ".asynclings-write-probe"
    try:
        probe.write_text("x")
        probe.unlink()
        kit_writable = True
    except OSError:
        kit_writable = False
    return Hello(
        uid=os.getuid(),
        pid=os.getpid(),
        network=network,
        kit_writable=kit_writable,
        solutions_visible=any((content_root() / "solutions").glob("*.py")),
    )


def _make_undumpable() -> None:
    """No process of the same user may ptrace this one or read its memory (the children
    a job leaves behind run as the same user); children inherit the setting."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_dumpable = 4
    libc.prctl(pr_set_dumpable, 0, 0, 0, 0)
    for name in [n for n in sys.modules if n == "ctypes" or n.startswith(("ctypes.", "_ctypes"))]:
        del sys.modules[name]  # a submission importing ctypes raises the import event


# The worker loop -----------------------------------------------------------------------


def serve(stdin: IO[bytes], stdout: IO[bytes], *, sandboxed: bool) -> None:
    """Answer jobs from ``stdin`` until it closes."""
    warm()
    if sandboxed:
        _make_undumpable()
    write_frame(stdout, inspect_sandbox().to_dict())
    scratch_root = Path(tempfile.gettempdir())
    while True:
        frame = read_frame(stdin)
        if frame is None:
            return
        reply = _run_job(Job.from_dict(frame), scratch_root, sandboxed=sandboxed)
        write_frame(stdout, reply.to_dict())


def _run_job(job: Job, scratch_root: Path, *, sandboxed: bool) -> Reply:
    limits = job.limits
    token = job.token.encode()
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH}-", dir=scratch_root))
    read_end, write_end = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(job, limits, scratch, write_end, token)
    os.close(write_end)
    data, timed_out, status = _collect(pid, read_end, started + limits.timeout)
    os.close(read_end)
    _kill_leftovers(pid, sandboxed=sandboxed)
    output_tail = _tail(scratch / "output.log")
    _remove(scratch)
    clean = not scratch.exists()
    left_behind: list[str] = []
    if sandboxed:
        clean = _wipe_shared_scratch(scratch_root) and clean
        left_behind = ipc_objects()  # the namespace is the worker's: the next job's too
        if left_behind:
            _remove_ipc_objects()
            clean = clean and not ipc_objects()
    verdict, results = _read_results(data, token, timed_out=timed_out)
    return Reply(
        status=verdict,
        seconds=round(time.monotonic() - started, 3),
        output_tail=output_tail,
        exit=_describe_exit(status),
        clean=clean,
        left_behind=tuple(left_behind),
        results=results,
    )


def _read_results(data: bytes, token: bytes, *, timed_out: bool) -> tuple[ReplyStatus, Any]:
    """The job's status and, if they came back with its token, its results (JSON after
    the token: the batch checks that they are results)."""
    if timed_out:
        return "timed out", None
    if not data:
        return "crashed", None
    if (
        not data.startswith(token + b"\n")
        or data.count(b"\n" + token)
        or len(data) > (MAX_RESULT_BYTES + len(token) + 1)
    ):
        return "forged", None
    try:
        return "ok", json.loads(data[len(token) + 1 :])
    except ValueError:
        return "forged", None


def _collect(pid: int, fd: int, deadline: float) -> tuple[bytes, bool, int | None]:
    """Read the child's results until it exits (or the deadline passes)."""
    chunks: list[bytes] = []
    size = 0
    status: int | None = None
    eof = False
    while True:
        if status is None:
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = raw
        if status is not None and eof:
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            if status is None:
                return b"".join(chunks), True, None
            break  # exited, but something it left holds the pipe open
        if eof:
            time.sleep(min(0.005, remaining))
            continue
        ready, _, _ = select.select([fd], [], [], min(0.05, remaining))
        if ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                eof = True
            elif size <= MAX_RESULT_BYTES + 1024:
                chunks.append(chunk)
                size += len(chunk)
    return b"".join(chunks), False, status


def _describe_exit(status: int | None) -> str:
    if status is None:
        return "still running"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(number).name}"
        return f"killed by signal {number}"
    return f"exit status {os.WEXITSTATUS(status)}"


def _kill_leftovers(pid: int, *, sandboxed: bool) -> None:
    """Kill the child and everything it started.

    In the sandbox every process but this one and the namespace's init belongs to the
    job, daemons that left the child's session included: ``kill(-1)`` reaches them all.
    Outside it, the child's session is the best handle there is.
    """
    if sandboxed:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(-1, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _remove(path: Path) -> None:
    """Delete ``path`` whatever the job did to it (folders made read-only included:
    every file is this user's, so write permission can be given back first)."""
    if path.is_symlink() or not path.is_dir():
        with contextlib.suppress(OSError):
            path.unlink()
        return
    for folder, _, _ in os.walk(path):
        with contextlib.suppress(OSError):
            os.chmod(folder, 0o700)
    shutil.rmtree(path, ignore_errors=True)


def _wipe_shared_scratch(scratch_root: Path) -> bool:
    """Remove whatever a job left in the sandbox's writable places; whether they are
    empty now (if not, the batch starts a fresh sandbox for the next job)."""
    clean = True
    for place in (scratch_root, Path("/dev/shm")):
        try:
            entries = list(place.iterdir())
        except OSError:
            continue
        for entry in entries:
            _remove(entry)
        with contextlib.suppress(OSError):
            clean = clean and not any(place.iterdir())
    return clean


def _remove_ipc_objects() -> None:
    """Remove the System V IPC objects a job made (they are this user's); what cannot be
    removed makes the worker unclean, and the batch replaces it."""
    import subprocess

    ipcrm = shutil.which("ipcrm")
    if ipcrm is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run([ipcrm, "--all"], capture_output=True, timeout=10, check=False)


def _tail(path: Path, lines: int = 6) -> str:
    try:
        with path.open("rb") as file:
            file.seek(0, os.SEEK_END)
            file.seek(max(0, file.tell() - 2000))
            text = file.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _limit(kind: int, value: int) -> None:
    # A limit the machine does not allow: keep its own.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(kind, (value, value))


def _child(job: Job, limits: Limits, scratch: Path, results_fd: int, token: bytes) -> None:
    """Body of the job's process (forked from the worker; never returns)."""
    # Captured before any submission code runs: whatever it rebinds later, the
    # results leave through these.
    write, exit_now, dumps = os.write, os._exit, json.dumps
    try:
        os.closerange(3, results_fd)  # the worker's own pipes stay out of reach
        os.closerange(results_fd + 1, 1 << 16)
        os.setsid()
        folder = scratch / "submission"
        folder.mkdir()
        for module, source in job.modules.items():
            (folder / f"{module}.py").write_bytes(source)
        tmp = scratch / "tmp"
        tmp.mkdir()
        _limit(resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024)
        _limit(resource.RLIMIT_FSIZE, limits.output_mb * 1024 * 1024)
        _limit(resource.RLIMIT_CPU, int(limits.timeout) + 5)
        _limit(resource.RLIMIT_CORE, 0)
        _limit(resource.RLIMIT_NPROC, limits.processes)
        # Over-long writes fail with EFBIG instead of killing the process silently.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
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
        os.close(output)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)

        refuse_process_starts()  # by the kernel, whichever API the code uses

        from ..guard import Guard
        from ..run import grade_in_process

        guard = Guard(learner_dirs=[folder], scratch=scratch)
        results = grade_in_process([folder], data_seed=job.seed, guard=guard)

        def serialize(late: list[str]) -> bytes:
            data = results.to_dict()
            if late:  # changed after the last item: no module's verdicts stand
                data["late_tampering"] = late
            return dumps(data).encode()

        payload = guard.seal(serialize)
        message = token + b"\n" + payload
        view = memoryview(message)
        while view:
            view = view[write(results_fd, view) :]
    except BaseException:  # the worker reads the absence of results, not this
        import traceback

        traceback.print_exc()
    finally:
        exit_now(0)


def main() -> None:
    sandboxed = "--sandboxed" in sys.argv[1:]
    # Frames travel on the original stdin/stdout; everything else printed goes to stderr.
    stdin = os.fdopen(os.dup(0), "rb", buffering=0)
    stdout = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):
        serve(stdin, stdout, sandboxed=sandboxed)


if __name__ == "__main__":
    main()
