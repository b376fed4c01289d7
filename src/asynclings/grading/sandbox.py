"""Starting grading workers, inside a bubblewrap sandbox or (``--no-sandbox``) without.

A sandboxed worker runs as an unprivileged user (a uid of its own per slot, so one
job's fork bomb cannot starve another's threads), with no capabilities and
``no_new_privs``, in its own PID, network, IPC and UTS namespaces. Its filesystem holds
only read-only copies of the system (``/usr``), the Python installation, the kit and
its graders and stubs, plus a size-capped tmpfs for scratch. The solutions, the other
submissions and the rest of the host are not there. A job's leftover processes die with
it, since every process in the namespace but the worker is the job's.

:func:`check_sandbox` starts one worker and checks its ``hello`` facts: if the sandbox
does not work on this machine, batch grading refuses to start unless told
``--no-sandbox``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from ..manifest import content_root
from .messages import Hello, Job, ProtocolError, Reply
from .worker import Limits, read_frame, write_frame

__all__ = ["SandboxUnavailable", "Worker", "WorkerPool", "bwrap_command", "check_sandbox"]

FIRST_UID = 61000
"""Sandboxed workers run as uid FIRST_UID + slot (when the grader runs as root)."""
TMPFS_MB = 256
SCRATCH = "/scratch"
"""The only writable place in the sandbox (besides /dev/shm): a tmpfs of TMPFS_MB."""
HOW_TO_FIX = (
    "install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`) on a kernel that "
    "allows user or mount namespaces, or grade with --no-sandbox (every output then "
    "says the submissions ran unsandboxed)"
)


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be started here, or does not isolate as it must.

    The message names what failed; :data:`HOW_TO_FIX` says what to do about it.
    """


class WorkerDied(RuntimeError):
    """The worker process ended or stopped answering."""


def _ancestors(path: Path) -> list[Path]:
    return list(reversed(path.parents))[1:]


def _read_only_paths() -> list[Path]:
    """What the worker must read: the interpreter, its packages, the kit's content.

    Not the rest of ``sys.path``: the current folder or a script's folder may hold
    anything (the submissions themselves).
    """
    import asynclings

    paths = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.exec_prefix)}
    paths.add(Path(os.path.realpath(sys.executable)).parent.parent)
    paths.add(Path(asynclings.__file__).resolve().parent.parent)  # src/, or site-packages
    root = content_root()
    for name in ("curriculum.toml", "graders", "exercises"):
        paths.add((root / name).resolve())
    resolved = sorted({p.resolve() for p in paths if p.exists()})
    # Drop what an outer path already holds; never the whole filesystem.
    kept: list[Path] = []
    for path in resolved:
        if path == Path("/") or any(path.is_relative_to(k) for k in kept):
            continue
        if path.is_relative_to("/usr"):
            continue
        kept.append(path)
    return kept


def bwrap_command(uid: int | None, scratch_mb: int = TMPFS_MB) -> list[str]:
    """The command line that starts one sandboxed worker."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    args = [
        bwrap,
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for link in ("lib", "lib64", "bin", "sbin"):
        if Path(f"/usr/{link}").is_dir():
            args += ["--symlink", f"usr/{link}", f"/{link}"]
    args += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "0755",
        "--tmpfs",
        "/tmp",
        "--perms",
        "1777",
        "--size",
        str(scratch_mb * 1024 * 1024),
        "--tmpfs",
        SCRATCH,
    ]
    made: set[Path] = {Path("/"), Path("/tmp"), Path("/usr"), Path("/proc"), Path("/dev")}
    for path in _read_only_paths():
        for parent in _ancestors(path):
            if parent not in made:
                args += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        args += ["--ro-bind", str(path), str(path)]
        made.add(path)
    # Solutions inside a bound folder are hidden behind an empty one. A kit without them
    # (the wheel of a Gradescope bundle) has nothing to hide, and no folder to cover: bwrap
    # cannot make a mount point inside a read-only bind.
    solutions = content_root().resolve() / "solutions"
    if solutions.is_dir() and any(solutions.is_relative_to(p) for p in _read_only_paths()):
        args += ["--tmpfs", str(solutions)]
    args += [
        "--chdir",
        SCRATCH,
        "--clearenv",
        "--setenv",
        "PATH",
        "/usr/bin:/bin",
        "--setenv",
        "LANG",
        "C.UTF-8",
        "--setenv",
        "HOME",
        SCRATCH,
        "--setenv",
        "TMPDIR",
        SCRATCH,
    ]
    if uid is None:
        args[1:1] = ["--unshare-user"]
    args.append("--")
    if uid is not None:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            raise SandboxUnavailable("setpriv (util-linux) is not installed")
        args += [
            setpriv,
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
        ]
    args += [sys.executable, "-I", "-m", "asynclings.grading.worker", "--sandboxed"]
    return args


def plain_command() -> list[str]:
    """The command line of an unsandboxed worker (``--no-sandbox``)."""
    return [sys.executable, "-I", "-m", "asynclings.grading.worker"]


class Worker:
    """One warm worker process and the jobs it runs, one at a time."""

    def __init__(self, slot: int, *, sandboxed: bool) -> None:
        self.slot = slot
        self.sandboxed = sandboxed
        self.process: subprocess.Popen[bytes] | None = None
        self.hello: Hello | None = None
        """The facts the worker reported at start (``None`` until it started)."""
        self._stderr_path: Path | None = None

    def start(self, *, startup_timeout: float = 120.0) -> None:
        if self.sandboxed:
            uid = FIRST_UID + self.slot if os.geteuid() == 0 else None
            command = bwrap_command(uid)
        else:
            command = plain_command()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        stderr_tail: list[bytes] = []
        threading.Thread(
            target=_drain, args=(self.process.stderr, stderr_tail), daemon=True
        ).start()
        self._stderr_tail = stderr_tail
        frame = self._reply(startup_timeout)
        try:
            hello = Hello.from_dict(frame) if frame is not None else None
        except ProtocolError as error:
            self.stop()
            raise SandboxUnavailable(
                f"the grading worker's first message is wrong: {error}"
            ) from None
        if hello is None:
            self.stop()
            detail = b"".join(stderr_tail).decode("utf-8", "replace").strip()[-800:]
            raise SandboxUnavailable(
                "the grading worker did not start"
                + (" in the sandbox" if self.sandboxed else "")
                + (f": {detail}" if detail else "")
            )
        self.hello = hello

    def _reply(self, timeout: float) -> dict[str, Any] | None:
        assert self.process is not None and self.process.stdout is not None
        box: list[dict[str, Any] | None] = [None]
        stream = self.process.stdout

        def read() -> None:
            with contextlib.suppress(ValueError, OSError):
                box[0] = read_frame(stream)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            return None
        return box[0]

    def run(self, modules: dict[str, bytes], limits: Limits, seed: int | None) -> Reply:
        """Grade ``modules`` in a fresh child of this worker; the worker's reply."""
        if self.process is None or self.process.poll() is not None:
            self.start()
        assert self.process is not None and self.process.stdin is not None
        job = Job(modules=dict(modules), limits=limits, seed=seed, token=secrets.token_hex(16))
        try:
            write_frame(self.process.stdin, job.to_dict())
        except (BrokenPipeError, OSError) as error:
            self.stop()
            raise WorkerDied(f"the grading worker could not take the job: {error}") from None
        frame = self._reply(limits.timeout + 30)
        if frame is None:
            self.stop()
            raise WorkerDied("the grading worker stopped answering")
        try:
            reply = Reply.from_dict(frame)
        except ProtocolError as error:
            # The worker shares its sandbox with the jobs it ran: it is not trusted again.
            self.stop()
            raise WorkerDied(f"the grading worker sent a malformed reply: {error}") from None
        if not reply.clean:
            # The job left something the worker could not remove: the next job gets a
            # fresh sandbox, never what this one left.
            self.stop()
        return reply

    def stop(self) -> None:
        process = self.process
        self.process = None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _drain(stream: Any, tail: list[bytes]) -> None:
    with contextlib.suppress(OSError, ValueError):
        for line in iter(stream.readline, b""):
            tail.append(line)
            del tail[:-20]


class WorkerPool:
    """``size`` workers; :meth:`acquire` lends one to a thread of the batch."""

    def __init__(self, size: int, *, sandboxed: bool) -> None:
        self.sandboxed = sandboxed
        self._free = [Worker(slot, sandboxed=sandboxed) for slot in range(size)]
        self._all = list(self._free)
        self._lock = threading.Condition()
        self._stopping = False

    def acquire(self) -> Worker:
        with self._lock:
            while not self._free:
                if self._stopping:
                    raise WorkerDied("the batch is stopping")
                self._lock.wait(0.2)
            if self._stopping:
                raise WorkerDied("the batch is stopping")
            return self._free.pop()

    def release(self, worker: Worker) -> None:
        with self._lock:
            self._free.append(worker)
            self._lock.notify()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
        for worker in self._all:
            worker.stop()


def check_sandbox(worker: Worker) -> list[str]:
    """What is wrong with the sandbox ``worker`` started in (nothing: ``[]``)."""
    facts = worker.hello
    if facts is None:
        return ["the worker has not started"]
    problems = []
    if os.geteuid() == 0 and facts.uid == 0:
        problems.append("the worker runs as root")
    if facts.pid not in (1, 2):
        problems.append(f"the worker has no PID namespace of its own (pid {facts.pid})")
    if facts.network == "reachable" or not facts.network.startswith("unreachable"):
        problems.append("the network is reachable")
    if facts.kit_writable:
        problems.append("the kit's files are writable")
    if facts.solutions_visible:
        problems.append("the solutions are visible")
    return problems
