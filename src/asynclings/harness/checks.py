"""Assertions for graders that speak to the learner.

A grader states what it checks in plain sentences: :func:`expect` and :func:`fail`
raise :class:`RubricFailure` with what happened, what was expected and the likely
cause; ``details`` carries a picture (a timeline, a store trace) shown under it.

Results are compared with :func:`same`: exact type and value, recursively, without ever
calling a method of the learner's objects (an object whose ``__eq__`` always returns
True does not pass).
"""

from __future__ import annotations

import inspect
import math
import reprlib
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

__all__ = [
    "RubricFailure",
    "close",
    "describe",
    "expect",
    "expect_awaitable",
    "expect_callable",
    "expect_same",
    "fail",
    "moment",
    "same",
    "seconds",
]


class RubricFailure(AssertionError):
    """A rubric item is not met. ``str()`` is the learner-facing message."""

    def __init__(self, message: str, *, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def fail(message: str, *, details: str = "") -> NoReturn:
    raise RubricFailure(message, details=details)


def expect(condition: object, message: str, *, details: str = "") -> None:
    if not condition:
        raise RubricFailure(message, details=details)


_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60
_repr.maxlist = 8
_repr.maxtuple = 8
_repr.maxdict = 8


def describe(value: object) -> str:
    """A short, safe repr: never runs more than the object's own ``__repr__``, and
    survives one that raises."""
    try:
        return _repr.repr(value)
    except Exception:
        return f"<{type(value).__name__} object whose repr() raised>"


def same(got: object, expected: object) -> bool:
    """Exact type and value, recursively. Exceptions and objects of types the grader
    did not build are compared by identity."""
    if got is expected:
        return True
    if type(got) is not type(expected):
        return False
    if isinstance(expected, list | tuple):
        assert isinstance(got, list | tuple)
        return len(got) == len(expected) and all(map(same, got, expected))
    if isinstance(expected, dict):
        assert isinstance(got, dict)
        return got.keys() == expected.keys() and all(same(got[k], expected[k]) for k in expected)
    if isinstance(expected, set | frozenset):
        return bool(got == expected)
    if isinstance(expected, str | bytes | int | float | bool | type(None)):
        return bool(expected == got)
    return False


def expect_same(got: object, expected: object, message: str, *, details: str = "") -> None:
    """Fail with ``message`` plus what came back and what was expected."""
    if not same(got, expected):
        fail(
            f"{message}\n  got:      {describe(got)} ({type(got).__name__})"
            f"\n  expected: {describe(expected)} ({type(expected).__name__})",
            details=details,
        )


def seconds(value: float) -> str:
    """``3.0`` → ``"3 s"``, ``0.25`` → ``"0.25 s"``: times as a learner reads them."""
    if math.isinf(value):
        return "forever"
    return f"{value:.3f}".rstrip("0").rstrip(".") + " s"


def moment(when: float | None, origin: float = 0.0) -> str:
    """``t=1.5``: the instant ``when`` as the timelines print it, counted from ``origin``
    (the start of the run); ``t=?`` for ``None`` (it never happened)."""
    if when is None:
        return "t=?"
    return "t=" + seconds(when - origin).removesuffix(" s")


def close(a: float, b: float) -> bool:
    """Equal up to float rounding of summed sleeps (1e-6 simulated seconds)."""
    return math.isclose(a, b, abs_tol=1e-6)


def expect_callable(function: object, name: str) -> Callable[..., Any]:
    """``function`` itself if it can be called; otherwise fail: "``name`` is not a
    function: it is ..." (the learner replaced it with something else)."""
    if not callable(function):
        fail(f"{name} is not a function: it is {describe(function)}")
    return function


def expect_awaitable(returned: object, name: str) -> Awaitable[Any]:
    """``returned`` (what calling ``name`` gave) if it can be awaited; otherwise fail:
    ``name`` must be declared with ``async def``."""
    if not inspect.isawaitable(returned):
        fail(
            f"{name}(...) returned {describe(returned)} instead of a coroutine: "
            f"declare it with `async def {name}(...)` so callers can await it"
        )
    return returned
