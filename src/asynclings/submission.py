"""Loading a learner's module without letting it take the grader down.

:func:`load` reads, decodes, compiles and executes a submission file under a name of its
own (so ``exercises/ex02_gather.py`` and ``solutions/ex02_gather.py`` never collide), in
a worker thread with a time limit, and turns every way it can go wrong into a
:class:`SubmissionProblem` whose message a learner can act on. :class:`Learner` is what
graders receive as ``learner``: the module, loaded on first use, whose missing names
fail the item with a clear message.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .harness.checks import RubricFailure, describe
from .results import ModuleProblem

__all__ = ["IMPORT_TIMEOUT", "Learner", "SubmissionProblem", "load"]

IMPORT_TIMEOUT = 5.0
"""Real seconds a module may take to import (a plain module needs milliseconds)."""


class SubmissionProblem(RubricFailure):
    """The submission cannot be graded as it stands: it is missing, does not import, or
    lacks a name the contract requires. ``str()`` is the learner-facing message.

    A :class:`~asynclings.harness.checks.RubricFailure`, so that it decides the item
    wherever it surfaces, even inside a grader's own wrapper around the learner's call.

    ``kind`` is what it means for the module as a whole: ``does not load`` (unreadable,
    not UTF-8, a syntax error, an exception or exit at import, a name the contract
    requires is missing), ``hung at import`` or ``not submitted``.
    """

    def __init__(self, message: str, kind: ModuleProblem = "does not load") -> None:
        super().__init__(message)
        self.kind: ModuleProblem = kind


@dataclass
class _Loaded:
    module: ModuleType | None
    problem: SubmissionProblem | None


_cache: dict[tuple[Path, str], _Loaded] = {}


def _source_line(source: str, lineno: int | None) -> str:
    if not lineno:
        return ""
    lines = source.splitlines()
    return lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""


def _where(path: Path, error: BaseException, source: str) -> str:
    """``file:line  code`` of the innermost frame of ``error`` in the submission."""
    tb = error.__traceback__
    lineno = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(path):
            lineno = tb.tb_lineno
        tb = tb.tb_next
    if lineno is None:
        return ""
    return f" (line {lineno}: `{_source_line(source, lineno)}`)"


def forget_loaded() -> None:
    """Forget every loaded submission: the next :func:`load` executes the file afresh.

    Each grading session starts with this, so module-level state (a lock created at
    import, a global list) never carries over from one session to the next in one
    process.
    """
    for loaded in _cache.values():
        if loaded.module is not None:
            sys.modules.pop(loaded.module.__name__, None)
    _cache.clear()


def load(path: Path, *, timeout: float = IMPORT_TIMEOUT) -> ModuleType:
    """Import the submission at ``path``; raise :class:`SubmissionProblem` if it cannot be.

    Loaded once per content: a second call with an unchanged file returns the same module.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SubmissionProblem(f"{path.name} was not submitted", "not submitted") from None
    except OSError as error:
        raise SubmissionProblem(f"{path.name} cannot be read: {error.strerror}") from None
    digest = hashlib.sha256(raw).hexdigest()
    key = (path.resolve(), digest)
    if key not in _cache:
        try:
            _cache[key] = _Loaded(_load(path, raw, digest, timeout), None)
        except SubmissionProblem as problem:
            _cache[key] = _Loaded(None, problem)
        except BaseException:  # interrupted while importing: never import it again
            _cache[key] = _Loaded(
                None,
                SubmissionProblem(
                    f"importing {path.name} was interrupted before it finished: does it run "
                    "something at import time (an endless loop, a blocking call)? Put such "
                    'code under `if __name__ == "__main__":`',
                    "hung at import",
                ),
            )
            raise
    loaded = _cache[key]
    if loaded.problem is not None:
        raise SubmissionProblem(str(loaded.problem), loaded.problem.kind)
    assert loaded.module is not None
    return loaded.module


def _load(path: Path, raw: bytes, digest: str, timeout: float) -> ModuleType:
    name = path.name
    try:
        # As Python itself reads a module: UTF-8 unless a coding line says otherwise,
        # a byte-order mark allowed.
        source = importlib.util.decode_source(raw)
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:
        try:
            raw.decode("utf-8-sig")
        except UnicodeDecodeError as bad:
            line = raw[: bad.start].count(b"\n") + 1
            raise SubmissionProblem(
                f"{name} is not valid UTF-8 text (byte {bad.start}, line {line}): save it "
                "as UTF-8 (or declare its encoding in a `# -*- coding: ... -*-` first line)"
            ) from None
        raise SubmissionProblem(f"{name} cannot be decoded: {error}") from None
    try:
        code = compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as error:
        raise SubmissionProblem(
            f"{name} does not compile: {error.msg} (line {error.lineno}: "
            f"`{(error.text or '').strip()}`)"
        ) from None
    except ValueError as error:  # e.g. source with NUL bytes
        raise SubmissionProblem(f"{name} does not compile: {error}") from None

    module_name = f"asynclings_submission_{digest[:12]}.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    failure: list[BaseException] = []

    def execute() -> None:
        sys.modules[module_name] = module
        try:
            exec(code, module.__dict__)
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=execute, name=f"import {name}", daemon=True)
    thread.start()
    try:
        thread.join(timeout)
    finally:
        # However the wait ends (even interrupted), a thread still importing is
        # abandoned, and the verdict is remembered: never start a second one.
        abandoned = thread.is_alive()
    if abandoned:
        raise SubmissionProblem(
            f"importing {name} did not finish within {timeout:g} s: does it run something "
            "at import time (an endless loop, input(), a blocking call)? Put such code "
            'under `if __name__ == "__main__":`',
            "hung at import",
        )
    if failure:
        raised = failure[0]
        sys.modules.pop(module_name, None)
        if isinstance(raised, SystemExit):
            where = _where(path, raised, source)
            raise SubmissionProblem(
                f"{name} calls sys.exit() / exit() while it is imported{where}: "
                'put the script part under `if __name__ == "__main__":`'
            )
        if isinstance(raised, RuntimeError) and "asyncio.run() cannot be called" in str(raised):
            detail = "it calls asyncio.run() at import time"
        elif isinstance(raised, ModuleNotFoundError) and raised.name not in sys.stdlib_module_names:
            detail = (
                f"ModuleNotFoundError: it imports `{raised.name}`, which is not part of the "
                "submission: only the exercise modules themselves are graded, so each must "
                "stand alone (paste the helper into this module)"
            )
        else:
            detail = f"{type(raised).__name__}: {raised}"
        raise SubmissionProblem(
            f"importing {name} failed with {detail}{_where(path, raised, source)}"
        )
    return module


class Learner:
    """The learner's module as graders see it: loaded on first attribute access.

    ``learner.fetch_all`` is the submission's ``fetch_all``; a missing name, or a module
    that does not load, fails the item with a :class:`SubmissionProblem`.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._module: ModuleType | None = None

    @property
    def path(self) -> Path:
        return self._path

    @property
    def module(self) -> ModuleType:
        if self._module is None:
            self._module = load(self._path)
        return self._module

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        module = self.module
        try:
            return getattr(module, name)
        except AttributeError:
            defined = sorted(
                n for n, v in vars(module).items() if not n.startswith("_") and callable(v)
            )
            raise SubmissionProblem(
                f"{self._path.name} has no `{name}`: the exercise asks for it by that exact "
                f"name (defined: {', '.join(defined) or 'nothing callable'})"
            ) from None

    def __repr__(self) -> str:
        return f"Learner({describe(str(self._path))})"
