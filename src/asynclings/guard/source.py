"""The source scan: evidence, by line, read from an exercise module's text.

What this defends: nothing by itself. :func:`scan_source` runs in the batch, outside
the grading process, before the module is graded, and only detects: it names the lines
that import pytest's internals or the kit, reach into ``sys.modules``, read frames, set
timers, start processes and the like, so that the instructor reviewing a flagged
submission sees where to look. Code that hides what it does (``getattr`` with a built
string, ``exec``) passes the scan; the tripwires and integrity checks judge it when it
runs. Lines under ``if __name__ == "__main__":`` are not graded, so not read.
"""

from __future__ import annotations

import ast

__all__ = ["scan_source"]

_SUSPECT_IMPORTS = {
    "_pytest": "imports pytest's internals",
    "pluggy": "imports pytest's plugin system",
    "asynclings": "imports the grading kit",
    "asynclings_graders": "imports the graders",
    "ctypes": "imports ctypes",
    "_ctypes": "imports ctypes",
    "signal": "imports signal",
    "subprocess": "imports subprocess",
    "multiprocessing": "imports multiprocessing",
    "_posixsubprocess": "imports _posixsubprocess",
    "gc": "imports gc",
    "builtins": "imports builtins",
}
_SUSPECT_ATTRIBUTES = {
    "_getframe": "reads frames (sys._getframe)",
    "_current_frames": "reads frames (sys._current_frames)",
    "currentframe": "reads frames (inspect.currentframe)",
    "f_back": "walks frames (f_back)",
    "f_locals": "reads a frame's variables (f_locals)",
    "f_globals": "reads a frame's globals (f_globals)",
    "tb_frame": "reads a traceback's frames",
    "cr_frame": "reads a coroutine's frame",
    "gi_frame": "reads a generator's frame",
    "__globals__": "reads a function's globals",
    "__code__": "touches a function's code object",
    "get_referrers": "searches objects with gc",
    "get_objects": "searches objects with gc",
    "setitimer": "sets interval timers (signal.setitimer)",
    "alarm": "sets an alarm (signal.alarm)",
    "settrace": "installs a trace function",
    "setprofile": "installs a profile function",
    "setsid": "starts a new session (os.setsid)",
    "fork": "forks a process",
    "_fork_exec": "starts a process (subprocess._fork_exec)",
    "fork_exec": "starts a process (_posixsubprocess.fork_exec)",
    "posix_spawn": "starts a process (os.posix_spawn)",
    "posix_spawnp": "starts a process (os.posix_spawnp)",
    "_exit": "ends the interpreter at once (os._exit)",
    "addaudithook": "adds an audit hook",
    "modules": "reaches into sys.modules",
}


_OWNED = {"fork": ("os",), "alarm": ("signal",), "_exit": ("os",), "modules": ("sys",)}
"""Attribute names that are evidence only on these modules (``self._exit`` is not)."""
_PYTEST_STOPPERS = {"exit", "skip", "xfail"}


def _main_guard(node: ast.AST) -> bool:
    """Whether ``node`` is ``if __name__ == "__main__":`` (code the grader never runs)."""
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
        and any(
            isinstance(c, ast.Constant) and c.value == "__main__" for c in node.test.comparators
        )
    )


def _graded_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node of the module, except those under ``if __name__ == "__main__":``."""
    nodes: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(child for child in ast.iter_child_nodes(node) if not _main_guard(child))
    return nodes


def scan_source(source: str) -> list[str]:
    """Evidence, by line, of what an exercise module has no business doing (outside an
    ``if __name__ == "__main__":`` block, which grading never runs)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found: list[str] = []
    for node in _graded_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in _SUSPECT_IMPORTS:
                    found.append(f"line {node.lineno}: {_SUSPECT_IMPORTS[top]}")
        elif isinstance(node, ast.ImportFrom):
            top = (node.module or "").split(".")[0]
            if top in _SUSPECT_IMPORTS:
                found.append(f"line {node.lineno}: {_SUSPECT_IMPORTS[top]}")
            if top == "pytest" and any(a.name in _PYTEST_STOPPERS for a in node.names):
                found.append(f"line {node.lineno}: imports pytest's exit/skip")
            if top == "os" and any(a.name == "_exit" for a in node.names):
                found.append(f"line {node.lineno}: {_SUSPECT_ATTRIBUTES['_exit']}")
        elif isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner == "pytest" and node.attr in _PYTEST_STOPPERS:
                found.append(f"line {node.lineno}: calls pytest.{node.attr} (stops the grading)")
            elif node.attr in _SUSPECT_ATTRIBUTES:
                if node.attr in _OWNED and owner not in _OWNED[node.attr]:
                    continue
                found.append(f"line {node.lineno}: {_SUSPECT_ATTRIBUTES[node.attr]}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
        ):
            found.append(f"line {node.lineno}: imports by name (__import__)")
    return sorted(set(found), key=lambda line: (int(line.split(":")[0][5:]), line))
