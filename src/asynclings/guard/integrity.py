"""Integrity checks: snapshots of the grader's tools, compared by identity and put back.

What this defends: the names the verdicts are computed with. :func:`take_snapshot`
records every name in the watched modules (``time``, ``asyncio``, ``signal``,
``threading``, ``builtins``, ``json``, pytest and pluggy, pytest-timeout,
pytest-asyncio, blockbuster, the kit and its graders) and in the classes they define,
plus a selection of ``sys`` and the callables of ``os``; :func:`process_state` records
the signal handlers, the real-time timer and the process-wide hooks (trace and profile
functions, exception hooks, the import system's hooks). :func:`namespace_changes` and
:func:`process_changes` compare the present with them by identity and, asked to, put
back what was replaced, deleted or added (``time.monotonic = ...``,
``TestReport.from_item_and_call = ...``, a new SIGALRM handler).

What it only detects: a change made and undone between two checks leaves no trace
here, and the put-back repairs names, not objects reached through them (a mutated list
or a patched C structure). A change is evidence: the guard fails the item and flags the
module (:mod:`asynclings.guard.core`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import types
from dataclasses import dataclass, field
from operator import is_
from typing import Any

__all__ = [
    "JUDGES",
    "SEALED",
    "WATCHED",
    "ProcessState",
    "Snapshot",
    "namespace_changes",
    "process_changes",
    "process_state",
    "take_snapshot",
]

# Modules whose names the verdicts depend on (a name, or a prefix ending in ".").
WATCHED = (
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
class Snapshot:
    """The grader's tools as they were: namespace (name, mapping) -> {key: value}."""

    namespaces: list[tuple[str, Any, dict[str, Any]]] = field(default_factory=list)
    modules: dict[str, types.ModuleType] = field(default_factory=dict)
    values: list[tuple[Any, ...] | None] = field(default_factory=list)
    """Per namespace, its values in order (``None``: a selection of a namespace,
    compared in full), for the quick check that nothing changed. (Not ids: ``id()``
    raises an audit event, and the tripwires would hear 14,000 of them per check.)"""


@dataclass
class ProcessState:
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


def process_state() -> ProcessState:
    handlers: dict[str, Any] = {}
    for name in _SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            handlers[name] = signal.getsignal(number)
    armed = signal.getitimer(signal.ITIMER_REAL)[0] > 0
    return ProcessState(handlers, _hooks(), armed)


# What serializing the results uses, once the session is over.
SEALED = ("json", "json.", "_json", "dataclasses", "copy", "builtins", "asynclings.results")


def take_snapshot(watched: tuple[str, ...] = WATCHED, *, system: bool = True) -> Snapshot:
    snapshot = Snapshot()
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


def namespace_changes(snapshot: Snapshot, *, restore: bool) -> list[str]:
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


def process_changes(before: ProcessState, *, restore: bool) -> list[str]:
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


JUDGES = (
    "asynclings.harness",
    "asynclings.harness.",
    "asynclings.rubric",
    "asynclings.plugin",
    "asynclings.results",
    "asynclings.feedback",
    "asynclings.guard",
    "asynclings.guard.",
    "asynclings_graders.",
)
"""The modules whose functions judge a learner's call right after it returns."""
