"""Turning whatever ended a rubric item into one or two sentences for the learner.

:func:`explain` maps an exception to ``(message, details)``: a failed check keeps its own
words; the classic asyncio pitfalls (a coroutine never awaited, ``asyncio.run`` inside a
running loop, a primitive bound to another loop, ``time.sleep`` in a coroutine, a
deadlock) get their own explanation; anything else is named with the line of the
learner's code it came from, without a traceback through the grader.
"""

from __future__ import annotations

import linecache
import re
import sysconfig
import traceback
from pathlib import Path

import pytest
from blockbuster import BlockingError

from .harness.checks import RubricFailure
from .harness.loop import Deadlock, SimulatedTimeExceeded
from .results import ModuleProblem
from .rubric import CpuBudgetExceeded
from .submission import SubmissionProblem

__all__ = ["NOT_IMPLEMENTED", "explain", "module_problem", "never_awaited_note"]

NOT_IMPLEMENTED = "not implemented yet"

_PITFALLS: list[tuple[type[BaseException], str, str]] = [
    (
        TypeError,
        "can't be used in 'await' expression",
        "awaited something that is not awaitable ({error}): `await` works on coroutines, "
        "tasks and futures; a plain function's return value cannot be awaited",
    ),
    (
        RuntimeError,
        "cannot be called from a running event loop",
        "asyncio.run() was called inside a running event loop: exercise functions already "
        "run in the caller's loop, so `await` the coroutine instead of starting a new loop",
    ),
    (
        RuntimeError,
        "bound to a different event loop",
        "an asyncio primitive (Lock, Event, Semaphore, Queue...) is bound to a different "
        "event loop: it was created once (at import time or as a class attribute) and "
        "reused by a second loop; create it in __init__ or inside the coroutine",
    ),
    (
        RuntimeError,
        "no current event loop",
        "asyncio.get_event_loop() found no event loop ({error}): it does not create one "
        "outside the main thread or after a loop was closed; use asyncio.run(...) to "
        "start a loop, or asyncio.get_running_loop() inside a coroutine",
    ),
    (
        RuntimeError,
        "Event loop is closed",
        "the event loop was already closed ({error}): an exercise function must not close "
        "the caller's loop, and a closed loop cannot be reused",
    ),
    (
        RuntimeError,
        "This event loop is already running",
        "run_until_complete()/run_forever() was called on the running loop: inside a "
        "coroutine, `await` instead",
    ),
]


def _learner_frames(error: BaseException, learner: Path | None) -> list[traceback.FrameSummary]:
    if learner is None:
        return []
    target = str(learner)
    return [
        frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == target
    ]


def _at(error: BaseException, learner: Path | None) -> str:
    frames = _learner_frames(error, learner)
    if not frames:
        return ""
    frame = frames[-1]
    line = frame.line or linecache.getline(frame.filename, frame.lineno or 0).strip()
    return f"\n  at {Path(frame.filename).name}:{frame.lineno}  {line}"


def _function_in(error: BaseException, learner: Path | None) -> str | None:
    frames = _learner_frames(error, learner)
    return frames[-1].name if frames else None


def _blocking_call(error: BaseException, learner: Path | None) -> str:
    """The function the learner's code called that blocked: ``threading.Event.wait``
    rather than the ``Lock.acquire`` deep inside it that blockbuster refused."""
    refused = str(error).removeprefix("Blocking call to ")
    if refused.startswith("lock."):  # blockbuster names the built-in type by its own name
        refused = f"threading.Lock.{refused.removeprefix('lock.')}"
    target = str(learner) if learner is not None else None
    called = None
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == target:
            called = None
        elif called is None and code.co_filename.startswith(_STDLIB):
            module = tb.tb_frame.f_globals.get("__name__", "")
            called = f"{module}.{code.co_qualname}"
        tb = tb.tb_next
    if called is not None and "." in called:
        return f"{called}()"
    if refused.endswith(".__enter__"):
        return f"`with` on a {refused.removesuffix('.__enter__')}"
    return f"{refused}()"


_STDLIB = sysconfig.get_paths()["stdlib"]

_BLOCKING_HINTS = [
    (
        ("Lock", "Semaphore", "Condition.__enter__"),
        "a thread lock held across an `await` makes the next task wait for it inside the "
        "loop, so the task that holds it never runs again to release it; use "
        "asyncio.Lock (or Semaphore) with `async with`",
    ),
    (("Event.wait", "Condition.wait", "Barrier"), "use asyncio.Event and `await event.wait()`"),
    (("Queue.", "SimpleQueue."), "use asyncio.Queue and `await queue.get()` / `put()`"),
    (("sleep",), "use `await asyncio.sleep(...)`"),
    (("input",), "read input before the loop starts, or `await asyncio.to_thread(input)`"),
    (("socket",), "use asyncio streams (asyncio.open_connection) or loop.sock_recv"),
]


def _blocking_hint(call: str) -> str:
    for markers, hint in _BLOCKING_HINTS:
        if any(marker in call for marker in markers):
            return hint
    return "use an asyncio equivalent or `await asyncio.to_thread(...)`"


def module_problem(error: BaseException) -> ModuleProblem | None:
    """The problem of the whole module behind the exception that ended an item, if it
    is one: the loader's verdict (it does not load, hangs at import, is missing) or a
    function that still raises NotImplementedError."""
    if isinstance(error, SubmissionProblem):
        return error.kind
    if isinstance(error, NotImplementedError):
        return "not implemented"
    return None


def explain(error: BaseException, learner: Path | None) -> tuple[str, str]:
    """``(message, details)`` for the exception that ended an item.

    ``learner`` is the submission file, used to point at the learner's own line.
    """
    if isinstance(error, RubricFailure):
        return error.message, error.details
    if isinstance(error, SubmissionProblem):
        return str(error), ""
    if isinstance(error, NotImplementedError):
        function = _function_in(error, learner)
        what = f"`{function}` still raises NotImplementedError" if function else str(error)
        return f"{NOT_IMPLEMENTED}: {what}; replace the body with your code", ""
    if isinstance(error, Deadlock):
        head, *waits = str(error).splitlines()
        return (
            f"{head}: some task waits for something only another waiting task could give "
            "(a lock held by a task that waits for yours, an event never set)",
            "\n".join(waits),
        )
    if isinstance(error, SimulatedTimeExceeded):
        head, *waits = str(error).splitlines()
        return head, "\n".join(waits)
    if isinstance(error, BlockingError):
        call = _blocking_call(error, learner)
        return (
            f"{call} blocks the event loop: every other task freezes while it waits; "
            f"{_blocking_hint(call)}{_at(error, learner)}",
            "",
        )
    if isinstance(error, CpuBudgetExceeded):
        return str(error) + _at(error, learner), ""
    if isinstance(error, pytest.fail.Exception) and "Timeout" in str(error):
        return (
            f"did not finish within the real-time limit ({str(error).strip()}): "
            "something runs forever without giving the event loop a turn (an endless "
            "loop with no await, a blocking call)",
            "",
        )
    for kind, marker, message in _PITFALLS:
        if isinstance(error, kind) and marker in str(error):
            return message.format(error=error) + _at(error, learner), ""
    function = _function_in(error, learner)
    where = f"`{function}` raised" if function else "the code raised"
    return f"{where} {type(error).__name__}: {error}{_at(error, learner)}", ""


_NEVER_AWAITED = re.compile(r"coroutine '([^']+)' was never awaited")


def never_awaited_note(warning_messages: list[str]) -> str:
    """A note for coroutines that were created but never awaited, if any."""
    names = sorted(
        {
            m.group(1).rsplit(".", 1)[-1]
            for text in warning_messages
            if (m := _NEVER_AWAITED.search(text))
        }
    )
    if not names:
        return ""
    listed = ", ".join(f"`{name}`" for name in names)
    return (
        f"note: coroutine {listed} was called but never awaited, so it never ran: "
        "`await` it, or wrap it in asyncio.create_task(...) / asyncio.gather(...)"
    )
