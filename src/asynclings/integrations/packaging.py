"""A wheel of the installed kit for the graders of other platforms (Gradescope).

:func:`build_wheel` writes ``asynclings-VERSION-py3-none-any.whl`` from the kit as it
is installed or checked out: the package, the curriculum, the stubs and the graders.
The reference solutions are left out: a grading container runs learners' code, and it
must not find the answers there.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import zipfile
from collections.abc import Iterator
from pathlib import Path

from .. import __version__
from ..manifest import content_root

__all__ = ["build_wheel"]

_CONTENT = ("curriculum.toml", "exercises", "graders")


def _package_files() -> Iterator[tuple[str, Path]]:
    package = Path(__file__).resolve().parent.parent  # src/asynclings
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if (
            path.is_file()
            and "__pycache__" not in relative.parts
            and relative.parts[0] != "_content"
            and path.suffix not in (".pyc", ".pyo")
        ):
            yield f"asynclings/{relative.as_posix()}", path
    root = content_root()
    for name in _CONTENT:
        source = root / name
        files = (
            [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        )
        for path in files:
            if "__pycache__" in path.parts:
                continue
            yield f"asynclings/_content/{path.relative_to(root).as_posix()}", path


def _metadata() -> str:
    try:
        requires = importlib.metadata.requires("asynclings") or []
    except importlib.metadata.PackageNotFoundError:
        requires = []
    lines = [
        "Metadata-Version: 2.1",
        "Name: asynclings",
        f"Version: {__version__}",
        "Summary: Exercises for Python's asyncio, graded (grading build, no solutions)",
        "Requires-Python: >=3.11",
    ]
    lines += [f"Requires-Dist: {r}" for r in requires if "extra ==" not in r]
    return "\n".join(lines) + "\n"


_ENTRY_POINTS = """\
[console_scripts]
asynclings = asynclings.cli:main

[pytest11]
asynclings = asynclings.plugin
"""

_WHEEL = """\
Wheel-Version: 1.0
Generator: asynclings
Root-Is-Purelib: true
Tag: py3-none-any
"""


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(folder: Path) -> Path:
    """Write the kit's wheel (without solutions) into ``folder``; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    dist_info = f"asynclings-{__version__}.dist-info"
    path = folder / f"asynclings-{__version__}-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, source in _package_files():
            data = source.read_bytes()
            wheel.writestr(name, data)
            records.append(_record_line(name, data))
        for name, text in (
            ("METADATA", _metadata()),
            ("WHEEL", _WHEEL),
            ("entry_points.txt", _ENTRY_POINTS),
        ):
            data = text.encode()
            wheel.writestr(f"{dist_info}/{name}", data)
            records.append(_record_line(f"{dist_info}/{name}", data))
        records.append(f"{dist_info}/RECORD,,")
        wheel.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
    return path
