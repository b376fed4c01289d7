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
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..manifest import exercises

__all__ = ["MAX_ENTRIES", "MAX_MODULE_BYTES", "Entry", "Intake", "collect", "discover"]

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
    """Set when nothing of the entry can be graded (a corrupt zip, say)."""

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for module in sorted(self.modules):
            digest.update(module.encode() + b"\0" + hashlib.sha256(self.modules[module]).digest())
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


def _from_folder(root: Path) -> Intake:
    intake = Intake()
    candidates: list[_Candidate] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        depth = len(Path(folder).relative_to(root).parts)
        for name in sorted(files):
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
    return intake
