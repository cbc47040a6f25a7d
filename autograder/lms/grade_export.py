"""A graded batch's grades in the CSV layouts LMSs import, matched on the course's roster.

``export_grades(FOLDER, ...)`` reads what ``grade --out FOLDER`` wrote (every
``<student>/results.json``, as ``autograder.report.summary.read_batch`` reads it) and writes one
file in one of these layouts:

* ``canvas``, Canvas's gradebook CSV import: ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``,
  ``Section``, then the assignment's column, named ``<Assignment name> (<Canvas assignment id>)``
  as Canvas's own gradebook export names it (a column without the id, ``<Assignment name>``, is
  imported as a new assignment), and a second row ``Points Possible`` holding the maximum. Canvas
  matches students on ``ID``, ``SIS User ID`` or ``SIS Login ID``; every other column of a row
  would be read as another assignment, so a missing student's cell is left empty (ungraded: the
  course's missing-submission policy applies) and is named on stderr. See "Import CSV File for
  Carmen Grades" (https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades)
  and Canvas's "How do I import grades in the Gradebook?".
* ``moodle``, the assignment's offline grading worksheet ("Upload grading worksheet",
  ``mod/assign/feedback/offline``): ``Identifier`` (``Participant <id>``), ``Full name``,
  ``Email address``, ``Status``, ``Grade``, ``Maximum Grade``, ``Grade can be changed``,
  ``Last modified (submission)``, ``Last modified (grade)``, ``Feedback comments``. Moodle's
  importer (``importgradeslib.php``) needs ``Identifier``, ``Grade`` and ``Last modified (grade)``
  and skips a row whose ``Grade`` is empty: a missing student's row says ``missing`` in ``Status``
  and leaves ``Grade`` empty.
* ``csv``, a plain table for anyone: one row per roster student with the roster's columns, the
  kit's ``student_id``, ``score``, ``max_score``, ``status`` (``graded``, ``error``,
  ``grader-error`` as in ``grades.csv``, or ``missing``) and one column per skill. With
  ``long_out`` also the long table ``student_id, skill, points, max_points`` (one row per student
  and skill) for analysis.

**The roster** is a UTF-8 CSV whose header names some of these columns (case and spaces do not
matter; the names Canvas's gradebook export and Moodle's grading worksheet use are accepted, so
either file is a roster as it is downloaded):

===============  ============================================================================
``id``           the LMS's user id: Canvas ``ID``; Moodle's participant id (``Identifier``
                 ``Participant 123`` is read as 123); also ``user_id``, ``participant_id``
``name``         ``Student``, ``Full name``
``sis_id``       ``SIS User ID``
``login``        ``SIS Login ID``, ``username``
``email``        ``Email address``
``section``      ``Section``
``submission``   the id the batch gave the student, when it is none of the above (``student_id``)
===============  ============================================================================

A batch student matches the roster row whose ``submission`` is their id, or whose ``id`` ends
their id after an underscore (the ids the kit takes from a Canvas or Moodle download:
``doejane_12345``, ``Jane Doe_12345``), or whose ``login``, ``sis_id``, ``id``, ``email`` or the
email's local part is their id (a Blackboard download's usernames, or one file per student named
by login). A batch student who matches no row, or several, is reported, never dropped silently;
a roster student without a result is a ``missing`` row.

Every text cell goes through ``escaping.csv_cell`` (no spreadsheet formula can start a cell).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from autograder.escaping import csv_cell
from autograder.grading.results import GradeResult, format_points
from autograder.report.summary import ReportError, read_batch, status_of

SUMMARY = "summary.json"
Format = Literal["canvas", "moodle", "csv"]
FORMATS: tuple[Format, ...] = ("canvas", "moodle", "csv")
MISSING = "missing"
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "Points Possible"
MOODLE_COLUMNS = ("Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                  "Feedback comments")
MOODLE_PARTICIPANT = "Participant "
LONG_COLUMNS = ("student_id", "skill", "points", "max_points")
ROSTER_ALIASES = {
    "id": ("id", "user_id", "participant_id", "identifier"),
    "name": ("name", "student", "full_name"),
    "sis_id": ("sis_id", "sis_user_id"),
    "login": ("login", "sis_login_id", "username", "login_id"),
    "email": ("email", "email_address"),
    "section": ("section",),
    "submission": ("submission", "student_id"),
}
"""Roster column -> the header names accepted for it (lower case, spaces as underscores)."""
KEY_COLUMNS = ("submission", "id", "sis_id", "login", "email")
"""The roster columns a student is matched on; each value appears on one row at most."""
NEEDED_COLUMNS: dict[Format, tuple[str, ...]] = {
    "canvas": ("id", "sis_id", "login"), "moodle": ("id",), "csv": KEY_COLUMNS}
"""Per format, the roster columns of which it needs at least one (to name a student the LMS knows)."""
_LMS_USER = re.compile(r"_(\d+)\Z")


class ExportError(ValueError):
    """A roster or batch that cannot be exported (one line saying why)."""


@dataclass(frozen=True)
class RosterEntry:
    """One student of the roster; ``""`` for a column the roster does not have."""

    line: int
    id: str = ""
    name: str = ""
    sis_id: str = ""
    login: str = ""
    email: str = ""
    section: str = ""
    submission: str = ""

    def keys(self) -> dict[str, str]:
        """The values this student is matched on (lower-cased), by roster column."""
        found = {column: getattr(self, column).casefold() for column in KEY_COLUMNS if getattr(self, column)}
        if self.email and "@" in self.email:
            found["email_local"] = self.email.split("@", 1)[0].casefold()
        return found


@dataclass(frozen=True)
class Roster:
    entries: tuple[RosterEntry, ...]
    columns: tuple[str, ...]
    """The roster columns (``ROSTER_ALIASES`` keys) its header has."""


@dataclass(frozen=True)
class Matched:
    """The roster in order, each with its result (None: missing), and the batch students not on it."""

    rows: tuple[tuple[RosterEntry, GradeResult | None], ...]
    unknown: tuple[tuple[str, str], ...] = ()
    """(student id, why it has no row: ``not on the roster``, ``matches several roster rows ...``)."""

    @property
    def missing(self) -> tuple[RosterEntry, ...]:
        return tuple(entry for entry, result in self.rows if result is None)


@dataclass(frozen=True)
class Exported:
    """What ``export_grades`` wrote and what the instructor must hear about."""

    out: Path
    matched: Matched
    long_out: Path | None = None
    notes: tuple[str, ...] = field(default=())


def _column_of(header: str) -> str | None:
    normal = re.sub(r"[\s\-]+", "_", header.strip().casefold())
    return next((column for column, names in ROSTER_ALIASES.items() if normal in names), None)


def _roster_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ExportError(f"roster {path} is not UTF-8 text (byte {err.start}); save it as CSV UTF-8") from None


def _header(path: Path, header: Sequence[str]) -> dict[int, str]:
    """Roster column by position; an error when a column is named twice or no key column is there."""
    by_position: dict[int, str] = {}
    for position, name in enumerate(header):
        column = _column_of(name)
        if column is None:
            continue
        if column in by_position.values():
            raise ExportError(f"roster {path}: two columns are {column!r} ({name!r} and another)")
        by_position[position] = column
    if not set(by_position.values()) & set(KEY_COLUMNS):
        raise ExportError(f"roster {path} has none of the columns a student is matched on "
                          f"(id, sis_id, login, email, submission); its header is {', '.join(header) or 'empty'}")
    return by_position


def _entry(line: int, row: Sequence[str], header: dict[int, str]) -> RosterEntry:
    values = {column: row[position].strip() if position < len(row) else "" for position, column in header.items()}
    if values.get("id", "").startswith(MOODLE_PARTICIPANT):
        values["id"] = values["id"].removeprefix(MOODLE_PARTICIPANT).strip()
    return RosterEntry(line, **values)


def _is_points_row(entry: RosterEntry) -> bool:
    """Canvas's export holds a ``Points Possible`` row (and its muted variant) under its header."""
    return not entry.keys() or (entry.name.strip().casefold().endswith("points possible") and not entry.id)


def _no_duplicates(path: Path, entries: Sequence[RosterEntry]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for entry in entries:
        for column, value in entry.keys().items():
            if column == "email_local":
                continue
            if (column, value) in seen:
                raise ExportError(f"roster {path}: {column} {value!r} is on line {seen[column, value]} "
                                  f"and line {entry.line}; each student once")
            seen[column, value] = entry.line


def read_roster(path: Path) -> Roster:
    """The roster at ``path`` (see the module docstring); ``ExportError`` for a file that is not one."""
    try:
        text = _roster_text(path)
    except OSError as err:
        raise ExportError(f"cannot read roster {path}: {err.strerror or err}") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as err:
        raise ExportError(f"roster {path} is not a CSV file: {err}") from None
    if not rows:
        raise ExportError(f"roster {path} is empty; it needs a header row and a row per student")
    header = _header(path, rows[0])
    entries = [_entry(number, row, header) for number, row in enumerate(rows[1:], start=2)
               if any(cell.strip() for cell in row)]
    entries = [entry for entry in entries if not _is_points_row(entry)]
    if not entries:
        raise ExportError(f"roster {path} lists no student under its header")
    _no_duplicates(path, entries)
    return Roster(tuple(entries), tuple(dict.fromkeys(header.values())))


def _candidates(student: str, roster: Roster) -> list[RosterEntry]:
    """The roster rows ``student`` (a batch id) may be: by submission id first, then by LMS user id, then by key."""
    wanted = student.casefold()
    lms_user = _LMS_USER.search(student)
    for test in (lambda e: e.submission.casefold() == wanted,
                 lambda e: lms_user is not None and e.id == lms_user.group(1),
                 lambda e: wanted in e.keys().values()):
        found = [entry for entry in roster.entries if test(entry)]
        if found:
            return found
    return []


def match_roster(roster: Roster, results: Iterable[GradeResult]) -> Matched:
    """Each roster row with its result; the results that fit no row (or several, or a taken one) apart."""
    taken: dict[int, GradeResult] = {}
    unknown: list[tuple[str, str]] = []
    for result in sorted(results, key=lambda r: r.student_id):
        found = _candidates(result.student_id, roster)
        if not found:
            unknown.append((result.student_id, "not on the roster"))
        elif len(found) > 1:
            lines = ", ".join(str(e.line) for e in found)
            unknown.append((result.student_id, f"matches several roster rows (lines {lines})"))
        elif found[0].line in taken:
            unknown.append((result.student_id, f"matches roster line {found[0].line}, already "
                                               f"matched by {taken[found[0].line].student_id}"))
        else:
            taken[found[0].line] = result
    return Matched(tuple((entry, taken.get(entry.line)) for entry in roster.entries), tuple(unknown))


def _csv(rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue()


def _max_score(results: Sequence[GradeResult]) -> float:
    return Counter(r.max_score for r in results).most_common(1)[0][0]


def render_canvas(matched: Matched, column: str, max_score: float) -> str:
    """Canvas's gradebook import CSV; a missing student's cell is empty (see the module docstring)."""
    rows: list[Sequence[str]] = [[*CANVAS_COLUMNS, csv_cell(column)],
                                 [CANVAS_POINTS_ROW, "", "", "", "", format_points(max_score)]]
    for entry, result in matched.rows:
        score = "" if result is None else format_points(result.score)
        rows.append([csv_cell(entry.name), csv_cell(entry.id), csv_cell(entry.sis_id), csv_cell(entry.login),
                     csv_cell(entry.section), score])
    return _csv(rows)


def _moodle_status(result: GradeResult | None) -> str:
    if result is None:
        return MISSING
    return {"graded": "Graded", "error": "Graded: the submission could not be loaded",
            "grader-error": "Not graded: the kit failed (regrade with --resume)"}[status_of(result)]


def render_moodle(matched: Matched, max_score: float, now: datetime.datetime) -> str:
    """Moodle's offline grading worksheet; a missing student's Grade is empty (Moodle skips the row)."""
    stamp = now.strftime("%Y-%m-%d %H:%M:%S %z")
    rows: list[Sequence[str]] = [MOODLE_COLUMNS]
    for entry, result in matched.rows:
        graded = result is not None and status_of(result) != "grader-error"
        rows.append([csv_cell(f"{MOODLE_PARTICIPANT}{entry.id}"), csv_cell(entry.name), csv_cell(entry.email),
                     _moodle_status(result), format_points(result.score) if graded and result else "",
                     format_points(max_score), "Yes", "", stamp,
                     csv_cell(result.summary()) if graded and result else ""])
    return _csv(rows)


def _skills(results: Iterable[GradeResult]) -> list[str]:
    return list(dict.fromkeys(skill for r in results for skill in r.group_scores()))


def render_plain(matched: Matched, roster_columns: Sequence[str]) -> str:
    """One row per roster student: the roster's columns, the kit's id, score, status and skills."""
    results = [r for _, r in matched.rows if r is not None]
    skills = _skills(results)
    rows: list[Sequence[str]] = [[*roster_columns, "student_id", "score", "max_score", "status", *skills]]
    for entry, result in matched.rows:
        own = [csv_cell(getattr(entry, column)) for column in roster_columns]
        if result is None:
            rows.append([*own, "", "", "", MISSING, *("" for _ in skills)])
            continue
        scores = result.group_scores()
        rows.append([*own, csv_cell(result.student_id), format_points(result.score), format_points(result.max_score),
                     status_of(result), *(format_points(scores[s][0]) if s in scores else "" for s in skills)])
    return _csv(rows)


def render_long(results: Iterable[GradeResult]) -> str:
    """``student_id, skill, points, max_points``: one row per student and skill (full precision)."""
    rows: list[Sequence[str]] = [LONG_COLUMNS]
    for result in sorted(results, key=lambda r: r.student_id):
        for skill, (points, possible) in result.group_scores().items():
            rows.append([csv_cell(result.student_id), csv_cell(skill), f"{points:g}", f"{possible:g}"])
    return _csv(rows)


def _batch(folder: Path, assignment_id: str | None) -> tuple[str, list[GradeResult]]:
    try:
        return read_batch(folder).pick(assignment_id)
    except ReportError as err:
        raise ExportError(str(err)) from None


def _needs_columns(roster: Roster, fmt: Format) -> None:
    needed = NEEDED_COLUMNS[fmt]
    if not set(roster.columns) & set(needed):
        names = {"id": "ID (or Identifier)", "sis_id": "SIS User ID", "login": "SIS Login ID",
                 "email": "email", "submission": "submission"}
        raise ExportError(f"a {fmt} export needs a roster column {' or '.join(names[n] for n in needed)}, "
                          f"to name each student as {fmt} knows them")


def _title(folder: Path, assignment_id: str) -> str:
    """The assignment's title as the batch's ``summary.json`` holds it; its id when there is none."""
    try:
        summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
        title = summary["assignment"]["title"] if summary["assignment"]["id"] == assignment_id else ""
    except (OSError, ValueError, KeyError, TypeError):
        title = ""
    return title if isinstance(title, str) and title.strip() else assignment_id


def _all_of_batch(results: Sequence[GradeResult]) -> Roster:
    """Without a roster (``csv`` only): every student of the batch, named by the kit's id."""
    return Roster(tuple(RosterEntry(n, submission=r.student_id) for n, r in enumerate(results, start=2)),
                  ())


def export_grades(folder: Path, fmt: Format, out: Path, *, roster: Path | None = None,
                  assignment_id: str | None = None, title: str | None = None, lms_assignment: str | None = None,
                  long_out: Path | None = None, now: datetime.datetime | None = None) -> Exported:
    """Write the batch in ``folder`` (of ``assignment_id``, or its only assignment) to ``out`` as
    ``fmt``, matched on ``roster`` (needed but for ``csv``).

    ``title`` names the Canvas column (default: the assignment's title in ``summary.json``, else
    its id) and ``lms_assignment`` is Canvas's assignment id in it; ``long_out`` also writes the
    per-skill long CSV. ``ExportError`` for a bad roster or folder; nothing is written then."""
    chosen, results = _batch(folder, assignment_id)
    if roster is None and fmt != "csv":
        raise ExportError(f"a {fmt} export needs --roster: the LMS's students, to name each row as it knows them")
    table = read_roster(roster) if roster is not None else _all_of_batch(results)
    _needs_columns(table, fmt)
    matched = match_roster(table, results)
    maximum = _max_score(results)
    notes: tuple[str, ...] = ()
    if fmt == "canvas":
        name = title or _title(folder, chosen)
        if lms_assignment is None and roster is not None:
            lms_assignment, notes = _canvas_assignment(roster, name)
        text = render_canvas(matched, f"{name} ({lms_assignment})" if lms_assignment else name, maximum)
    elif fmt == "moodle":
        text = render_moodle(matched, maximum, now or datetime.datetime.now().astimezone())
    else:
        text = render_plain(matched, table.columns or ("submission",))
    _write(out, text)
    if long_out is not None:
        _write(long_out, render_long(results))
    return Exported(out, matched, long_out, notes)


_CANVAS_ASSIGNMENT = re.compile(r"(?P<title>.+) \((?P<id>\d+)\)\Z")
"""An assignment's column in Canvas's gradebook export: ``Title (id)``."""


def _canvas_assignment(roster: Path, name: str) -> tuple[str | None, tuple[str, ...]]:
    """Canvas's id of the assignment called ``name`` when the roster (Canvas's gradebook export) has
    its column, and what to tell the instructor: without it, Canvas imports a new assignment."""
    header = next(csv.reader(io.StringIO(_roster_text(roster))), [])
    columns = {m["title"].strip(): m["id"] for cell in header if (m := _CANVAS_ASSIGNMENT.match(cell.strip()))}
    if name in columns:
        return columns[name], (f"the column {name} ({columns[name]}) of the roster is filled",)
    if not columns:
        return None, ()
    shown = ", ".join(f"{title} ({number})" for title, number in list(columns.items())[:3])
    return None, (f"warning: the column {name!r} is none of the roster's Canvas assignments ({shown}"
                  f"{', ...' if len(columns) > 3 else ''}), so Canvas imports it as a new assignment; "
                  "pass --title with the name of the one to fill",)


def _write(path: Path, text: str) -> None:
    from autograder.files import write_atomically

    write_atomically(path, text)


__all__ = ["FORMATS", "ExportError", "Exported", "Format", "Roster", "RosterEntry", "export_grades",
           "match_roster", "read_roster"]
