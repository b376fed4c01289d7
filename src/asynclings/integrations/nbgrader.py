"""``asynclings nbgrader``: the exercises as an nbgrader source assignment.

One notebook per exercise, written to ``COURSE/source/ASSIGNMENT/``:

1. the exercise's teaching text (the stub's docstring, in Markdown), with how to work
   in a notebook;
2. the answer cell (nbgrader ``solution``): the stub's code, and the reference solution
   between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` (``nbgrader
   generate_assignment`` replaces it with a comment for the learners);
3. a cell to try the answer with top-level ``await``;
4. a self-check cell: ``check("ex02_gather")`` prints every item's verdict;
5. one locked, graded test cell per rubric item, worth the rubric's points, calling
   :func:`asynclings.integrations.notebook.grade_item`. Items named with ``--hide`` (or all of them)
   sit between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``.

``COURSE/nbgrader_config.py`` is written if there is none: it replaces solutions with a
comment rather than ``raise NotImplementedError()`` (the stub's functions already
raise it), raises nbgrader's per-cell limit to 60 s, and keeps hidden tests out of the
feedback.
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..manifest import Exercise, exercises
from ..rubric import rubric_of
from .notebook import ANSWER_MARKER

__all__ = ["CONFIG", "write_assignment"]

CONFIG = """\
# nbgrader settings for the asynclings exercises (written by `asynclings nbgrader`).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "asynclings"
# The answer cell keeps the stub's functions (they raise NotImplementedError until
# written): the reference solution below them becomes a comment, not another raise.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE: complete the functions above"}
# One test cell grades the whole answer in a separate process (at most 25 s).
c.Execute.timeout = 60
# Feedback never shows the hidden rubric items' code.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ClearHiddenTests]
"""

_SECTION = re.compile(r"^[A-Z][A-Za-z ]+$")


def docstring_markdown(docstring: str) -> str:
    """The stub's docstring as Markdown: a title, sections, code blocks."""
    lines = docstring.strip("\n").splitlines()
    out = [f"# {_inline(lines[0].strip())}", ""]
    index = 1
    code: list[str] | None = None
    code_indent = 0
    expect_code = False
    while index < len(lines):
        line = lines[index]
        index += 1
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if code is not None:
            if stripped and indent < code_indent:
                out += [
                    "```python",
                    *textwrap.dedent("\n".join(code)).strip("\n").split("\n"),
                    "```",
                    "",
                ]
                code = None
            else:
                code.append(line)
                continue
        if expect_code and stripped:
            code, code_indent, expect_code = [line], indent, False
            continue
        if not stripped:
            out.append("")
            continue
        if indent == 0 and _SECTION.match(stripped):
            if stripped == "Check your work":
                break
            out += [f"## {stripped}", ""]
            continue
        text = stripped
        if text.endswith("::"):
            text, expect_code = text[:-1], True
        following = next((n for n in lines[index:] if n.strip()), "")
        if indent == 4 and len(following) - len(following.lstrip()) >= 8 and not expect_code:
            out += ["", f"**{_inline(text)}**", ""]  # a term of a definition list
            continue
        out.append(_inline(text))
    if code:
        out += ["```python", *textwrap.dedent("\n".join(code)).strip("\n").split("\n"), "```"]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


def _inline(text: str) -> str:
    return text.replace("``", "`")


def _without_docstring(source: str) -> str:
    tree = ast.parse(source)
    first = tree.body[0] if tree.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        lines = source.splitlines()
        return "\n".join(lines[first.end_lineno or 0 :]).strip("\n") + "\n"
    return source


def answer_cell(exercise: Exercise) -> str:
    stub = _without_docstring(exercise.stub.read_text(encoding="utf-8"))
    solution = _without_docstring(exercise.solution.read_text(encoding="utf-8"))
    solution = solution.replace("from __future__ import annotations\n", "")
    return (
        f"{ANSWER_MARKER}{exercise.module}  (your answer: keep this first line)\n"
        f"{stub.rstrip()}\n\n\n"
        "### BEGIN SOLUTION\n"
        "# The reference solution (replaces the stubs above in the instructor's copy).\n"
        f"{solution.strip()}\n"
        "### END SOLUTION\n"
    )


_TRY = '''\
# Try your answer here. The notebook already runs an event loop: use top-level
# `await`, e.g. `await {function}(...)`, never `asyncio.run(...)`.
import asyncio


async def slow_fetch(url):
    """A stand-in for a network fetch: takes a moment, returns a body."""
    await asyncio.sleep(0.1 * len(url))
    return f"<body of {{url}}>"


# await {function}(...)
'''


def _first_function(exercise: Exercise) -> str:
    tree = ast.parse(exercise.stub.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and not node.name.startswith(
            "_"
        ):
            return node.name
    return "..."


def _cell(kind: str, source: str, cell_id: str, nbgrader: dict[str, Any] | None) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": kind,
        "id": cell_id,
        "metadata": {},
        "source": source.splitlines(keepends=True),
    }
    if kind == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    if nbgrader is not None:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, **nbgrader}
    return cell


def _meta(
    grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        data["points"] = points
    return data


def exercise_notebook(exercise: Exercise, hidden: set[str] | None = None) -> dict[str, Any]:
    """The nbgrader source notebook of one exercise (nbformat 4.5, as a dict)."""
    hidden = hidden or set()
    module = exercise.module
    docstring = ast.get_docstring(ast.parse(exercise.stub.read_text(encoding="utf-8"))) or ""
    rubric = rubric_of(exercise)
    total = sum(item.points for item in rubric)
    intro = docstring_markdown(docstring) + textwrap.dedent(
        f"""
        ## Working in this notebook

        1. Write your answer in the next cell, in place of the stubs (keep its first
           line: the graders find your answer by it), and run it.
        2. Try it in the cell after it with top-level `await`: a notebook already runs
           an event loop, so `asyncio.run(...)` fails here.
        3. Run the self-check cell: it grades your answer with the same rubric as the
           locked cells at the end, item by item ({total:g} points), and explains every
           lost point. Your answer is graded in a separate process: one that hangs or
           blocks the event loop only loses its own items.
        """
    )
    cells = [
        _cell("markdown", intro, f"{module}-intro", None),
        _cell(
            "code",
            answer_cell(exercise),
            f"{module}-answer",
            _meta(f"{module}__answer", grade=False, solution=True, locked=False),
        ),
        _cell("code", _TRY.format(function=_first_function(exercise)), f"{module}-try", None),
        _cell(
            "code",
            f'from asynclings.integrations.notebook import check\n\ncheck("{module}")\n',
            f"{module}-check",
            None,
        ),
        _cell(
            "markdown",
            f"## Rubric: {total:g} points\n\nEach locked cell below is one rubric item.\n",
            f"{module}-rubric",
            _meta(f"{module}__rubric", grade=False, solution=False, locked=True),
        ),
    ]
    for item in rubric:
        call = f'grade_item("{module}", "{item.name}")\n'
        if "all" in hidden or item.name in hidden or item.name.removeprefix("test_") in hidden:
            body = (
                "# A hidden rubric item: its check is revealed at grading time.\n"
                "### BEGIN HIDDEN TESTS\n"
                f"from asynclings.integrations.notebook import grade_item\n\n{call}"
                "### END HIDDEN TESTS\n"
            )
        else:
            body = f"from asynclings.integrations.notebook import grade_item\n\n{call}"
        source = f"# {item.points:g} point{'s' if item.points != 1 else ''}: {item.title}\n{body}"
        cells.append(
            _cell(
                "code",
                source,
                f"{module}-{item.name.removeprefix('test_')}".replace("_", "-")[:64],
                _meta(
                    f"{module}__{item.name}",
                    grade=True,
                    solution=False,
                    locked=True,
                    points=item.points,
                ),
            )
        )
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_assignment(
    course: Path,
    assignment: str = "asyncio",
    modules: Sequence[str] | None = None,
    hidden: Iterable[str] = (),
) -> list[Path]:
    """Write the source notebooks (and a course config if there is none)."""
    chosen = [e for e in exercises() if modules is None or e.module in modules]
    folder = course / "source" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    config = course / "nbgrader_config.py"
    if not config.exists():
        config.write_text(CONFIG, encoding="utf-8")
    written = []
    for exercise in chosen:
        path = folder / f"{exercise.module}.ipynb"
        notebook = exercise_notebook(exercise, set(hidden))
        path.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    return written
