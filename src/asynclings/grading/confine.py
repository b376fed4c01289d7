"""Limits the kernel enforces on a grading job, whatever the job's Python code does.

* :func:`refuse_process_starts` installs a seccomp filter in the job's process: from
  then on it and its threads cannot start a program (``execve``) or another process
  (``fork``, ``vfork``, ``clone`` without ``CLONE_THREAD``), whichever API asks for it:
  ``subprocess``, ``os.system``, ``os.posix_spawn``, ``_posixsubprocess.fork_exec``
  called directly, ``ctypes``. The call fails with ``PermissionError``; threads still
  start. The guard's audit hook flags the attempts it sees (``subprocess.Popen``,
  ``os.fork``...); this makes the refusal hold where it sees none. The filter also
  refuses ``mknod`` (``os.mkfifo``, ``os.mknod``: the file-making calls that raise no
  audit event, so the guard cannot keep them inside the job's own folder).
* :func:`ipc_objects` lists the System V IPC objects (shared memory, semaphores,
  message queues) in the sandbox's IPC namespace: a job must leave none for the next
  job in the same worker, which would read another learner's data there.
"""

from __future__ import annotations

import contextlib
import platform
import struct
import sys
from pathlib import Path

__all__ = ["ipc_objects", "refuse_process_starts"]

_LOAD_WORD = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JUMP_IF_EQUAL = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JUMP_IF_SET = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_JUMP_IF_GREATER_OR_EQUAL = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_X32_BIT = 0x40000000
_RETURN = 0x06  # BPF_RET | BPF_K
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000
_EPERM, _ENOSYS = 1, 38
_CLONE_THREAD = 0x00010000
_ARCHITECTURES = {
    # machine: (AUDIT_ARCH_*, clone, clone3, refused outright: fork, vfork, execve,
    # execveat, mknod, mknodat)
    "x86_64": (0xC000003E, 56, 435, (57, 58, 59, 322, 133, 259)),
    "aarch64": (0xC00000B7, 220, 435, (221, 281, 33)),
}


def _filter_program(arch: int, clone: int, clone3: int, refused: tuple[int, ...]) -> bytes:
    """The BPF program: seccomp_data holds the syscall number at offset 0, the
    architecture at 4, the first argument (clone's flags) from 16 (low word first)."""
    program = [
        (_LOAD_WORD, 0, 0, 4),
        # Another ABI in the same process (i386's int 0x80 from x86-64 code) has other
        # numbers: refuse it whole, nothing honest uses it.
        (_JUMP_IF_EQUAL, 1, 0, arch),
        (_RETURN, 0, 0, _ERRNO | _EPERM),
        (_LOAD_WORD, 0, 0, 0),
        # x32 numbers are x86-64's with bit 30 set: refuse them whole too.
        (_JUMP_IF_GREATER_OR_EQUAL, 0, 1, _X32_BIT),
        (_RETURN, 0, 0, _ERRNO | _EPERM),
    ]
    for number in refused:
        program += [(_JUMP_IF_EQUAL, 0, 1, number), (_RETURN, 0, 0, _ERRNO | _EPERM)]
    # clone3 keeps its flags in memory, out of a filter's reach: "not implemented" makes
    # the C library fall back to clone, whose flags the filter can read.
    program += [(_JUMP_IF_EQUAL, 0, 1, clone3), (_RETURN, 0, 0, _ERRNO | _ENOSYS)]
    program += [
        (_JUMP_IF_EQUAL, 0, 3, clone),
        (_LOAD_WORD, 0, 0, 16),
        (_JUMP_IF_SET, 1, 0, _CLONE_THREAD),
        (_RETURN, 0, 0, _ERRNO | _EPERM),
        (_RETURN, 0, 0, _ALLOW),
    ]
    return b"".join(struct.pack("HBBI", *instruction) for instruction in program)


def refuse_process_starts() -> bool:
    """From now on this process (and the threads it starts) can start no program and
    no process. Returns whether the filter is in place (``False`` on a machine or
    kernel it does not know: nothing changes there).

    Imports ``ctypes`` and takes it out of ``sys.modules`` again, so that the code
    graded later still raises the import event when it asks for it.
    """
    known = _ARCHITECTURES.get(platform.machine())
    if known is None or not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        program = ctypes.create_string_buffer(_filter_program(*known))

        class _Program(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        size = len(program.raw) // 8
        fprog = _Program(size, ctypes.addressof(program))
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
        if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
            return False
        return bool(libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(fprog), 0, 0) == 0)
    finally:
        for name in [
            n for n in sys.modules if n == "ctypes" or n.startswith(("ctypes.", "_ctypes"))
        ]:
            del sys.modules[name]


_IPC_KINDS = {"shm": "shared memory segment", "sem": "semaphore set", "msg": "message queue"}


def ipc_objects(proc: Path = Path("/proc/sysvipc")) -> list[str]:
    """The System V IPC objects that exist now, described (``"shared memory segment
    key 0x2a, 4096 bytes"``)."""
    found = []
    for kind, what in _IPC_KINDS.items():
        with contextlib.suppress(OSError):
            lines = (proc / kind).read_text().splitlines()[1:]
            for line in lines:
                fields = line.split()
                if len(fields) < 2:
                    continue
                key = int(fields[0]) & 0xFFFFFFFF  # /proc shows it signed
                size = f", {fields[3]} bytes" if kind == "shm" and len(fields) > 3 else ""
                found.append(f"{what} key {key:#x}{size}")
    return found
