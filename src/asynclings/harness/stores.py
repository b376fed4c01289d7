"""A fake store that keeps more records, and scripted store failures.

* :class:`RecordingStore` — a :class:`~asynclings.harness.fakes.FakeStore` that also
  keeps its operations in the order they took effect and every ``StoreError`` it raised,
  and draws them as a trace timed from the start of a scenario.
* :func:`fail_first` — a ``fail=`` rule: the first read or write (of one key) raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from . import fakes
from .fakes import FakeStore, Latency, StoreError, StoreOp
from .timeline import store_trace

__all__ = ["RecordingStore", "fail_first"]


class RecordingStore(FakeStore):
    """A fake store that also keeps the operations in the order they took effect (several
    can end at one instant) and every ``StoreError`` it raised (to check identity)."""

    def __init__(
        self,
        initial: Mapping[str, int] | None = None,
        *,
        latency: Latency = 0.01,
        fail: Callable[[StoreOp], bool] | None = None,
    ) -> None:
        super().__init__(initial, latency=latency, fail=fail)
        self.raised: list[StoreError] = []
        """Every ``StoreError`` it raised, in order."""
        self.finished: list[StoreOp] = []
        """The operations in the order they ended."""

    async def read(self, key: str) -> int:
        op = len(self.ops)  # the operation starts (and is logged) before its first await
        try:
            return await super().read(key)
        except StoreError as error:
            self.raised.append(error)
            raise
        finally:
            self.finished.append(self.ops[op])

    async def write(self, key: str, value: int) -> None:
        op = len(self.ops)
        try:
            await super().write(key, value)
        except StoreError as error:
            self.raised.append(error)
            raise
        finally:
            self.finished.append(self.ops[op])

    def trace(self, key: str, *, since: float = 0.0, limit: int = 16) -> str:
        """The operations on ``key`` in the order they took effect (those still running
        last), with times counted from ``since`` (the start of the scenario, so that a
        replayed seed shows the same times): see
        :func:`~asynclings.harness.timeline.store_trace`."""
        finished = {id(op) for op in self.finished}
        ordered = self.finished + [op for op in self.ops if id(op) not in finished]
        shifted = FakeStore()
        fakes.forget(shifted)  # a copy for the picture, not a store the code uses
        shifted.ops = [
            replace(
                op,
                started=op.started - since,
                ended=None if op.ended is None else op.ended - since,
            )
            for op in ordered
        ]
        return store_trace(shifted, key=key, limit=limit)


def fail_first(kind: str, key: str | None = None) -> Callable[[StoreOp], bool]:
    """A ``fail=`` rule for a fake store: the first ``kind`` operation (``"read"`` or
    ``"write"``; of ``key``, if given) raises ``StoreError``, no other."""
    failed: list[StoreOp] = []

    def rule(op: StoreOp) -> bool:
        if not failed and op.op == kind and key in (None, op.key):
            failed.append(op)
            return True
        return False

    return rule
