"""The guard: what keeps a submission from deciding its own verdicts, and what flags it
for review when it tries.

A batch grading process (:mod:`asynclings.grading.worker`) creates one :class:`Guard`
and grades with it. The guard has three parts:

**Integrity.** Just before the first submission module is imported, :meth:`Guard.arm`
takes a snapshot of the grader's tools: every name in the modules the verdicts depend on
(``time``, ``asyncio``, ``signal``, ``threading``, ``builtins``, ``json``, pytest and
pluggy, pytest-timeout, pytest-asyncio, blockbuster, the kit and its graders) and in
the classes they define, plus the signal handlers, the trace and profile functions and
the import system's hooks. After every rubric item :meth:`Guard.after_item` compares
them, by identity, with the snapshot. Anything the submission replaced (``time.monotonic
= ...``, ``asyncio.sleep = ...``, ``TestReport.from_item_and_call = ...``, a new
SIGALRM handler) is put back, the item fails, and every item of that exercise scores
nothing, flagged for review with what was changed.

**Tripwires.** An audit hook (:pep:`578`; once installed, Python code cannot remove it)
watches what the submission's own code does, directly or through the standard library:
frame walking (``sys._getframe``, ``inspect.stack``, ``tb_frame``, ``Task.get_stack``),
``gc`` searches for objects, ``ctypes``, trace and profile functions, new audit hooks,
reading files outside its own folder (the graders, ``/proc``), writing or deleting files
outside its scratch folder, starting processes, sending signals and opening network
connections. Each is refused (the call raises ``PermissionError``) and recorded as
evidence. A look at the source (:func:`scan_source`, run by the batch outside the
grading process) records the same kind of evidence by line: imports of pytest or the
kit, ``sys.modules``, ``setitimer``...

**Sealing.** :meth:`Guard.seal` runs the last integrity check and serializes the
results with thread switches held off, so a thread the submission left running cannot
slip a change in between.

What it does not do: it does not make in-process grading airtight against code written
to defeat this guard in particular (see ``docs/threat-model.md``). The sandbox around
the process bounds what such code can reach: its own submission, nothing else.
"""

from __future__ import annotations

import ast
import builtins
import os
import signal
import sys
import threading
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import is_
from pathlib import Path
from typing import Any

__all__ = ["TAMPERED", "Guard", "scan_source"]

TAMPERED = "the submission changed the grader's own tools"

# Modules whose names the verdicts depend on (a name, or a prefix ending in ".").
_WATCHED = (
    "time",
    "signal",
    "threading",
    "_thread",
    "builtins",
    "gc",
    "json",
    "json.",
    "_json",
    "contextvars",
    "_contextvars",
    "functools",
    "heapq",
    "selectors",
    "inspect",
    "traceback",
    "asyncio",
    "asyncio.",
    "_asyncio",
    "pytest",
    "_pytest.",
    "pluggy",
    "pluggy.",
    "pytest_timeout",
    "pytest_asyncio",
    "pytest_asyncio.",
    "blockbuster",
    "blockbuster.",
    "asynclings",
    "asynclings.",
    "asynclings_graders.",
)
# Names that change in the normal course of a grading run.
_VOLATILE = {
    ("sys", "stdout"),
    ("sys", "stderr"),
    ("sys", "stdin"),
    ("sys", "last_type"),
    ("sys", "last_value"),
    ("sys", "last_traceback"),
    ("sys", "last_exc"),
    ("sys", "exc_info"),
    ("sys", "tracebacklimit"),
    ("sys", "modules"),
    ("sys", "path_importer_cache"),
    ("_pytest.assertion.util", "_reprcompare"),
    ("_pytest.assertion.util", "_assertion_pass"),
    ("_pytest.assertion.util", "_config"),
    ("gc", "garbage"),
    ("builtins", "_"),
}
_SYS_WATCHED = (
    "exit",
    "meta_path",
    "path_hooks",
    "settrace",
    "setprofile",
    "setswitchinterval",
    "_getframe",
    "audit",
    "addaudithook",
)
_SIGNALS = ("SIGALRM", "SIGVTALRM", "SIGPROF", "SIGXCPU", "SIGTERM", "SIGINT", "SIGCHLD")


def _watched(name: str, watched: tuple[str, ...]) -> bool:
    if name.startswith("asynclings_submission_"):
        return False
    return any(name == w or (w.endswith(".") and name.startswith(w)) for w in watched)


@dataclass
class _Snapshot:
    """The grader's tools as they were: namespace (name, mapping) -> {key: value}."""

    namespaces: list[tuple[str, Any, dict[str, Any]]] = field(default_factory=list)
    modules: dict[str, types.ModuleType] = field(default_factory=dict)
    values: list[tuple[Any, ...] | None] = field(default_factory=list)
    """Per namespace, its values in order (``None``: a selection of a namespace,
    compared in full), for the quick check that nothing changed. (Not ids: ``id()``
    raises an audit event, and the tripwires would hear 14,000 of them per check.)"""


@dataclass
class _ProcessState:
    """Signal handlers, timers and hooks at the start of an item."""

    signals: dict[str, Any]
    hooks: dict[str, Any]
    alarm_armed: bool


def _hooks() -> dict[str, Any]:
    """Process-wide hooks; pytest swaps the exception hooks around each test phase, so
    these are compared from the start of an item to its end."""
    return {
        "trace function": sys.gettrace(),
        "profile function": sys.getprofile(),
        "threading trace function": getattr(threading, "gettrace", lambda: None)(),
        "threading excepthook": threading.excepthook,
        "sys excepthook": sys.excepthook,
        "sys unraisablehook": sys.unraisablehook,
        "import meta path": tuple(sys.meta_path),
        "import path hooks": tuple(sys.path_hooks),
    }


def _process_state() -> _ProcessState:
    handlers: dict[str, Any] = {}
    for name in _SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            handlers[name] = signal.getsignal(number)
    armed = signal.getitimer(signal.ITIMER_REAL)[0] > 0
    return _ProcessState(handlers, _hooks(), armed)


# What serializing the results uses, once the session is over.
_SEALED = ("json", "json.", "_json", "dataclasses", "copy", "builtins", "asynclings.results")


def take_snapshot(watched: tuple[str, ...] = _WATCHED, *, system: bool = True) -> _Snapshot:
    snapshot = _Snapshot()
    for name, module in sorted(sys.modules.items()):
        if not isinstance(module, types.ModuleType) or not _watched(name, watched):
            continue
        snapshot.modules[name] = module
        namespace = vars(module)
        snapshot.namespaces.append((name, namespace, dict(namespace)))
        snapshot.values.append(tuple(namespace.values()))
        for value in list(namespace.values()):
            if isinstance(value, type) and getattr(value, "__module__", None) == name:
                label = f"{name}.{value.__qualname__}"
                members = vars(value)
                snapshot.namespaces.append((label, value, dict(members)))
                snapshot.values.append(tuple(members.values()))
    if not system:
        return snapshot
    sys_namespace = vars(sys)
    snapshot.namespaces.append(
        ("sys", sys_namespace, {k: sys_namespace[k] for k in _SYS_WATCHED if k in sys_namespace})
    )
    snapshot.values.append(None)
    os_namespace = vars(os)
    snapshot.namespaces.append(
        ("os", os_namespace, {k: v for k, v in os_namespace.items() if callable(v)})
    )
    snapshot.values.append(None)
    return snapshot


def _namespace_changes(snapshot: _Snapshot, *, restore: bool) -> list[str]:
    """What differs from ``snapshot`` (put back if ``restore``)."""
    changed: list[str] = []
    for (label, owner, before), values in zip(snapshot.namespaces, snapshot.values, strict=True):
        is_class = isinstance(owner, type)
        now = vars(owner) if is_class else owner
        if values is not None and len(now) == len(values) and all(map(is_, now.values(), values)):
            continue  # the common case, at C speed
        for key, value in before.items():
            if (label, key) in _VOLATILE:
                continue
            current = now.get(key, _MISSING)
            if current is not value:
                how = "deleted" if current is _MISSING else "replaced"
                changed.append(f"{label}.{key} was {how}")
                if restore:
                    _put_back(owner, key, value, is_class=is_class)
        if label == "builtins" or is_class:
            for key in [k for k in now if k not in before]:
                if (label, key) in _VOLATILE or key.startswith("__"):
                    continue
                changed.append(f"{label}.{key} was added")
                if restore:
                    _put_back(owner, key, _MISSING, is_class=is_class)
    for name, module in snapshot.modules.items():
        if sys.modules.get(name, module) is not module:
            changed.append(f"sys.modules[{name!r}] was replaced")
            if restore:
                sys.modules[name] = module
    return changed


def _put_back(owner: Any, key: str, value: Any, *, is_class: bool) -> None:
    try:
        if value is _MISSING:
            if is_class:
                delattr(owner, key)
            else:
                del owner[key]
        elif is_class:
            setattr(owner, key, value)
        else:
            owner[key] = value
    except (TypeError, AttributeError, KeyError):
        pass  # a built-in type: nothing Python code could have changed either


def _process_changes(before: _ProcessState, *, restore: bool) -> list[str]:
    changed: list[str] = []
    for name, handler in before.signals.items():
        number = getattr(signal, name)
        if signal.getsignal(number) is not handler:
            changed.append(f"the {name} signal handler was changed")
            if restore and handler is not None:
                signal.signal(number, handler)
    if before.alarm_armed and signal.getitimer(signal.ITIMER_REAL)[0] == 0:
        changed.append("the grader's time limit was switched off (signal.setitimer/alarm)")
    now_hooks = _hooks()
    for name, value in before.hooks.items():
        current = now_hooks[name]
        if isinstance(value, tuple) and isinstance(current, tuple):
            same = len(value) == len(current) and all(
                a is b for a, b in zip(value, current, strict=True)
            )
        else:
            same = current is value
        if not same:
            changed.append(f"the {name} was changed")
            if restore:
                _restore_hook(name, value)
    return changed


def _restore_hook(name: str, value: Any) -> None:
    if name == "trace function":
        sys.settrace(value)
    elif name == "profile function":
        sys.setprofile(value)
    elif name == "threading trace function":
        threading.settrace(value)
    elif name == "threading excepthook":
        threading.excepthook = value
    elif name == "sys excepthook":
        sys.excepthook = value
    elif name == "sys unraisablehook":
        sys.unraisablehook = value
    elif name == "import meta path":
        sys.meta_path[:] = list(value)
    elif name == "import path hooks":
        sys.path_hooks[:] = list(value)


_MISSING = object()


def tampered_message(changes: list[str]) -> str:
    """The learner-facing verdict on an item whose tools or facts were changed."""
    shown = "; ".join(changes[:5]) + ("; ..." if len(changes) > 5 else "")
    return (
        f"{TAMPERED} ({shown}): no verdict on this module can be trusted, so every item "
        "scores nothing; flagged for the instructor's review"
    )


def checkpoint() -> list[str]:
    """In a grading process with an armed guard: what the code under test changed in
    the kit's and the graders' modules since the item began (put back). Called when a
    learner's call returns, before the grader looks at the result, so that a change
    undone later (when the grader calls the changed function) is still seen."""
    guard = _armed[0] if _armed else None
    return guard.quick_check() if guard is not None else []


def report_tampering(changes: list[str]) -> None:
    """Charge ``changes`` to the module whose item is running (batch grading only)."""
    guard = _armed[0] if _armed else None
    if guard is not None and guard.current_file is not None:
        known = guard.tampered.setdefault(guard.current_file, [])
        known.extend(c for c in changes if c not in known)


_armed: list[Guard] = []
_JUDGES = (
    "asynclings.harness",
    "asynclings.harness.",
    "asynclings.rubric",
    "asynclings.plugin",
    "asynclings.results",
    "asynclings.feedback",
    "asynclings.guard",
    "asynclings_graders.",
)
"""The modules whose functions judge a learner's call right after it returns."""

# Tripwires ---------------------------------------------------------------------------------

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


class _Tripwires:
    """The audit hook: refuses and records what the submission's own code attempts."""

    def __init__(self, learner_dirs: Iterable[Path], writable: Iterable[Path]) -> None:
        self.learner_dirs = tuple(str(Path(d).resolve()) + os.sep for d in learner_dirs)
        self.writable = tuple(str(Path(d).resolve()) + os.sep for d in writable)
        readable = {*_STDLIB, *self.learner_dirs, *self.writable}
        for path in sys.path:
            if "site-packages" in path or "dist-packages" in path:
                readable.add(str(Path(path).resolve()) + os.sep)
        self.readable = tuple(readable)
        from .manifest import content_root

        kit = Path(__file__).resolve().parent
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
        owner = _armed[0].current_file if _armed and _armed[0].current_file else filename
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


_installed: list[_Tripwires] = []


def _install(tripwires: _Tripwires) -> None:
    """Add the audit hook (once per process: hooks cannot be removed)."""
    if not _installed:
        sys.addaudithook(_dispatch)
    _installed[:] = [tripwires]


def _dispatch(event: str, args: tuple[Any, ...]) -> None:
    if _installed:
        _installed[0](event, args)


# Reading the source ------------------------------------------------------------------------

_SUSPECT_IMPORTS = {
    "_pytest": "imports pytest's internals",
    "pluggy": "imports pytest's plugin system",
    "asynclings": "imports the grading kit",
    "asynclings_graders": "imports the graders",
    "ctypes": "imports ctypes",
    "_ctypes": "imports ctypes",
    "signal": "imports signal",
    "subprocess": "imports subprocess",
    "multiprocessing": "imports multiprocessing",
    "_posixsubprocess": "imports _posixsubprocess",
    "gc": "imports gc",
    "builtins": "imports builtins",
}
_SUSPECT_ATTRIBUTES = {
    "_getframe": "reads frames (sys._getframe)",
    "_current_frames": "reads frames (sys._current_frames)",
    "currentframe": "reads frames (inspect.currentframe)",
    "f_back": "walks frames (f_back)",
    "f_locals": "reads a frame's variables (f_locals)",
    "f_globals": "reads a frame's globals (f_globals)",
    "tb_frame": "reads a traceback's frames",
    "cr_frame": "reads a coroutine's frame",
    "gi_frame": "reads a generator's frame",
    "__globals__": "reads a function's globals",
    "__code__": "touches a function's code object",
    "get_referrers": "searches objects with gc",
    "get_objects": "searches objects with gc",
    "setitimer": "sets interval timers (signal.setitimer)",
    "alarm": "sets an alarm (signal.alarm)",
    "settrace": "installs a trace function",
    "setprofile": "installs a profile function",
    "setsid": "starts a new session (os.setsid)",
    "fork": "forks a process",
    "_fork_exec": "starts a process (subprocess._fork_exec)",
    "fork_exec": "starts a process (_posixsubprocess.fork_exec)",
    "posix_spawn": "starts a process (os.posix_spawn)",
    "posix_spawnp": "starts a process (os.posix_spawnp)",
    "_exit": "ends the interpreter at once (os._exit)",
    "addaudithook": "adds an audit hook",
    "modules": "reaches into sys.modules",
}


_OWNED = {"fork": ("os",), "alarm": ("signal",), "_exit": ("os",), "modules": ("sys",)}
"""Attribute names that are evidence only on these modules (``self._exit`` is not)."""
_PYTEST_STOPPERS = {"exit", "skip", "xfail"}


def _main_guard(node: ast.AST) -> bool:
    """Whether ``node`` is ``if __name__ == "__main__":`` (code the grader never runs)."""
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
        and any(
            isinstance(c, ast.Constant) and c.value == "__main__" for c in node.test.comparators
        )
    )


def _graded_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node of the module, except those under ``if __name__ == "__main__":``."""
    nodes: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(child for child in ast.iter_child_nodes(node) if not _main_guard(child))
    return nodes


def scan_source(source: str) -> list[str]:
    """Evidence, by line, of what an exercise module has no business doing (outside an
    ``if __name__ == "__main__":`` block, which grading never runs)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found: list[str] = []
    for node in _graded_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in _SUSPECT_IMPORTS:
                    found.append(f"line {node.lineno}: {_SUSPECT_IMPORTS[top]}")
        elif isinstance(node, ast.ImportFrom):
            top = (node.module or "").split(".")[0]
            if top in _SUSPECT_IMPORTS:
                found.append(f"line {node.lineno}: {_SUSPECT_IMPORTS[top]}")
            if top == "pytest" and any(a.name in _PYTEST_STOPPERS for a in node.names):
                found.append(f"line {node.lineno}: imports pytest's exit/skip")
            if top == "os" and any(a.name == "_exit" for a in node.names):
                found.append(f"line {node.lineno}: {_SUSPECT_ATTRIBUTES['_exit']}")
        elif isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner == "pytest" and node.attr in _PYTEST_STOPPERS:
                found.append(f"line {node.lineno}: calls pytest.{node.attr} (stops the grading)")
            elif node.attr in _SUSPECT_ATTRIBUTES:
                if node.attr in _OWNED and owner not in _OWNED[node.attr]:
                    continue
                found.append(f"line {node.lineno}: {_SUSPECT_ATTRIBUTES[node.attr]}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
        ):
            found.append(f"line {node.lineno}: imports by name (__import__)")
    return sorted(set(found), key=lambda line: (int(line.split(":")[0][5:]), line))


# The guard ------------------------------------------------------------------------------------


class Guard:
    """Integrity checks and tripwires for one grading process (see the module's doc)."""

    def __init__(self, learner_dirs: Iterable[Path], scratch: Path) -> None:
        self.learner_dirs = [Path(d) for d in learner_dirs]
        self.scratch = scratch
        self._snapshot: _Snapshot | None = None
        self._item_state: _ProcessState | None = None
        self._tripwires: _Tripwires | None = None
        self.tampered: dict[str, list[str]] = {}
        """Learner file -> what it changed."""
        self.late: list[str] = []
        self._closing: _Snapshot | None = None
        self._kit: _Snapshot | None = None
        self.current_file: str | None = None

    def pytest_configure(self, config: Any) -> None:
        config.stash[GUARD_KEY] = self

    def arm(self) -> None:
        """Snapshot the tools and switch the tripwires on (before any submission
        module is imported)."""
        self._snapshot = take_snapshot()
        self._kit = take_snapshot(_JUDGES, system=False)
        self._tripwires = _Tripwires(self.learner_dirs, [self.scratch])
        _install(self._tripwires)
        _armed[:] = [self]

    def before_item(self, file: Path | None = None) -> None:
        self._item_state = _process_state()
        self.current_file = str(file) if file is not None else None

    def quick_check(self) -> list[str]:
        """The kit's and graders' namespaces only (cheap: every learner call)."""
        return _namespace_changes(self._kit, restore=True) if self._kit is not None else []

    def after_item(self, file: Path) -> list[str]:
        """What the submission changed (now put back), charged to ``file``: the module
        whose item just ran."""
        if self._snapshot is None:
            return []
        changes = _namespace_changes(self._snapshot, restore=True)
        if self._item_state is not None:
            changes += _process_changes(self._item_state, restore=True)
            self._item_state = None
        if changes:
            known = self.tampered.setdefault(str(file), [])
            known.extend(c for c in changes if c not in known)
        return changes

    def flags(self, file: str) -> list[str]:
        """The evidence against one learner file, for the instructor."""
        lines = [f"changed the grader's tools: {c}" for c in self.tampered.get(file, [])]
        if self._tripwires is not None:
            lines += [what for path, what in self._tripwires.evidence if path == file]
        return list(dict.fromkeys(lines))

    def last_check(self) -> None:
        """After the last item, while the kit's own patches are still in place: what
        changed since the last item (a thread the submission left running, say)."""
        if self._snapshot is not None:
            self.late = _namespace_changes(self._snapshot, restore=True)

    def seal(self, serialize: Callable[[list[str]], bytes]) -> bytes:
        """``serialize(late_changes)``, checking once more that nothing changed since
        the session ended, with no thread switch between check and serialization: a
        thread the submission left running cannot slip a change in."""
        previous = sys.getswitchinterval()
        sys.setswitchinterval(1000.0)
        try:
            late = list(self.late)
            if self._closing is not None:
                late += _namespace_changes(self._closing, restore=True)
            return serialize(late)
        finally:
            sys.setswitchinterval(previous)

    def close_session(self) -> None:
        """The grading session is over: snapshot the tools as the kit left them."""
        if self._snapshot is not None:
            self._closing = take_snapshot(_SEALED)


def _stash_key() -> Any:
    import pytest

    return pytest.StashKey["Guard"]()


GUARD_KEY = _stash_key()

# Keep references the submission cannot rebind for the checks above.
_ = (builtins,)
