"""The messages between the batch and its grading workers, one JSON frame each
(:func:`~asynclings.grading.worker.write_frame`).

* :class:`Hello`: the worker, once started, says what sandbox it finds itself in;
* :class:`Job`: the batch sends one submission's modules to grade, with its limits;
* :class:`Reply`: the worker answers each job with what happened to it.

Each is a frozen dataclass with ``to_dict`` (what the frame holds) and ``from_dict``,
which checks every field's type and refuses a message that is not exactly what the
sender writes with :class:`ProtocolError`, saying which field is wrong and how. A
worker shares its sandbox with the jobs it runs (the learner's code), so the batch
reads a hello or a reply as untrusted data: a wrong type is refused here, never left
to crash whatever reads the field later. The results a reply carries (written by the
job's process) are checked again, field by field, by the batch.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, get_args

__all__ = ["Hello", "Job", "Limits", "ProtocolError", "Reply", "ReplyStatus"]


class ProtocolError(ValueError):
    """A message between the batch and a worker is not what its sender writes."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one grading process."""

    timeout: float = 60.0
    """Real seconds before the whole job is killed."""
    memory_mb: int = 2048
    """Address-space limit; a submission that allocates without bound gets MemoryError."""
    output_mb: int = 16
    """Largest file the process may write (its captured output included)."""
    processes: int = 64
    """Processes and threads the job may run at once (a fork bomb stops there)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Limits:
        data = _mapping(data, "the job's limits", {f.name for f in fields(cls)})
        return cls(
            timeout=_number(data, "timeout", "the job's limits"),
            memory_mb=_integer(data, "memory_mb", "the job's limits"),
            output_mb=_integer(data, "output_mb", "the job's limits"),
            processes=_integer(data, "processes", "the job's limits"),
        )


@dataclass(frozen=True)
class Hello:
    """The facts of the sandbox a worker finds itself in (see
    :func:`~asynclings.grading.sandbox.check_sandbox`)."""

    uid: int
    pid: int
    network: str
    """``reachable``, or ``unreachable (why)``."""
    kit_writable: bool
    solutions_visible: bool

    def to_dict(self) -> dict[str, Any]:
        return {"hello": asdict(self)}

    @classmethod
    def from_dict(cls, data: object) -> Hello:
        what = "the worker's hello"
        outer = _mapping(data, what, {"hello"})
        facts = _mapping(outer.get("hello"), what, {f.name for f in fields(cls)})
        return cls(
            uid=_integer(facts, "uid", what),
            pid=_integer(facts, "pid", what),
            network=_text(facts, "network", what),
            kit_writable=_flag(facts, "kit_writable", what),
            solutions_visible=_flag(facts, "solutions_visible", what),
        )


@dataclass(frozen=True)
class Job:
    """One submission to grade: its modules' source by module name, the limits of its
    grading process, the seed its grading data is drawn from, and the secret token its
    results must start with."""

    modules: Mapping[str, bytes]
    limits: Limits
    seed: int | None
    token: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "modules": {m: base64.b64encode(d).decode() for m, d in self.modules.items()},
            "limits": self.limits.to_dict(),
            "seed": self.seed,
            "token": self.token,
        }

    @classmethod
    def from_dict(cls, data: object) -> Job:
        what = "a job"
        data = _mapping(data, what, {f.name for f in fields(cls)})
        encoded = _mapping(data.get("modules"), "a job's modules", None)
        modules: dict[str, bytes] = {}
        for module, source in encoded.items():
            if not isinstance(source, str):
                raise ProtocolError(
                    f"a job's module {module!r} must be base64 text, not {_kind(source)}"
                )
            try:
                modules[module] = base64.b64decode(source, validate=True)
            except (binascii.Error, ValueError):
                raise ProtocolError(f"a job's module {module!r} is not valid base64") from None
        seed = data.get("seed")
        if seed is not None:
            seed = _integer(data, "seed", what)
        return cls(
            modules=modules,
            limits=Limits.from_dict(data.get("limits")),
            seed=seed,
            token=_text(data, "token", what),
        )


ReplyStatus = Literal["ok", "timed out", "crashed", "forged"]
"""``ok``: the job's results came back with its token; ``timed out``: it overran its
time; ``crashed``: it ended without results; ``forged``: the results channel carried
data the grading process did not write."""
_STATUSES: tuple[str, ...] = get_args(ReplyStatus)


@dataclass(frozen=True)
class Reply:
    """What happened to one job."""

    status: ReplyStatus
    seconds: float
    """Real seconds the job took."""
    output_tail: str
    """The last lines the job's process printed."""
    exit: str
    """How it ended: ``exit status 0``, ``killed by SIGKILL``, ``still running``."""
    clean: bool
    """Whether the worker removed all the job left (if not, the batch replaces it)."""
    left_behind: tuple[str, ...] = ()
    """System V IPC objects the job left (removed by the worker)."""
    results: Any = None
    """The job's results, the JSON its grading process wrote after the token (``ok``
    only): checked by the batch (:meth:`asynclings.results.Results.from_dict` and the
    rubric), not here, so that results that are not results read as such."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "seconds": self.seconds,
            "output_tail": self.output_tail,
            "exit": self.exit,
            "clean": self.clean,
            "left_behind": list(self.left_behind),
            "status": self.status,
        }
        if self.status == "ok":
            data["results"] = self.results
        return data

    @classmethod
    def from_dict(cls, data: object) -> Reply:
        what = "the worker's reply"
        data = _mapping(data, what, {f.name for f in fields(cls)})
        status = _text(data, "status", what)
        if status not in _STATUSES:
            raise ProtocolError(
                f"{what} has status {status!r}; expected one of {', '.join(_STATUSES)}"
            )
        left = data.get("left_behind")
        if not isinstance(left, list) or not all(isinstance(thing, str) for thing in left):
            raise ProtocolError(
                f"field 'left_behind' of {what} must be a list of text, not {_kind(left)}"
            )
        if (status == "ok") != ("results" in data):
            raise ProtocolError(
                f"{what} has status {status!r} and "
                + ("no results" if status == "ok" else "results: only an ok reply has them")
            )
        return cls(
            status=status,  # type: ignore[arg-type]  # one of _STATUSES, checked above
            seconds=_number(data, "seconds", what),
            output_tail=_text(data, "output_tail", what),
            exit=_text(data, "exit", what),
            clean=_flag(data, "clean", what),
            left_behind=tuple(left),
            results=data.get("results"),
        )


# Checking fields ---------------------------------------------------------------------------


def _kind(value: object) -> str:
    if value is None:
        return "missing"
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{shown} ({type(value).__name__})"


def _mapping(value: object, what: str, allowed: set[str] | None) -> dict[str, Any]:
    """``value`` as a table with text keys (only the ``allowed`` ones, if given)."""
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise ProtocolError(f"{what} must be a table with text keys, not {_kind(value)}")
    if allowed is not None:
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ProtocolError(f"{what} has unexpected fields: {', '.join(unknown)}")
    return value


def _number(data: dict[str, Any], key: str, what: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"field {key!r} of {what} must be a number, not {_kind(value)}")
    return value


def _integer(data: dict[str, Any], key: str, what: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"field {key!r} of {what} must be a whole number, not {_kind(value)}")
    return value


def _text(data: dict[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ProtocolError(f"field {key!r} of {what} must be text, not {_kind(value)}")
    return value


def _flag(data: dict[str, Any], key: str, what: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise ProtocolError(f"field {key!r} of {what} must be true or false, not {_kind(value)}")
    return value
