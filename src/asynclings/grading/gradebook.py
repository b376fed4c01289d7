"""The SQLite gradebook: one row per submission, written the moment it is graded.

An interrupted batch (Ctrl-C, a kill) loses at most the submissions that were being
graded; the next run finds the rest here and skips every submission whose content and
kit are unchanged (``--force`` regrades). Every output file is rendered from these rows.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from ..results import SubmissionResult

__all__ = ["Gradebook"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS grades (
    submission   TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    kit          TEXT NOT NULL,
    points       REAL NOT NULL,
    max_points   REAL NOT NULL,
    status       TEXT NOT NULL,
    needs_review INTEGER NOT NULL,
    graded_at    TEXT NOT NULL,
    result       TEXT NOT NULL,
    sandbox      TEXT NOT NULL DEFAULT '',
    flags        TEXT NOT NULL DEFAULT ''
)
"""
_BATCH_SCHEMA = """
CREATE TABLE IF NOT EXISTS batch (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
"""
"""Facts about the last run that wrote the gradebook (its shard, seed, kit and the
submissions folder it saw), as JSON values: what ``asynclings merge`` checks."""
_ADDED = {"sandbox": "TEXT NOT NULL DEFAULT ''", "flags": "TEXT NOT NULL DEFAULT ''"}
"""Columns newer than the first gradebooks: added to an older file when it is opened."""


class Gradebook:
    """A gradebook file; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self._db.execute(_BATCH_SCHEMA)
        present = {row[1] for row in self._db.execute("PRAGMA table_info(grades)")}
        for column, kind in _ADDED.items():
            if column not in present:
                self._db.execute(f"ALTER TABLE grades ADD COLUMN {column} {kind}")
        self._db.commit()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def is_current(self, submission: str, content_hash: str, kit: str) -> bool:
        """Whether ``submission`` was graded from this content by this kit already."""
        row = self._db.execute(
            "SELECT 1 FROM grades WHERE submission = ? AND content_hash = ? AND kit = ?",
            (submission, content_hash, kit),
        ).fetchone()
        return row is not None

    def save(self, result: SubmissionResult) -> None:
        """Record one submission's result (replacing an older one), durably."""
        self._db.execute(
            "INSERT OR REPLACE INTO grades (submission, content_hash, kit, points, max_points,"
            " status, needs_review, graded_at, result, sandbox, flags)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                result.submission,
                result.content_hash,
                result.kit,
                result.points,
                result.max_points,
                result.status,
                int(result.needs_review),
                time.strftime("%Y-%m-%dT%H:%M:%S"),
                json.dumps(result.to_dict()),
                result.sandbox,
                "\n".join(f"{e.module}: {f}" for e in result.results.exercises for f in e.flags),
            ),
        )
        self._db.commit()

    def load(self, submission: str) -> SubmissionResult | None:
        row = self._db.execute(
            "SELECT result FROM grades WHERE submission = ?", (submission,)
        ).fetchone()
        return None if row is None else SubmissionResult.from_dict(json.loads(row[0]))

    def record_batch(self, facts: dict[str, Any]) -> None:
        """Replace the facts about the run that writes this gradebook."""
        self._db.execute("DELETE FROM batch")
        self._db.executemany(
            "INSERT INTO batch (key, value) VALUES (?, ?)",
            [(key, json.dumps(value)) for key, value in facts.items()],
        )
        self._db.commit()

    def batch(self) -> dict[str, Any]:
        """The facts :meth:`record_batch` recorded (empty for an older gradebook)."""
        return {key: json.loads(value) for key, value in self._db.execute("SELECT * FROM batch")}

    def submissions(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT submission FROM grades ORDER BY 1")]
