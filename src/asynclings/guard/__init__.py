"""The guard: what keeps a submission from deciding its own verdicts, and what flags it
for review when it tries.

A batch grading process (:mod:`asynclings.grading.worker`) creates one :class:`Guard`
and grades with it. Its parts, one module each:

* :mod:`.integrity` (defends, and detects what it repairs): snapshots of the grader's
  tools (the names in the modules the verdicts depend on and in their classes, the
  signal handlers, the timers, the trace, profile and import hooks), compared by
  identity after every rubric item; what the submission replaced is put back.
* :mod:`.tripwires` (defends): an audit hook that refuses frame walking, ``gc``
  searches, ``ctypes``, trace and audit hooks, file access outside the submission's own
  folders, process starts, signals and network connections, and records each attempt.
* :mod:`.source` (only detects): :func:`scan_source`, run by the batch outside the
  grading process, names the suspicious lines of a module's source.
* :mod:`.core`: the :class:`Guard` that arms the first two, charges what they find to
  the module whose item ran, words the verdict (:func:`tampered_message`) and seals the
  results.

What it does not do: it does not make in-process grading airtight against code written
to defeat this guard in particular (see ``docs/threat-model.md``). The sandbox around
the process bounds what such code can reach: its own submission, nothing else.
"""

from __future__ import annotations

from .core import GUARD_KEY, TAMPERED, Guard, tampered_message
from .integrity import take_snapshot
from .source import scan_source

__all__ = [
    "GUARD_KEY",
    "TAMPERED",
    "Guard",
    "scan_source",
    "take_snapshot",
    "tampered_message",
]
