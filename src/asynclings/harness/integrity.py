"""Integrity checks the harness runs, registered by whoever guards the grading process.

When a learner's call returns, :meth:`~asynclings.harness.world.World.verify` checks the
facts the grader is about to judge by: the fakes' records and the loop's clock (the
harness's own checks), plus every check registered here (:func:`run_checks`). A
check is a function of no arguments that returns what changed, one plain phrase per
change (``"asynclings.harness.world.World.call was replaced"``), and puts back what it
can. What is found is passed to each registered check's reporter (:func:`report`), then
the item fails with :func:`tampered_message`.

The harness registers nothing itself: with nothing registered (a learner's own run)
only its own checks run. The batch grading process's guard (:mod:`asynclings.guard`)
registers its quick check of the kit's and graders' namespaces when it is armed and
unregisters it when the session closes; its reporter charges the changes to the module
whose item is running.

The registrations are kept in a tuple that each change rebinds (never a list changed
in place), so that code under test emptying the registry rebinds a name of this module:
one of the names the guard's snapshot of the kit compares after every item.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "TAMPERED",
    "Check",
    "Reporter",
    "register",
    "registered",
    "report",
    "run_checks",
    "tampered_message",
    "unregister",
]

Check = Callable[[], list[str]]
"""What changed since the item began (each change put back if it can be), in words."""
Reporter = Callable[[list[str]], None]
"""Told what was found (by any check, the harness's own included) before the item fails."""

TAMPERED = "the submission changed the grader's own tools"

_registered: tuple[tuple[Check, Reporter | None], ...] = ()


def register(check: Check, *, report: Reporter | None = None) -> None:
    """Run ``check`` at every :func:`run_checks`, and tell ``report`` what is found."""
    global _registered
    _registered = (*((c, r) for c, r in _registered if c != check), (check, report))


def unregister(check: Check) -> None:
    """Stop running ``check`` (and telling its reporter); nothing if it is not registered."""
    global _registered
    _registered = tuple((c, r) for c, r in _registered if c != check)


def registered() -> tuple[Check, ...]:
    """The checks registered now, in the order they run."""
    return tuple(check for check, _ in _registered)


def run_checks() -> list[str]:
    """What the registered checks found, in order (empty with nothing registered)."""
    found: list[str] = []
    for check, _ in _registered:
        found += check()
    return found


def report(changes: list[str]) -> None:
    """Tell every registered reporter what was found."""
    for _, reporter in _registered:
        if reporter is not None:
            reporter(changes)


def tampered_message(changes: list[str]) -> str:
    """The learner-facing verdict on an item whose tools or facts were changed."""
    shown = "; ".join(changes[:5]) + ("; ..." if len(changes) > 5 else "")
    return (
        f"{TAMPERED} ({shown}): no verdict on this module can be trusted, so every item "
        "scores nothing; flagged for the instructor's review"
    )
