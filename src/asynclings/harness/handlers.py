"""The learner's own ``except`` clauses that can swallow a cancellation.

Whether a cancellation propagated is a fact a grader observes at run time; when it did
not, the likely cause is an ``except`` clause that catches ``CancelledError`` (a bare
``except:``, ``except BaseException`` or ``except asyncio.CancelledError``) and never
re-raises it. :func:`swallowing_handlers` finds those clauses in the learner's file so
that the message can quote the learner's own line::

    handlers = swallowing_handlers(learner.path)
    message += quote_handlers(handlers)   # "\\n  in your file, line 14: `except:`"

A clause counts as re-raising when its body contains ``raise`` or ``raise <the caught
exception>`` anywhere (``raise TimeoutError`` does not count: it turns the cancellation
into something else).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SwallowingHandler", "parse_source", "quote_handlers", "swallowing_handlers"]

_SWALLOWERS = ("BaseException", "CancelledError")


@dataclass(frozen=True)
class SwallowingHandler:
    """An ``except`` clause of the learner's file that catches ``CancelledError`` and
    never re-raises it."""

    line: int
    text: str
    """The clause's line as written (stripped)."""
    catches: str
    """``"BaseException"``, ``"CancelledError"``, or ``""`` for a bare ``except:``."""
    function: str | None
    """The innermost function the clause is in (``None`` at module level)."""

    def describe(self) -> str:
        """``line 14: `except BaseException as exc:` ``."""
        return f"line {self.line}: `{self.text}`"

    @property
    def why(self) -> str:
        """Why the clause catches a cancellation, as a phrase after its subject: "a
        worker catches BaseException, which includes CancelledError"."""
        if self.catches == "BaseException":
            return "catches BaseException, which includes CancelledError"
        if self.catches == "CancelledError":
            return "catches CancelledError and does not re-raise it"
        return "has a bare `except:`, which catches CancelledError too"


def _caught(handler: ast.ExceptHandler) -> str | None:
    """What of ``_SWALLOWERS`` the clause names ("" when bare), or ``None``."""
    if handler.type is None:
        return ""
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for name in names:
        text = name.attr if isinstance(name, ast.Attribute) else getattr(name, "id", "")
        if text in _SWALLOWERS:
            return str(text)
    return None


def _reraises(node: ast.AST, bound: str | None) -> bool:
    """``raise`` or ``raise <the caught exception>``: not ``raise TimeoutError``."""
    if not isinstance(node, ast.Raise):
        return False
    return node.exc is None or (isinstance(node.exc, ast.Name) and node.exc.id == bound)


def _functions(tree: ast.AST) -> dict[ast.AST, str | None]:
    """The innermost enclosing function's name of every node."""
    owner: dict[ast.AST, str | None] = {}

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = (
                child.name
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                else function
            )
            owner[child] = inner
            visit(child, inner)

    visit(tree, None)
    return owner


def parse_source(path: Path) -> tuple[ast.Module, list[str]] | None:
    """The syntax tree and the lines of the Python file at ``path``, or ``None`` if it
    cannot be read or parsed (the code under test decides what is there)."""
    try:
        source = path.read_text(encoding="utf-8")
        return ast.parse(source), source.splitlines()
    except (OSError, SyntaxError, ValueError):
        return None


def swallowing_handlers(path: Path) -> list[SwallowingHandler]:
    """Every clause in the file at ``path`` that catches ``CancelledError`` (bare,
    ``BaseException``, ``CancelledError``) and never re-raises it, in line order. A
    file that cannot be read or parsed has none."""
    parsed = parse_source(path)
    if parsed is None:
        return []
    tree, lines = parsed
    owner = _functions(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ExceptHandler):
            continue
        caught = _caught(node)
        if caught is None:
            continue
        if any(_reraises(inner, node.name) for body in node.body for inner in ast.walk(body)):
            continue
        found.append(
            SwallowingHandler(
                line=node.lineno,
                text=lines[node.lineno - 1].strip(),
                catches=caught,
                function=owner.get(node),
            )
        )
    return sorted(found, key=lambda handler: handler.line)


def quote_handlers(handlers: Sequence[SwallowingHandler]) -> str:
    """``"\\n  in your file, line 14: `...`; line 20: `...`"``, or ``""`` for none."""
    if not handlers:
        return ""
    return "\n  in your file, " + "; ".join(handler.describe() for handler in handlers)
