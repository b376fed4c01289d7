"""Gradebooks for learning management systems: ``canvas.csv``, ``moodle.csv`` and
``blackboard.csv``, rendered from the batch's results and a roster that maps each
submission id to the learner's identities in the LMS.

The formats, as their publishers and course support pages describe them:

* **Canvas** (Gradebook > Import). The columns Canvas's own export writes and reads
  back: ``Student`` (``Last, First``), ``ID`` (the Canvas user id), ``SIS User ID``,
  ``SIS Login ID``, ``Section``, then one column per assignment named
  ``Name (assignment id)``; Canvas matches a learner by ID, SIS User ID or SIS Login
  ID, and needs the Section column present even when blank
  (https://nemogb-dev.github.io/nemogb-r/articles/detailed-canvas-export-info.html;
  https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades;
  https://github.com/PrairieLearn/PrairieLearn/issues/4547, which tested an import).
  A column without an id is matched by name, or creates an assignment. Canvas's
  export puts a ``Points Possible`` row right under the header (its Student cell is
  ``    Points Possible``) and takes such a file back; the file written here has that
  row too, so it reads exactly like an export (the import guides found describe the
  columns, not that row: drop it if your Canvas's preview lists it as a learner).
  Text is UTF-8 and quoted by RFC 4180
  (https://developerdocs.instructure.com/services/canvas/sis/file.sis_csv).
* **Moodle** (Grades > Import > CSV file). Any header: on the preview page the
  instructor maps one identifier column ("Map from") to a user field ("Map to":
  ``useremail``, ``username`` or ``useridnumber``) and each grade column to a grade
  item. Email addresses are matched **case-sensitively** there, unlike in mail
  (MDL-29315; https://docs.moodle.org/311/en/Grade_import): an address written in
  another case than in the learner's profile matches nobody, so this module warns
  about every roster address with a capital letter and suggests username or ID number.
* **Blackboard Learn** (Grade Center > Work Offline > Upload). The learner is
  identified by ``Username``, the only column the upload requires; a grade column by
  its Column ID after a ``|`` at the end of its header (``Name [Total Pts: 100 Score]
  |123456``, as Grade Center's download writes them); a column without an id creates
  a new text column worth 0 points. In a comma-delimited file every value must be in
  quotes
  (http://library.blackboard.com/ref/36ba3329-e441-488a-93ce-7a55543cc999/Content/Grade%20Center/Uploading%20External%20Grade%20Center%20Items.htm;
  https://www.csusb.edu/its/support/knowledge-base/222301).

**The roster** (``--roster roster.csv``) is a UTF-8 CSV file with a header row; column
names are case-insensitive, in any order, and every one but ``submission`` optional:

* ``submission``: the submission's id in the batch (its folder or zip name);
* ``name``: the learner's name as the LMS shows it (Canvas: ``Last, First``);
* ``canvas_id``, ``sis_user_id``, ``sis_login_id``, ``section``: Canvas's ``ID``,
  ``SIS User ID``, ``SIS Login ID`` and ``Section``;
* ``email``, ``username``, ``idnumber``: Moodle's email address (in the profile's
  case), username and ID number;
* ``blackboard_username``: Blackboard's Username, when it differs from ``username``.

A file is written for each LMS whose identities the roster has: Canvas with any of
``canvas_id``/``sis_user_id``/``sis_login_id``, Moodle with any of
``email``/``username``/``idnumber``, Blackboard with ``blackboard_username`` or
``username``. Each file has one row per roster entry that has a submission and an
identity for that LMS. Nothing is dropped silently: submissions missing from the
roster, roster entries without a submission (left out of the files, so the LMS keeps
whatever grade they have: enter their 0 or extension there), and entries without an
identity for an LMS are listed in ``roster-report.txt`` and the summary.

The grade is the submission's total points, equal to ``grades.csv``'s ``total``
column; ``per_exercise`` adds one column per exercise module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..manifest import exercises
from ..results import SubmissionResult
from ..rubric import rubric_of

__all__ = [
    "IDENTITY_COLUMNS",
    "LmsOptions",
    "LmsReport",
    "Roster",
    "RosterEntry",
    "RosterError",
    "load_roster",
    "write_lms_exports",
]

ROSTER_COLUMNS = (
    "submission",
    "name",
    "canvas_id",
    "sis_user_id",
    "sis_login_id",
    "section",
    "email",
    "username",
    "idnumber",
    "blackboard_username",
)
IDENTITY_COLUMNS: dict[str, tuple[str, ...]] = {
    "canvas": ("canvas_id", "sis_user_id", "sis_login_id"),
    "moodle": ("email", "username", "idnumber"),
    "blackboard": ("blackboard_username", "username"),
}
"""For each LMS, the roster columns that identify a learner there."""
LMS_NAMES = {"canvas": "Canvas", "moodle": "Moodle", "blackboard": "Blackboard"}
_UNIQUE = ("submission", *dict.fromkeys(c for cs in IDENTITY_COLUMNS.values() for c in cs))
"""Columns whose values no two entries may share (emails compared in any case)."""
CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "    Points Possible"
MOODLE_IDENTITY = ["Name", "Email address", "Username", "ID number"]


class RosterError(ValueError):
    """The roster cannot be used: the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class RosterEntry:
    submission: str
    line: int
    """The entry's line in the roster file (1 is the header)."""
    name: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    email: str = ""
    username: str = ""
    idnumber: str = ""
    blackboard_username: str = ""

    @property
    def blackboard(self) -> str:
        return self.blackboard_username or self.username

    def identified_in(self, lms: str) -> bool:
        if lms == "blackboard":
            return bool(self.blackboard)
        return any(getattr(self, column) for column in IDENTITY_COLUMNS[lms])


@dataclass(frozen=True)
class Roster:
    path: Path
    columns: tuple[str, ...]
    entries: tuple[RosterEntry, ...]

    def systems(self) -> list[str]:
        """The LMSs whose identities the roster's columns hold."""
        return [
            lms
            for lms, wanted in IDENTITY_COLUMNS.items()
            if any(column in self.columns for column in wanted)
        ]


def load_roster(path: Path) -> Roster:
    """Read and check a roster file; :class:`RosterError` says what is wrong."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RosterError(
            f"the roster {path} does not exist: pass the path of a CSV file"
        ) from None
    except OSError as error:
        raise RosterError(f"the roster {path} cannot be read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise RosterError(
            f"the roster {path} is not UTF-8 text (line {line} holds bytes that are not "
            "UTF-8): save it as 'CSV UTF-8' from your spreadsheet and try again"
        ) from None
    if not text.strip():
        raise RosterError(
            f"the roster {path} is empty: it needs a header row with at least a "
            "'submission' column, then one row per learner"
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as error:
        raise RosterError(
            f"line {reader.line_num} of the roster {path} is not valid CSV ({error}): "
            "check its quotes"
        ) from None
    header = [cell.strip().lower() for cell in rows[0][1]]
    _check_header(path, header)
    entries: list[RosterEntry] = []
    seen: dict[str, dict[str, int]] = {column: {} for column in ROSTER_COLUMNS}
    for number, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise RosterError(
                f"line {number} of the roster {path} has {len(row)} values but the header "
                f"names {len(header)} columns: quote any value that contains a comma"
            )
        values = {column: cell.strip() for column, cell in zip(header, row, strict=False)}
        if not values.get("submission"):
            raise RosterError(
                f"line {number} of the roster {path} has no submission id: fill in the "
                "'submission' column (the learner's folder or zip name in the batch) or "
                "delete the line"
            )
        for column in _UNIQUE:
            value = values.get(column, "")
            if not value:
                continue
            first = seen[column].setdefault(value.lower() if column == "email" else value, number)
            if first != number:
                raise RosterError(
                    f"the roster {path} has {column} {value!r} twice, on lines {first} and "
                    f"{number}: each learner must appear once, with their own identities"
                )
        entries.append(RosterEntry(line=number, **values))
    if not entries:
        raise RosterError(
            f"the roster {path} has a header but no learners: add one row per learner below it"
        )
    return Roster(path, tuple(header), tuple(entries))


def _check_header(path: Path, header: list[str]) -> None:
    unknown = [column for column in header if column not in ROSTER_COLUMNS]
    if unknown:
        raise RosterError(
            f"the roster {path} has the column {unknown[0]!r}, which asynclings does not "
            f"know: the columns are {', '.join(ROSTER_COLUMNS)}; rename or delete it"
        )
    twice = sorted({column for column in header if header.count(column) > 1})
    if twice:
        raise RosterError(f"the roster {path} has the column {twice[0]!r} twice: keep one of them")
    if "submission" not in header:
        raise RosterError(
            f"the roster {path} has no 'submission' column: add one holding each "
            "learner's submission id (their folder or zip name in the batch)"
        )
    if not any(column in header for columns in IDENTITY_COLUMNS.values() for column in columns):
        raise RosterError(
            f"the roster {path} has no identity column, so no LMS could match a learner: "
            "add canvas_id, sis_user_id or sis_login_id (Canvas), email, username or "
            "idnumber (Moodle), or blackboard_username or username (Blackboard)"
        )


@dataclass(frozen=True)
class LmsOptions:
    """How the LMS files name and fill their grade columns."""

    assignment: str = "asyncio exercises"
    """The grade column's name (Canvas: the assignment; Moodle: the grade item)."""
    canvas_assignment_id: str = ""
    """Canvas's assignment id, so the column is ``assignment (id)``: the import then
    goes to that assignment whatever its name."""
    blackboard_column_id: str = ""
    """Blackboard's Column ID, so the column header ends ``|id``."""
    per_exercise: bool = False
    """Add one column per exercise module beside the total."""


@dataclass
class LmsReport:
    """What :func:`write_lms_exports` wrote and what it could not match."""

    written: list[Path] = field(default_factory=list)
    not_in_roster: list[str] = field(default_factory=list)
    """Submissions graded but missing from the roster: in no LMS file."""
    no_submission: list[RosterEntry] = field(default_factory=list)
    """Roster entries with no submission in the batch: in no LMS file."""
    no_identity: dict[str, list[RosterEntry]] = field(default_factory=dict)
    """Per LMS file written, the entries left out for want of an identity there."""
    skipped: dict[str, str] = field(default_factory=dict)
    """LMSs with no file, and why."""
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as plain sentences, for ``roster-report.txt`` and the terminal."""
        lines = []
        for path in self.written:
            lines.append(f"wrote {path.name}")
        for lms, why in self.skipped.items():
            lines.append(f"no {lms}.csv: {why}")
        if self.not_in_roster:
            lines.append(
                f"not in the roster, so in no LMS file ({len(self.not_in_roster)}): "
                f"{', '.join(self.not_in_roster)}; add them to the roster, or correct a "
                "misspelt submission id, and run again"
            )
        if self.no_submission:
            lines.append(
                f"in the roster but with no submission in the batch ({len(self.no_submission)}),"
                " so left out of the LMS files, where their grade stays as it is (enter a 0 "
                "or an extension there): " + "; ".join(_who(e) for e in self.no_submission)
            )
        for lms, entries in self.no_identity.items():
            if entries:
                lines.append(
                    f"left out of {lms}.csv, with no {LMS_NAMES[lms]} identity in the roster "
                    f"({len(entries)}): "
                    + "; ".join(_who(entry) for entry in entries)
                    + f"; fill in {' or '.join(IDENTITY_COLUMNS[lms])} for them"
                )
        lines += self.warnings
        return lines


def _who(entry: RosterEntry) -> str:
    name = f" ({entry.name})" if entry.name else ""
    return f"{entry.submission}{name}, line {entry.line}"


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def _grade_columns(options: LmsOptions) -> list[tuple[str, str]]:
    """(name, module or '' for the total) for each grade column."""
    columns = [(options.assignment, "")]
    if options.per_exercise:
        columns += [(f"{options.assignment}: {e.module}", e.module) for e in exercises()]
    return columns


def _scores(result: SubmissionResult, columns: Sequence[tuple[str, str]]) -> list[int | float]:
    points = {e.module: e.points for e in result.results.exercises}
    return [_number(result.points if not m else points.get(m, 0)) for _, m in columns]


def _most(columns: Sequence[tuple[str, str]]) -> list[int | float]:
    most = {e.module: sum(item.points for item in rubric_of(e)) for e in exercises()}
    return [_number(sum(most.values()) if not m else most[m]) for _, m in columns]


def write_lms_exports(
    results: Sequence[SubmissionResult], roster: Roster, out: Path, options: LmsOptions
) -> LmsReport:
    """Write ``canvas.csv``, ``moodle.csv`` and ``blackboard.csv`` (each that the
    roster's identities allow) and ``roster-report.txt`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    report = LmsReport()
    by_id = {result.submission: result for result in results}
    listed = {entry.submission for entry in roster.entries}
    report.not_in_roster = sorted(s for s in by_id if s not in listed)
    report.no_submission = [e for e in roster.entries if e.submission not in by_id]
    matched = [(e, by_id[e.submission]) for e in roster.entries if e.submission in by_id]
    columns = _grade_columns(options)
    most = _most(columns)
    systems = roster.systems()
    for lms in IDENTITY_COLUMNS:
        if lms not in systems:
            report.skipped[lms] = (
                "the roster has none of its identity columns ("
                + ", ".join(IDENTITY_COLUMNS[lms])
                + ")"
            )
            continue
        rows = [(e, r) for e, r in matched if e.identified_in(lms)]
        report.no_identity[lms] = [e for e, _ in matched if not e.identified_in(lms)]
        path = out / f"{lms}.csv"
        if lms == "canvas":
            _write_canvas(path, rows, columns, most, options)
        elif lms == "moodle":
            _write_moodle(path, rows, columns)
        else:
            _write_blackboard(path, rows, columns, most, options)
        report.written.append(path)
    if "moodle" in systems:
        capitals = [e for e in roster.entries if e.email and e.email != e.email.lower()]
        if capitals:
            report.warnings.append(
                "Moodle matches email addresses case-sensitively: "
                + ", ".join(f"{e.email} (line {e.line})" for e in capitals)
                + " must be written exactly as in the learners' Moodle profiles, or map "
                "the import by Username or ID number instead"
            )
    (out / "roster-report.txt").write_text(
        f"roster: {roster.path}\n" + "".join(f"{line}\n" for line in report.lines()),
        encoding="utf-8",
    )
    return report


Rows = Sequence[tuple[RosterEntry, SubmissionResult]]


def _write_canvas(
    path: Path,
    rows: Rows,
    columns: Sequence[tuple[str, str]],
    most: list[int | float],
    options: LmsOptions,
) -> None:
    names = [name for name, _ in columns]
    if options.canvas_assignment_id:
        names[0] = f"{names[0]} ({options.canvas_assignment_id})"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([*CANVAS_IDENTITY, *names])
        writer.writerow([CANVAS_POINTS_ROW, "", "", "", "", *most])
        for entry, result in rows:
            writer.writerow(
                [
                    entry.name or entry.submission,
                    entry.canvas_id,
                    entry.sis_user_id,
                    entry.sis_login_id,
                    entry.section,
                    *_scores(result, columns),
                ]
            )


def _write_moodle(path: Path, rows: Rows, columns: Sequence[tuple[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([*MOODLE_IDENTITY, *(name for name, _ in columns)])
        for entry, result in rows:
            writer.writerow(
                [
                    entry.name or entry.submission,
                    entry.email,
                    entry.username,
                    entry.idnumber,
                    *_scores(result, columns),
                ]
            )


def _write_blackboard(
    path: Path,
    rows: Rows,
    columns: Sequence[tuple[str, str]],
    most: list[int | float],
    options: LmsOptions,
) -> None:
    names = [
        f"{name} [Total Pts: {points} Score]"
        for (name, _), points in zip(columns, most, strict=True)
    ]
    if options.blackboard_column_id:
        names[0] = f"{names[0]} |{options.blackboard_column_id}"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, quoting=csv.QUOTE_ALL)
        writer.writerow(["Username", *names])
        for entry, result in rows:
            writer.writerow([entry.blackboard, *_scores(result, columns)])
