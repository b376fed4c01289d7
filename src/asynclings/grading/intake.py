"""Reading a submissions folder: one entry per learner, modules found by file name.

A submissions folder holds one entry per learner: a folder or a ``.zip`` named by the
learner's id. :func:`discover` lists them; :func:`collect` copies the exercise modules of
one entry (found by file name at any depth) into a private folder, and says what it
left out and why. Nothing here executes submitted code.

When a module appears more than once, the copy graded is not the unchanged stub if
another copy exists, then the shallowest, then the first by path; the notes say so.

Safety rules for zips: no absolute paths, no ``..``, no symlinks, no more than
:data:`MAX_ENTRIES` entries, no module over :data:`MAX_MODULE_BYTES`; sizes are checked
while reading (a zip's declared sizes can lie). Folders are walked without following
symlinks.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..manifest import exercises

__all__ = [
    "MAX_ENTRIES",
    "MAX_MODULE_BYTES",
    "Entry",
    "Intake",
    "NotSubmissions",
    "collect",
    "discover",
    "survey",
]

MAX_ENTRIES = 10_000
MAX_MODULE_BYTES = 1_000_000
"""A real exercise module is a few kilobytes; a megabyte leaves room for comments."""


@dataclass(frozen=True)
class Entry:
    """One learner's submission: a folder or a zip, and the id it is graded under."""

    id: str
    path: Path


@dataclass
class Intake:
    """What :func:`collect` found in one entry."""

    modules: dict[str, bytes] = field(default_factory=dict)
    """Exercise module name → the file's bytes."""
    notes: list[str] = field(default_factory=list)
    rejected: str = ""
    """Set when nothing of the entry can be graded (a corrupt zip, no exercise module)."""
    no_module: bool = False
    """The entry holds no exercise module that can be graded (``rejected`` says what
    it holds instead)."""

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for module in sorted(self.modules):
            digest.update(module.encode() + b"\0" + hashlib.sha256(self.modules[module]).digest())
        if self.rejected:  # what the reason names (the files it holds) is content too
            digest.update(b"rejected\0" + self.rejected.encode())
        return digest.hexdigest()


def discover(folder: Path) -> tuple[list[Entry], list[str]]:
    """The entries of a submissions folder, sorted by id, and notes on what was skipped.

    Two entries with one id (``alice/`` and ``alice.zip``) are both kept, under ids
    that say so (``alice (folder)``, ``alice (zip)``), and noted: the instructor decides.
    """
    notes = []
    by_id: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_symlink():
            notes.append(f"{path.name}: a symbolic link, not graded")
            continue
        if path.is_dir():
            by_id.setdefault(path.name, []).append(path)
        elif path.suffix.lower() == ".zip":
            by_id.setdefault(path.stem, []).append(path)
        else:
            notes.append(f"{path.name}: neither a folder nor a .zip, not graded")
    entries = []
    for learner, paths in sorted(by_id.items()):
        if len(paths) == 1:
            entries.append(Entry(learner, paths[0]))
            continue
        notes.append(
            f"{learner}: {len(paths)} submissions share this id "
            f"({', '.join(p.name for p in paths)}); each is graded under its own name"
        )
        for path in paths:
            entries.append(Entry(f"{learner} ({'folder' if path.is_dir() else 'zip'})", path))
    return entries, notes


def _wanted(name: str) -> str | None:
    stem, suffix = os.path.splitext(name)
    return stem if suffix == ".py" and stem in _modules() else None


def _modules() -> set[str]:
    return {exercise.module for exercise in exercises()}


@dataclass
class _Candidate:
    module: str
    where: str
    depth: int
    data: bytes


def _choose(intake: Intake, candidates: list[_Candidate]) -> None:
    """Keep one file per module: not the unchanged stub if another copy exists, then
    the shallowest, then the first by path; say which was graded when there was a choice."""
    stubs = {exercise.module: exercise.stub.read_bytes() for exercise in exercises()}
    by_module: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        by_module.setdefault(candidate.module, []).append(candidate)
    for module, copies in sorted(by_module.items()):
        copies.sort(key=lambda c: (c.data == stubs.get(module), c.depth, c.where))
        chosen = copies[0]
        intake.modules[module] = chosen.data
        if len(copies) > 1:
            others = ", ".join(c.where for c in copies[1:])
            intake.notes.append(
                f"{module}.py appears {len(copies)} times; graded {chosen.where} "
                f"(ignored: {others})"
            )


def collect(entry: Entry) -> Intake:
    """Read the exercise modules of ``entry`` (shallowest copy of each wins)."""
    if entry.path.is_dir():
        return _from_folder(entry.path)
    return _from_zip(entry.path)


def _example_name() -> str:
    modules = [exercise.module for exercise in exercises()]
    return f"{modules[1] if len(modules) > 1 else modules[0]}.py"


def _listed(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _reject_if_no_module(intake: Intake, files: list[str]) -> None:
    """An entry without any exercise module is rejected with what it holds instead."""
    if intake.modules or intake.rejected:
        return
    intake.no_module = True
    left_out = [f for f in files if _wanted(PurePosixPath(f.replace("\\", "/")).name)]
    if left_out:
        intake.rejected = (
            "no exercise module found in this submission that can be graded: "
            f"{_listed(left_out)} {'was' if len(left_out) == 1 else 'were'} left out "
            "(see the notes for why)"
        )
    elif not files:
        intake.rejected = (
            "no exercise module found in this submission: it is empty (exercise modules "
            f"are named like {_example_name()})"
        )
    else:
        count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
        intake.rejected = (
            f"no exercise module found in this submission: it holds {count}: "
            f"{_listed(files)} — exercise modules are named like {_example_name()}"
        )


def _from_folder(root: Path) -> Intake:
    intake = Intake()
    candidates: list[_Candidate] = []
    seen: list[str] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        depth = len(Path(folder).relative_to(root).parts)
        for name in sorted(files):
            seen.append(str((Path(folder) / name).relative_to(root)))
            module = _wanted(name)
            if module is None:
                continue
            path = Path(folder) / name
            where = str(path.relative_to(root))
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
                intake.notes.append(f"{where}: not a regular file (a link?), ignored")
                continue
            if info.st_size > MAX_MODULE_BYTES:
                intake.notes.append(f"{where}: {info.st_size:,} bytes, over the limit, ignored")
                continue
            candidates.append(_Candidate(module, where, depth, path.read_bytes()))
    _choose(intake, candidates)
    _reject_if_no_module(intake, seen)
    return intake


def _unsafe(name: str) -> str | None:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return "a path that climbs out with '..'"
    return None


def _from_zip(path: Path) -> Intake:
    intake = Intake()
    candidates: list[_Candidate] = []
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        intake.rejected = f"{path.name} is not a readable zip file ({error})"
        return intake
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            intake.rejected = f"{path.name} holds {len(infos):,} entries (limit {MAX_ENTRIES:,})"
            return intake
        for info in infos:
            name = info.filename
            module = _wanted(PurePosixPath(name.replace("\\", "/")).name)
            if module is None or info.is_dir():
                continue
            problem = _unsafe(name)
            if problem is None and stat.S_ISLNK(info.external_attr >> 16):
                problem = "a symbolic link"
            if problem is not None:
                intake.notes.append(f"{name}: {problem}, ignored")
                continue
            try:
                with archive.open(info) as member:
                    data = member.read(MAX_MODULE_BYTES + 1)
            except (
                zipfile.BadZipFile,
                OSError,
                EOFError,
                NotImplementedError,
                RuntimeError,
            ) as error:
                intake.notes.append(f"{name}: cannot be read from the zip ({error}), ignored")
                continue
            if len(data) > MAX_MODULE_BYTES:
                intake.notes.append(f"{name}: over {MAX_MODULE_BYTES:,} bytes, ignored")
                continue
            depth = len(PurePosixPath(name).parts) - 1
            candidates.append(_Candidate(module, name, depth, data))
    _choose(intake, candidates)
    _reject_if_no_module(intake, [info.filename for info in infos if not info.is_dir()])
    return intake


# Is this a submissions folder at all? -----------------------------------------------------


class NotSubmissions(ValueError):
    """The folder to grade is not a folder of submissions: it is empty, holds no
    submission, or looks like one learner's submission. ``str()`` says so, and what to
    pass instead."""


_PART_OF_ONE = re.compile(
    r"(exercises?|solutions?|src|source|asynclings|asyncio|homework|assignments?|"
    r"(week|wk|part|lab|day|unit|module|chapter|lesson|session|hw|homework|assignment|"
    r"ex|exercise|set)[\s_-]*\d+)",
    re.IGNORECASE,
)
"""Names of folders inside one submission (``week1/``, ``exercises/``, ``src/``), not
learner ids."""

_WHAT_TO_PASS = (
    "pass the folder that holds one entry per learner (a folder or .zip named by the "
    "learner's id, with that learner's exercise modules inside)"
)


def survey(folder: Path, entries: list[Entry], intakes: list[Intake]) -> None:
    """Raise :class:`NotSubmissions` unless ``folder`` (its ``entries`` and what
    :func:`collect` found in each) looks like a folder of submissions."""
    loose = sorted(path.name for path in folder.iterdir() if path.is_file() and _wanted(path.name))
    if loose:
        raise NotSubmissions(
            f"{folder} holds exercise modules itself ({_listed(loose, 4)}): it looks like "
            f"one learner's submission, not a folder of submissions. To grade it, "
            f"{_WHAT_TO_PASS}: its parent {folder.resolve().parent}, if the other "
            "learners' submissions are there"
        )
    if not entries:
        others = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
        if not others:
            raise NotSubmissions(f"{folder} is empty: there is nothing to grade; {_WHAT_TO_PASS}")
        what = (
            f"{others[0]} is neither a folder nor a .zip"
            if len(others) == 1
            else f"none of {_listed(others, 5)} is a folder or a .zip"
        )
        raise NotSubmissions(f"{folder} holds no submissions: {what}; {_WHAT_TO_PASS}")
    if all(intake.no_module for intake in intakes):
        raise NotSubmissions(
            f"{folder} holds no submissions: none of its {len(entries)} "
            f"entr{'ies' if len(entries) != 1 else 'y'} ({_listed([e.id for e in entries], 5)}) "
            f"holds an exercise module (a file named like {_example_name()}, at any "
            f"depth); {_WHAT_TO_PASS}"
        )
    if len(entries) == 1 and entries[0].path.is_dir() and _learners_inside(entries[0].path):
        inner = entries[0].path
        raise NotSubmissions(
            f"{folder} holds one folder, {inner.name}, and the submissions seem to be in "
            f"it: several of its folders hold the same exercise modules, as learners' "
            f"submissions do. To grade them, pass that folder: {inner}"
        )
    if all(_PART_OF_ONE.fullmatch(entry.id) for entry in entries):
        modules = {module for intake in intakes for module in intake.modules}
        held = f"{len(modules)} exercise module{'s' if len(modules) != 1 else ''}"
        if len(entries) == 1:
            what = (
                f"its only entry, {entries[0].path.name}, is named like a part of one "
                f"submission, not like a learner, and holds {held}"
            )
        else:
            names = _listed([entry.path.name for entry in entries], 6)
            what = (
                f"its entries ({names}) are named like parts of one submission, not like "
                f"learners, and together hold {held}"
            )
        raise NotSubmissions(
            f"{folder} looks like one learner's submission, not a folder of submissions: "
            f"{what}. To grade it, {_WHAT_TO_PASS}: "
            f"its parent {folder.resolve().parent}, if the other learners' submissions "
            "are there"
        )


def _learners_inside(root: Path) -> bool:
    """Whether ``root`` is laid out like a submissions folder: at least three entries
    directly inside it that look like learners' (a ``.zip``, or a folder with exercise
    modules at any depth), two of the folders holding the same module. (Two copies in
    two folders alone, ``old/`` and ``new/``, are one learner's versions.)"""
    seen: set[str] = set()
    learners, shared = 0, False
    for child in sorted(root.iterdir()):
        if child.name.startswith(".") or child.is_symlink():
            continue
        if child.is_file() and child.suffix.lower() == ".zip":
            learners += 1
        if not child.is_dir():
            continue
        modules: set[str] = set()
        for _, dirs, files in os.walk(child, followlinks=False):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            modules.update(m for m in map(_wanted, files) if m is not None)
        learners += bool(modules)
        shared = shared or bool(modules & seen)
        seen |= modules
    return shared and learners >= 3
