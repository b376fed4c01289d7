"""Deterministic slices of a submissions folder: ``asynclings grade --shard K/N``.

A submission belongs to shard ``K`` of ``N`` (``K`` counts from 1) when the SHA-256 of
its id, read as a number, leaves ``K - 1`` divided by ``N``. Only the id decides: every
shard can be graded on a different machine with no coordination, and a submission added
to the folder later never moves the others to another shard.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

__all__ = ["Shard", "shard_of"]

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def shard_of(submission: str, count: int) -> int:
    """The shard (1 to ``count``) that grades ``submission``."""
    digest = hashlib.sha256(submission.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``, ``index`` from 1 to ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise ValueError(
                f"shard {self.index}/{self.count} does not exist: K/N needs N of 1 or more "
                f"and K from 1 to N (the first of 4 shards is 1/4, the last 4/4)"
            )

    @classmethod
    def parse(cls, spec: str) -> Shard:
        """``"2/4"`` → ``Shard(2, 4)``; ValueError with a plain reason otherwise."""
        match = _SPEC.fullmatch(spec)
        if match is None:
            raise ValueError(
                f"{spec!r} is not a shard: write K/N, e.g. 2/4 for the second of 4 shards "
                "(K counts from 1; a Kubernetes JOB_COMPLETION_INDEX counts from 0, so "
                "pass $((JOB_COMPLETION_INDEX + 1))/N)"
            )
        return cls(int(match[1]), int(match[2]))

    def holds(self, submission: str) -> bool:
        return shard_of(submission, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
