"""Grading one learner's submission, as a course platform's autograder does.

Gradescope and PrairieLearn each hand the autograder one learner's files. They are
graded as a batch of one (:func:`~asynclings.grading.batch.grade_batch` with
``survey_layout=False``, so a learner's own folders are not mistaken for a class), in
the bubblewrap sandbox when the container allows it and without it otherwise: the
caller says why, in its platform's terms.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from ..results import SubmissionResult
from .batch import BatchOptions, SandboxUnavailable, grade_batch
from .worker import Limits

__all__ = ["Graded", "grade_one"]


@dataclass(frozen=True)
class Graded:
    """One submission's result, and why it ran unsandboxed (None: it did not)."""

    result: SubmissionResult
    sandbox_problem: SandboxUnavailable | None = None

    def unsandboxed_because(self, place: str, install_hint: str) -> str:
        """Why it ran without the sandbox, in the platform's words (``place``: "this
        autograder image"; ``install_hint``: what installs bubblewrap there); empty if
        it ran in the sandbox. Said on the grader's log as well."""
        if self.sandbox_problem is None:
            return ""
        if shutil.which("bwrap") is None:
            reason = f"bubblewrap is not installed in {place} ({install_hint})"
        else:
            reason = f"the sandbox failed its start-up check in {place} ({self.sandbox_problem})"
        print(f"asynclings: graded without the sandbox: {reason}")
        return reason


def grade_one(
    submission: Path, learner: str, modules: Collection[str], limits: Limits
) -> Graded | None:
    """Grade the folder ``submission`` as learner ``learner``'s; None if no file in it
    (at any depth) is named after one of ``modules``, so there is nothing to grade."""
    names = {f"{module}.py" for module in modules}
    with tempfile.TemporaryDirectory(prefix="asynclings-one-") as scratch:
        batch = Path(scratch) / "batch"
        shutil.copytree(submission, batch / learner, symlinks=True)
        if not any(path.name in names for path in batch.rglob("*.py")):
            return None
        gradebook = Path(scratch) / "gradebook.sqlite"
        try:
            run = grade_batch(
                batch, gradebook, BatchOptions(jobs=1, limits=limits), survey_layout=False
            )
            return Graded(run.results[0])
        except SandboxUnavailable as problem:
            # The platform's container isolates each submission; ours could not start
            # inside it, so the result says it ran without, and the caller says why.
            run = grade_batch(
                batch,
                gradebook,
                BatchOptions(jobs=1, limits=limits, sandbox=False),
                survey_layout=False,
            )
            return Graded(run.results[0], problem)
