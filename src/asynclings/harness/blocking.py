"""Code that blocks the event loop: caught at the call, or named where it is stuck.

A coroutine that blocks (``time.sleep``, a thread lock held across an ``await``,
``queue.Queue.get``, ``input()``) freezes every task of its loop. Virtual time cannot
see it, and most of these burn no CPU, so a CPU budget cannot see it either. Two
pieces cover it:

* :func:`detect_blocking` makes blocking calls made from the code under test raise
  :class:`~blockbuster.BlockingError` at the call, while an event loop runs in that
  thread. It is blockbuster (``time.sleep``, file and socket I/O, ``input``,
  ``Lock.acquire`` and so ``Event.wait``, ``Condition.wait``, ``queue.Queue.get``...)
  plus what blockbuster does not see: ``with lock:`` on a thread lock (the statement
  calls ``__enter__``, not ``acquire``), ``threading.RLock`` and
  ``queue.SimpleQueue.get``. A lock that is free is taken as usual: only a call that
  would wait is refused.
* :func:`where_stuck` describes where a thread that has stopped making progress is
  stuck, innermost frame of the code under test first; :class:`LoopStuck` carries that
  description out of the item (the plugin's watchdog raises it when the loop's thread
  burns no CPU for too long: ``select.select``, a C extension's wait, anything else).
"""

from __future__ import annotations

import _queue
import _thread
import asyncio
import contextlib
import ctypes
import linecache
import sys
import threading
import types
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from blockbuster import BlockBuster, BlockingError

__all__ = ["BlockingError", "LoopStuck", "detect_blocking", "where_stuck"]


class LoopStuck(SystemExit):
    """Raised into the event loop's thread when it has been stuck in one call for too
    long. A ``SystemExit`` so that asyncio's tasks let it through (they keep any other
    exception as the task's result) and the learner's ``except Exception`` does not
    swallow it: the item ends at once, on the stuck line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _called_from(files: frozenset[str]) -> bool:
    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename in files:
            return True
        frame = frame.f_back
    return False


def _loop_running() -> bool:
    return asyncio._get_running_loop() is not None


def _refusing(original: Callable[..., Any], name: str, files: frozenset[str]) -> Callable[..., Any]:
    """``original`` (a lock's acquire or ``__enter__``, a queue's get) made to raise
    :class:`BlockingError` instead of waiting, when called from ``files`` while an
    event loop runs in this thread."""

    def acquire(lock: Any, blocking: bool = True, timeout: float = -1) -> Any:
        if not blocking or timeout == 0 or not _loop_running() or not _called_from(files):
            return original(lock, blocking, timeout)
        if lock.acquire(False):  # free, or held by this thread (RLock): no wait
            return True
        raise BlockingError(name)

    def enter(lock: Any) -> Any:
        if not _loop_running() or not _called_from(files):
            return original(lock)
        if lock.acquire(False):
            return True
        raise BlockingError(name)

    def get(queue: Any, block: bool = True, timeout: float | None = None) -> Any:
        if not block or not _loop_running() or not _called_from(files):
            return original(queue, block, timeout)
        try:
            return original(queue, False)
        except _queue.Empty:
            raise BlockingError(name) from None

    if name.endswith("__enter__"):
        return enter
    return get if name.endswith(".get") else acquire


_ADDED: list[tuple[type, str, str]] = [
    (_thread.LockType, "__enter__", "threading.Lock.__enter__"),
    (_thread.RLock, "acquire", "threading.RLock.acquire"),
    (_thread.RLock, "__enter__", "threading.RLock.__enter__"),
    (_queue.SimpleQueue, "get", "queue.SimpleQueue.get"),
]
"""Blocking methods of built-in types that blockbuster leaves alone."""


def _type_dict(klass: type) -> dict[str, Any]:
    """The real ``__dict__`` of a built-in type (its mappingproxy's target)."""
    from forbiddenfruit import patchable_builtin

    result: dict[str, Any] = patchable_builtin(klass)
    return result


@contextlib.contextmanager
def _patched(klass: type, attribute: str, replacement: Callable[..., Any]) -> Iterator[None]:
    # Built-in types refuse setattr; blockbuster patches them the same way (through
    # forbiddenfruit), but its own helper refuses dunder names such as __enter__.
    namespace = _type_dict(klass)
    original = namespace[attribute]
    namespace[attribute] = replacement
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(klass))
    try:
        yield
    finally:
        namespace[attribute] = original
        ctypes.pythonapi.PyType_Modified(ctypes.py_object(klass))


def _deactivate(buster: BlockBuster) -> None:
    """Undo blockbuster's patches, and the copies of its wrappers they leave behind.

    Patching a built-in type's method through forbiddenfruit keeps the replaced value
    under ``_c_<name>`` in the type's dict. Once the original is put back, that is
    blockbuster's wrapper, whose closure holds ``sys.stdout``: a static type's dict that
    refers to an instance of the type crashes Python 3.11 at exit (a segmentation
    fault once the grading is over, exit status 139).
    """
    buster.deactivate()
    for function in buster.functions.values():
        if isinstance(function.module, type):
            namespace = _type_dict(function.module)
            if namespace.pop(f"_c_{function.func_name}", None) is not None:
                ctypes.pythonapi.PyType_Modified(ctypes.py_object(function.module))


@contextlib.contextmanager
def detect_blocking(files: Iterable[str]) -> Iterator[None]:
    """While active, blocking calls made from ``files`` (the code under test, directly
    or through any library) while an event loop runs in their thread raise
    :class:`BlockingError` naming the call.

    Import the code under test only after this is on, so that ``from time import
    sleep`` picks up the guarded function too.
    """
    paths = frozenset(files)
    scanned = []
    for file in sorted(paths):
        # blockbuster scans frames by file path and takes modules: a stand-in names each.
        stand_in = types.ModuleType(f"learner file {file}")
        stand_in.__file__ = file
        scanned.append(stand_in)
    buster = BlockBuster(scanned_modules=scanned)
    with contextlib.ExitStack() as stack:
        buster.activate()
        stack.callback(_deactivate, buster)
        for klass, attribute, name in _ADDED:
            original = _type_dict(klass)[attribute]
            stack.enter_context(_patched(klass, attribute, _refusing(original, name, paths)))
        yield


def _frame_line(frame: types.FrameType) -> str:
    source = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno}  {source}"


def _call_name(frame: types.FrameType) -> str:
    module = frame.f_globals.get("__name__", "")
    qualname = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
    return f"{module}.{qualname}" if module else qualname


def where_stuck(thread_id: int, files: Iterable[str]) -> str:
    """Where thread ``thread_id`` is now: ``"at ex05.py:12  with self._lock:"``, with
    the library function it waits in when that is not the code under test's own line.
    Other threads stuck in ``files`` are named when ``thread_id`` is not in them."""
    paths = frozenset(files)
    frames = sys._current_frames()
    order = [thread_id] + [ident for ident in frames if ident != thread_id]
    for ident in order:
        innermost = frames.get(ident)
        frame = innermost
        while frame is not None and frame.f_code.co_filename not in paths:
            frame = frame.f_back
        if frame is None or innermost is None:
            continue
        where = f"at {_frame_line(frame)}"
        if innermost is not frame:
            where += f" (waiting inside {_call_name(innermost)})"
        if ident != thread_id:
            name = next((t.name for t in threading.enumerate() if t.ident == ident), "")
            where += f", in thread {name!r}"
        return where
    innermost = frames.get(thread_id)
    if innermost is None:
        return "in an unknown place"
    return f"inside {_call_name(innermost)} ({_frame_line(innermost)})"
