"""The guard: the integrity checks, the tripwires and the verdict they lead to, tied
together for one grading process.

What this defends: the verdicts of a batch grading process. :class:`Guard` arms the
integrity checks (:mod:`.integrity`) and the tripwires (:mod:`.tripwires`) just before
the first submission module is imported, checks after every rubric item (and, through
the check it registers with the harness, :mod:`asynclings.harness.integrity`, each time
a learner's call returns) and charges what changed to the module whose item ran: that
item fails, and every item of the module scores nothing, flagged for review with what
was changed (:func:`tampered_message`). :meth:`Guard.seal`
runs the last check and serializes the results with thread switches held off, so a
thread the submission left running cannot slip a change in between.

What it only detects: code written to defeat this guard in particular can still reach
past it inside the process (see ``docs/threat-model.md``); the sandbox around the
process bounds what such code can reach to its own submission.
"""

from __future__ import annotations

import builtins
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..harness import integrity as checks
from ..harness.integrity import TAMPERED, tampered_message
from .integrity import (
    JUDGES,
    SEALED,
    ProcessState,
    Snapshot,
    namespace_changes,
    process_changes,
    process_state,
    take_snapshot,
)
from .tripwires import Tripwires, install

__all__ = ["GUARD_KEY", "TAMPERED", "Guard", "tampered_message"]


class Guard:
    """Integrity checks and tripwires for one grading process (see the module's doc)."""

    def __init__(self, learner_dirs: Iterable[Path], scratch: Path) -> None:
        self.learner_dirs = [Path(d) for d in learner_dirs]
        self.scratch = scratch
        self._snapshot: Snapshot | None = None
        self._item_state: ProcessState | None = None
        self._tripwires: Tripwires | None = None
        self.tampered: dict[str, list[str]] = {}
        """Learner file -> what it changed."""
        self.late: list[str] = []
        self._closing: Snapshot | None = None
        self._kit: Snapshot | None = None
        self.current_file: str | None = None
        self._check: checks.Check = self.quick_check
        """The check registered with the harness while armed (one bound method, so
        that it can be unregistered)."""

    def pytest_configure(self, config: Any) -> None:
        config.stash[GUARD_KEY] = self

    def arm(self) -> None:
        """Register the quick check with the harness, snapshot the tools and switch the
        tripwires on (before any submission module is imported). The registration comes
        first, so that the snapshots hold the harness's registry as armed."""
        checks.register(self._check, report=self.report)
        self._snapshot = take_snapshot()
        self._kit = take_snapshot(JUDGES, system=False)
        self._tripwires = Tripwires(
            self.learner_dirs, [self.scratch], current_file=lambda: self.current_file
        )
        install(self._tripwires)

    def before_item(self, file: Path | None = None) -> None:
        self._item_state = process_state()
        self.current_file = str(file) if file is not None else None

    def quick_check(self) -> list[str]:
        """What the code under test changed in the kit's and the graders' modules since
        the item began (put back): their namespaces only, cheap enough for every
        learner call. The harness runs it when a learner's call returns, before the
        grader looks at the result, so that a change undone later (when the grader
        calls the changed function) is still seen."""
        return namespace_changes(self._kit, restore=True) if self._kit is not None else []

    def report(self, changes: list[str]) -> None:
        """Charge ``changes`` (found by the harness) to the module whose item is running."""
        if self.current_file is not None:
            self._charge(self.current_file, changes)

    def _charge(self, file: str, changes: list[str]) -> None:
        known = self.tampered.setdefault(file, [])
        known.extend(c for c in changes if c not in known)

    def after_item(self, file: Path) -> list[str]:
        """What the submission changed (now put back), charged to ``file``: the module
        whose item just ran."""
        if self._snapshot is None:
            return []
        changes = namespace_changes(self._snapshot, restore=True)
        if self._item_state is not None:
            changes += process_changes(self._item_state, restore=True)
            self._item_state = None
        if changes:
            self._charge(str(file), changes)
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
            self.late = namespace_changes(self._snapshot, restore=True)

    def seal(self, serialize: Callable[[list[str]], bytes]) -> bytes:
        """``serialize(late_changes)``, checking once more that nothing changed since
        the session ended, with no thread switch between check and serialization: a
        thread the submission left running cannot slip a change in."""
        previous = sys.getswitchinterval()
        sys.setswitchinterval(1000.0)
        try:
            late = list(self.late)
            if self._closing is not None:
                late += namespace_changes(self._closing, restore=True)
            return serialize(late)
        finally:
            sys.setswitchinterval(previous)

    def close_session(self) -> None:
        """The grading session is over: unregister from the harness and snapshot the
        tools as the kit left them."""
        checks.unregister(self._check)
        if self._snapshot is not None:
            self._closing = take_snapshot(SEALED)


def _stash_key() -> Any:
    import pytest

    return pytest.StashKey["Guard"]()


GUARD_KEY = _stash_key()

# Keep references the submission cannot rebind for the checks above.
_ = (builtins,)
