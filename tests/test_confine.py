"""What the kernel enforces on a grading job: no process starts by any API (threads
still start), and no System V IPC object outlives its job."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asynclings.grading.confine import ipc_objects
from asynclings.grading.sandbox import FIRST_UID, Worker
from asynclings.grading.worker import Limits
from asynclings.manifest import exercise

ATTEMPTS = """
import asyncio, json, os, subprocess, threading
from asynclings.grading.confine import refuse_process_starts

outcomes = {"filter": refuse_process_starts()}

def attempt(name, start):
    try:
        start()
        outcomes[name] = "started"
    except OSError as error:
        outcomes[name] = f"refused: {error.strerror}"

attempt("subprocess.run", lambda: subprocess.run(["/bin/true"]))
attempt("os.posix_spawn", lambda: os.posix_spawn("/bin/true", ["true"], {}))
attempt("os.fork", lambda: os.fork() or os._exit(0))
r, w = os.pipe()
attempt("subprocess._fork_exec", lambda: subprocess._fork_exec(
    [b"/bin/true"], [b"/bin/true"], True, (), None, None, -1, -1, -1, -1, -1, -1, r, w,
    False, False, -1, None, None, None, -1, None, False))
attempt("os.mkfifo", lambda: os.mkfifo(os.path.join(os.environ["SCRATCH"], "fifo")))
outcomes["os.system"] = os.system("/bin/true")
thread = threading.Thread(target=lambda: outcomes.setdefault("thread", "ran"))
thread.start()
thread.join()

async def in_a_thread():
    return await asyncio.to_thread(lambda: "ran")

outcomes["to_thread"] = asyncio.run(in_a_thread())
outcomes["ctypes left in sys.modules"] = "ctypes" in __import__("sys").modules
print(json.dumps(outcomes))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="seccomp is Linux's")
def test_no_process_starts_by_any_api_but_threads_do(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-c", ATTEMPTS],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SCRATCH": str(tmp_path)},
    )
    assert completed.returncode == 0, completed.stderr
    outcomes = json.loads(completed.stdout)
    assert outcomes.pop("filter") is True
    assert outcomes.pop("os.system") != 0  # the shell never started
    assert outcomes == {
        "subprocess.run": "refused: Operation not permitted",
        "os.posix_spawn": "refused: Operation not permitted",
        "os.fork": "refused: Operation not permitted",
        "subprocess._fork_exec": "refused: Operation not permitted",
        "os.mkfifo": "refused: Operation not permitted",
        "thread": "ran",
        "to_thread": "ran",
        "ctypes left in sys.modules": False,
    }


def test_ipc_objects_are_read_from_proc(tmp_path):
    (tmp_path / "shm").write_text(
        "       key      shmid perms                  size  cpid  lpid nattch   uid\n"
        "        42          3   600                  4096   10    10      0 61000\n"
    )
    (tmp_path / "sem").write_text("       key      semid perms      nsems   uid\n")
    (tmp_path / "msg").write_text(
        "       key      msqid perms      cbytes       qnum\n         0          1   600  0 0\n"
    )
    assert ipc_objects(tmp_path) == [
        "shared memory segment key 0x2a, 4096 bytes",
        "message queue key 0x0",
    ]
    assert ipc_objects(tmp_path / "missing") == []


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("nsenter") is None or shutil.which("ipcmk") is None,
    reason="needs nsenter and ipcmk (util-linux)",
)
@pytest.mark.skipif(os.geteuid() != 0, reason="nsenter into the sandbox needs root")
def test_an_ipc_object_in_the_workers_namespace_is_removed_and_reported():
    """A segment made in the sandbox's IPC namespace (as a job would through ctypes, had
    it got past the guard) is reported by the next job's reply and removed; one the
    worker cannot remove (another user's) makes it unclean, and it is replaced."""
    worker = Worker(0, sandboxed=True)
    worker.start()
    stub = exercise("ex02_gather").stub.read_bytes()
    try:
        assert worker.process is not None
        inside = _a_process_in_the_sandbox(worker.process.pid)
        enter = ["nsenter", "-t", str(inside), "--ipc"]
        as_the_job = [*enter, "-S", str(FIRST_UID), "-G", str(FIRST_UID)]
        made = subprocess.run([*as_the_job, "ipcmk", "-M", "4096"], capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        reply = worker.run({"ex02_gather": stub}, Limits(timeout=20), None)
        (left,) = reply.left_behind
        assert left.startswith("shared memory segment key 0x") and left.endswith(", 4096 bytes")
        assert reply.clean and worker.process is not None  # kept: nothing is left
        after = subprocess.run([*enter, "cat", "/proc/sysvipc/shm"], capture_output=True)
        assert after.returncode == 0, after.stderr
        assert len(after.stdout.decode().strip().splitlines()) == 1  # the header alone

        made = subprocess.run([*enter, "ipcmk", "-M", "4096"], capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        reply = worker.run({"ex02_gather": stub}, Limits(timeout=20), None)
        assert reply.left_behind and not reply.clean
        assert worker.process is None  # stopped: the next job gets a fresh namespace
    finally:
        worker.stop()


def _a_process_in_the_sandbox(bwrap: int) -> int:
    """The deepest descendant of the bwrap process: the worker, in the sandbox's
    namespaces (bwrap itself stays outside them)."""
    current = bwrap
    while True:
        children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        if not children:
            return current
        current = int(children[0])
