"""Which asyncio locks the code under test creates and acquires, observed at run time.

A lost update says that increments were not excluded, not why. :func:`watch_locks`
answers the why with facts: for the duration of a ``with`` block, the learner module's
own names for asyncio's mutexes (the ``asyncio`` module itself, or ``Lock``,
``Semaphore`` and ``BoundedSemaphore`` imported from it) stand for recording
subclasses, which log every lock created and every acquisition, with the task that did
it::

    with watch_locks(learner.module) as log:
        await together({"increment #1": counter.increment, ...})
    log.acquired_by("increment #1")   # the locks that task asked for, in order

Nothing outside the learner's module changes: asyncio itself, and locks created before
the block, are left as they are. :func:`lock_creations` quotes the lines of a function
that create such a lock, for the message.
"""

from __future__ import annotations

import ast
import asyncio
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .handlers import parse_source

__all__ = ["LockLog", "LockRecord", "lock_creations", "watch_locks"]

_KINDS = ("Lock", "Semaphore", "BoundedSemaphore")


def _task_name() -> str:
    task = asyncio.current_task()
    return task.get_name() if task is not None else "<no task>"


@dataclass
class LockRecord:
    """One lock created inside a :func:`watch_locks` block."""

    kind: str
    """``"asyncio.Lock"``, ``"asyncio.Semaphore"`` or ``"asyncio.BoundedSemaphore"``."""
    created_by: str
    """The name of the task that created it."""
    acquired_by: list[str] = field(default_factory=list)
    """The names of the tasks that asked for it, in order (one entry per ``acquire``)."""


class LockLog:
    """The locks created and acquired inside one :func:`watch_locks` block."""

    def __init__(self) -> None:
        self.locks: list[LockRecord] = []
        self._records: dict[int, LockRecord] = {}
        self._alive: list[object] = []  # keeps ids unique while the log lives

    def _created(self, lock: object, kind: str) -> None:
        record = LockRecord(kind=kind, created_by=_task_name())
        self.locks.append(record)
        self._records[id(lock)] = record
        self._alive.append(lock)

    def _acquired(self, lock: object) -> None:
        record = self._records.get(id(lock))
        if record is not None:
            record.acquired_by.append(_task_name())

    def acquired_by(self, task: str) -> list[LockRecord]:
        """The locks ``task`` asked for (each once, in the order of its first request)."""
        return [record for record in self.locks if task in record.acquired_by]


def _recording(base: type[Any], log: LockLog) -> type[Any]:
    kind = f"asyncio.{base.__name__}"

    class Recording(base):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            log._created(self, kind)

        async def acquire(self) -> bool:
            log._acquired(self)
            return bool(await super().acquire())

    Recording.__name__ = base.__name__
    Recording.__qualname__ = base.__qualname__
    return Recording


@contextmanager
def watch_locks(module: types.ModuleType) -> Iterator[LockLog]:
    """Within the block, locks the code of ``module`` creates are recorded in the
    :class:`LockLog` yielded; the module's names are put back afterwards."""
    log = LockLog()
    replacements = {
        getattr(asyncio, kind): _recording(getattr(asyncio, kind), log) for kind in _KINDS
    }
    namespace = vars(module)
    originals: dict[str, object] = {}
    for name, value in list(namespace.items()):
        if value is asyncio or value is asyncio.locks:
            proxy = types.ModuleType(value.__name__, value.__doc__)
            vars(proxy).update(vars(value))
            for kind in _KINDS:
                vars(proxy)[kind] = replacements[getattr(asyncio, kind)]
            originals[name], namespace[name] = value, proxy
        elif isinstance(value, type) and value in replacements:
            originals[name], namespace[name] = value, replacements[value]
    try:
        yield log
    finally:
        namespace.update(originals)


def lock_creations(path: Path, function: str) -> list[str]:
    """``line N: `...` `` for every line of the functions named ``function`` in the file
    at ``path`` that calls ``Lock()``, ``Semaphore()`` or ``BoundedSemaphore()`` (by
    any module prefix). A file that cannot be read or parsed has none."""
    parsed = parse_source(path)
    if parsed is None:
        return []
    tree, lines = parsed
    found: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name != function:
            continue
        for inner in ast.walk(node):
            if not isinstance(inner, ast.Call):
                continue
            called = inner.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
            if name in _KINDS:
                found.add(inner.lineno)
    return [f"line {line}: `{lines[line - 1].strip()}`" for line in sorted(found)]
