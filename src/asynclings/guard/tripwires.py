"""Tripwires: an audit hook (:pep:`578`) that refuses and records what the
submission's own code attempts.

What this defends: the grading process's reach. Once installed the hook cannot be
removed by Python code; it hears the submission's code (directly, or through the
standard library on its behalf) walking frames (``sys._getframe``, ``inspect.stack``,
``tb_frame``, ``Task.get_stack``), searching objects with ``gc``, loading ``ctypes``,
installing trace, profile or audit hooks, compiling code under another file's name,
reading files outside its own folder (the graders, ``/proc``), writing or deleting
files outside its scratch folder, starting processes, sending signals and opening
network connections. Each is refused (the call raises ``PermissionError``) and
recorded as evidence, by line, for the instructor.

What it only detects: walking its own exception's traceback (``traceback.walk_tb``),
which honest code does to log it, is recorded but let through. And it cannot stop
what raises no audit event (a C extension already loaded, code that never calls into
the interpreter's hooked functions): the integrity checks and the sandbox around the
process are the next lines of defence.
"""

from __future__ import annotations

import os
import sys
import threading
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = ["Tripwires", "install"]

_STDLIB = (str(Path(os.__file__).resolve().parent) + os.sep,)
"""The standard library's folder (site-packages below it is not the standard library)."""
# Standard-library functions that hand frames to their caller: reaching one from the
# submission's code is frame walking, as much as sys._getframe itself.
_FRAME_GIVERS = {
    "currentframe",
    "stack",
    "trace",
    "getouterframes",
    "getinnerframes",
    "walk_tb",
    "walk_stack",
    "get_stack",
    "_task_get_stack",
}
_FRAME_GIVERS_FLAGGED = {"walk_tb"}
"""Of those, the ones honest code uses (logging its own exception's traceback): the
call is recorded as evidence but goes through."""
_FRAME_ATTRIBUTES = {"tb_frame", "cr_frame", "gi_frame", "ag_frame", "f_back"}
_PROCESS_EVENTS = {
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "subprocess.Popen",
    "pty.spawn",
}
_SIGNAL_EVENTS = {"os.kill", "os.killpg", "signal.pthread_kill"}
_NETWORK_EVENTS = {
    "socket.connect",
    "socket.bind",
    "socket.sendto",
    "socket.sendmsg",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
}
_FILE_CHANGES = {
    "os.remove",
    "os.rename",
    "os.rmdir",
    "shutil.rmtree",
    "shutil.move",
    "os.chmod",
    "os.chown",
    "os.truncate",
    "os.mkdir",
    "os.symlink",
    "os.link",
    "os.utime",
}
_FORBIDDEN_IMPORTS = {"ctypes", "_ctypes", "cffi", "_posixsubprocess"}
_INTROSPECTION = {
    "sys._getframe",
    "sys._current_frames",
    "gc.get_objects",
    "gc.get_referrers",
    "gc.get_referents",
    "sys.settrace",
    "sys.setprofile",
    "sys.addaudithook",
}
_EVENTS = (
    _INTROSPECTION
    | _PROCESS_EVENTS
    | _SIGNAL_EVENTS
    | _NETWORK_EVENTS
    | _FILE_CHANGES
    | {"open", "import", "object.__getattr__", "object.__setattr__", "compile", "code.__new__"}
)


_LINECACHE = os.sep + "linecache.py"


def _in_stdlib(filename: str) -> bool:
    if filename.startswith("<frozen"):
        return True
    return filename.startswith(_STDLIB) and "-packages" + os.sep not in filename


class _Refused(PermissionError):
    pass


class Tripwires:
    """The audit hook: refuses and records what the submission's own code attempts."""

    def __init__(
        self,
        learner_dirs: Iterable[Path],
        writable: Iterable[Path],
        current_file: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.current_file = current_file
        """The learner file whose item is running, if any (evidence from code the
        submission made elsewhere is charged to it)."""
        self.learner_dirs = tuple(str(Path(d).resolve()) + os.sep for d in learner_dirs)
        self.writable = tuple(str(Path(d).resolve()) + os.sep for d in writable)
        readable = {*_STDLIB, *self.learner_dirs, *self.writable}
        for path in sys.path:
            if "site-packages" in path or "dist-packages" in path:
                readable.add(str(Path(path).resolve()) + os.sep)
        self.readable = tuple(readable)
        from ..manifest import content_root

        kit = Path(__file__).resolve().parents[1]
        packages = [
            str(Path(p).resolve()) + os.sep
            for p in sys.path
            if "site-packages" in p or "dist-packages" in p
        ]
        self.trusted = (
            *packages,
            str(kit) + os.sep,
            str(content_root().resolve() / "graders") + os.sep,
        )
        self.kit = tuple(
            str(p) + os.sep
            for p in (
                kit,
                content_root().resolve() / "graders",
                content_root().resolve() / "solutions",
            )
        )
        self.evidence: list[tuple[str, str]] = []
        """(learner file, what it did and whether it was refused) in order."""
        self._busy = threading.local()

    # Where a call comes from

    def _learner_frame(self) -> tuple[types.FrameType, str] | None:
        """The submission's frame that started this event, and the name of the
        standard-library function it called to do so (``""``: its own code did it), if
        the event comes from the submission's code; ``None`` if it comes from the kit,
        pytest or another installed package.

        Code counts as the submission's unless it is shown otherwise: a frame of its
        files, of code it compiled under a made-up name (``<string>``), or a thread with
        nothing but the standard library on its stack (one it started on a built-in).
        """
        frame: types.FrameType | None = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename == __file__:
            frame = frame.f_back
        called = ""
        for_traceback = False
        last = frame
        while frame is not None:
            filename = frame.f_code.co_filename
            if filename.startswith(self.learner_dirs) or (
                filename.startswith("<")
                and not filename.startswith("<frozen")
                and not self._trusted_globals(frame)
            ):
                # Source lines read to format a traceback: "linecache".
                return frame, "linecache" if for_traceback else called
            if not _in_stdlib(filename) and not filename.startswith("<"):
                return None  # the kit, pytest, an installed package
            called = frame.f_code.co_name
            for_traceback = for_traceback or filename.endswith(_LINECACHE)
            last = frame
            frame = frame.f_back
        if last is not None and threading.current_thread() is not threading.main_thread():
            return last, called  # a thread running only the standard library
        return None

    def _trusted_globals(self, frame: types.FrameType) -> bool:
        """Whether code with a made-up file name (``<string>``) runs in the globals of a
        standard-library or kit module (dataclasses and namedtuple make such code)."""
        name = frame.f_globals.get("__name__")
        module = sys.modules.get(name) if isinstance(name, str) else None
        if module is None or vars(module) is not frame.f_globals:
            return False
        path = getattr(module, "__file__", None) or ""
        return _in_stdlib(path) or path.startswith(self.trusted)

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if event not in _EVENTS and not event.startswith("ctypes."):
            return
        if getattr(self._busy, "on", False):
            return
        self._busy.on = True
        try:
            verdict = self._judge(event, args)
        finally:
            self._busy.on = False
        if verdict is not None:
            raise _Refused(f"asynclings refuses this in exercise code: {verdict}")

    def _judge(self, event: str, args: tuple[Any, ...]) -> str | None:
        # Cheap filters first: most events of a grading run are the kit's own.
        if event == "object.__getattr__" and args[1] not in _FRAME_ATTRIBUTES:
            return None
        if event == "import" and args[0] not in _FORBIDDEN_IMPORTS:
            return None
        if event in ("compile", "code.__new__"):
            filename = args[1] if len(args) > 1 else None
            if not isinstance(filename, str | bytes) or not self._disguised(filename):
                return None
        if event == "object.__setattr__" and (
            len(args) < 2 or args[1] not in ("__code__", "__defaults__", "__kwdefaults__")
        ):
            return None
        origin = self._learner_frame()
        if origin is None:
            return None
        frame, called = origin
        what = self._what(event, args, called)
        if what is None:
            return None
        if called in _FRAME_GIVERS_FLAGGED:
            # Honest code walks its own exception's traceback to log it: flagged for a
            # look, not refused.
            what = f"{what} with traceback.{called}"
            self.evidence.append(self._where(frame, "seen", what))
            return None
        self.evidence.append(self._where(frame, "refused", what))
        return what

    def _where(self, frame: types.FrameType, verb: str, what: str) -> tuple[str, str]:
        """``(learner file, evidence)``: the line in the submission's own file, or, for
        code it made elsewhere (a thread on a built-in, ``<string>`` code), the module
        whose item was running."""
        filename = frame.f_code.co_filename
        if filename.startswith(self.learner_dirs):
            return filename, f"{verb} at line {frame.f_lineno}: {what}"
        owner = self.current_file() or filename
        return owner, f"{verb} in code it started ({Path(filename).name}): {what}"

    def _what(self, event: str, args: tuple[Any, ...], called: str) -> str | None:
        if event == "object.__getattr__" or event in ("sys._getframe", "sys._current_frames"):
            # The standard library looks at frames on the submission's behalf all the
            # time (TypeVar, namedtuple and logging read their caller's module name;
            # tracebacks are formatted): only the functions that hand frames back
            # count, and the submission's own direct access.
            if called and called not in _FRAME_GIVERS:
                return None
            return "frame inspection (reading the grader's frames)"
        if event in ("compile", "code.__new__"):
            return f"compiling code under another file's name ({_short(args[1])})"
        if event.startswith("gc."):
            return f"{event}() (searching the grader's objects)"
        if event in ("sys.settrace", "sys.setprofile"):
            return f"{event}() (tracing the grader's code)"
        if event == "sys.addaudithook":
            return "sys.addaudithook()"
        if event == "import" or event.startswith("ctypes."):
            name = args[0] if args else ""
            return f"ctypes or another raw-memory interface ({event} {name})"
        if event == "object.__setattr__":
            # namedtuple and NamedTuple set defaults for the submission: allowed; so is
            # rewriting the submission's own functions.
            target = getattr(args[0], "__code__", None) if not called else None
            if target is None or target.co_filename.startswith(self.learner_dirs):
                return None
            return f"rewriting the {args[1]} of a function it does not own"
        if event in _PROCESS_EVENTS:
            return f"starting a process ({event})"
        if event in _SIGNAL_EVENTS:
            return f"sending a signal ({event})"
        if event in _NETWORK_EVENTS:
            address = args[1:2] if event.startswith("socket.c") else args[:1]
            return f"network access ({event} {_short(address)})"
        if event == "open":
            if called == "linecache":
                return None  # formatting a traceback reads the source of its frames
            return self._open(args)
        if event in _FILE_CHANGES:
            path = args[0] if args else None
            if isinstance(path, int) or path is None:
                return None
            target = _resolve(path)
            if target.startswith(self.writable):
                return None
            return f"changing files outside its scratch folder ({event} {os.fsdecode(path)})"
        return None

    def _disguised(self, filename: str | bytes) -> bool:
        """Whether a file name given to compiled code claims the standard library, an
        installed package or the kit (code that would pass for theirs)."""
        name = os.fsdecode(filename)
        if name.startswith("<"):
            return False
        target = _resolve(name)
        return _in_stdlib(target) or target.startswith(self.trusted) or target.startswith(self.kit)

    def _open(self, args: tuple[Any, ...]) -> str | None:
        path, mode = args[0], args[1] if len(args) > 1 else "r"
        if isinstance(path, int) or path is None:
            return None
        target = _resolve(path)
        writing = isinstance(mode, str) and any(c in mode for c in "wax+")
        if isinstance(mode, int):  # os.open flags
            writing = bool(mode & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC))
        if writing:
            if target.startswith(self.writable):
                return None
            return f"writing outside its scratch folder ({target})"
        if target.startswith(self.kit):
            return f"reading the grader's files ({target})"
        if target.startswith(self.readable) or target in (
            "/dev/null",
            "/dev/urandom",
            "/etc/localtime",
        ):
            return None
        return f"reading files outside the submission ({target})"


def _resolve(path: Any) -> str:
    try:
        return os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return str(path)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


_installed: list[Tripwires] = []


def install(tripwires: Tripwires) -> None:
    """Add the audit hook (once per process: hooks cannot be removed)."""
    if not _installed:
        sys.addaudithook(_dispatch)
    _installed[:] = [tripwires]


def _dispatch(event: str, args: tuple[Any, ...]) -> None:
    if _installed:
        _installed[0](event, args)
