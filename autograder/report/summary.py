"""The numbers of a graded batch: what ``summary.json`` holds and ``report.html`` shows.

A batch is the folder ``grade --out DIR`` wrote: ``DIR/<student>/results.json``
for every student (the source of truth, read back with ``from_gradescope``) and
``DIR/grades.csv``. ``summarize`` turns the results of one assignment into
plain data (numbers, strings, lists, dicts), so the JSON file and the HTML page
cannot disagree:

* ``scores``: the grades that count (every student but the kit's own failures,
  which ``--resume`` regrades): mean, median, spread and a histogram;
* ``skills``: per skill, how many submissions whose tests ran earned full
  marks (its pass rate) and the mean points, worst first;
* ``misconceptions``: how many submissions each known misconception was
  diagnosed in; ``failed_checks``: how many submissions failed each check;
* ``troubles``: submissions that timed out, crashed the worker, could not be
  loaded, or that the kit failed to grade; ``needs_look``: every submission to look at
  with its reasons (also untouched stubs, what the sandbox refused, full marks with notes);
* ``timing``: the slowest submissions; ``sandbox``: which sandbox graded them;
* ``students``: one row per student, as in ``grades.csv``; ``gradebook``:
  whether ``grades.csv`` agrees with the results.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.grading.results import GradeResult, report_result
from autograder.report import tally
from autograder.report.tally import BatchTally, Gradebook

SUMMARY_FORMAT_VERSION = 1


class ReportError(ValueError):
    """A folder that holds no graded batch to report on, or more than one assignment."""


@dataclass(frozen=True)
class AssignmentInfo:
    """What the report knows of the assignment besides the results (titles, catalog, time budget)."""

    id: str
    title: str
    max_score: float
    skills: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Skill name -> (title, points), in manifest order."""
    misconceptions: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Misconception id -> (function, explanation), from the catalog."""
    budget_s: float | None = None
    feedback: str = "full"


def assignment_info(assignment_id: str, assignment: Any = None) -> AssignmentInfo:
    """``AssignmentInfo`` from the ``Assignment`` given, or the bundled one of that id, or the id alone."""
    from autograder.assignment import ManifestError, get_assignment
    from autograder.catalog import CatalogError, load_catalog
    from autograder.grading.budget import time_budget_s

    if assignment is None:
        try:
            assignment = get_assignment(assignment_id)
        except ManifestError:
            return AssignmentInfo(assignment_id, assignment_id, 0.0)
    try:
        catalog = {m.id: (m.function, m.explanation) for m in load_catalog(assignment).misconceptions}
    except (CatalogError, OSError):
        catalog = {}
    return AssignmentInfo(assignment.id, assignment.title, assignment.total_points,
                          {s.name: (s.title, s.points) for s in assignment.credit.skills}, catalog,
                          time_budget_s(assignment), assignment.feedback)


@dataclass(frozen=True)
class Batch:
    """Every result found in a graded folder, by assignment, and the files that could not be read."""

    folder: Path
    results: dict[str, list[GradeResult]]
    unreadable: tuple[str, ...]

    def pick(self, assignment_id: str | None) -> tuple[str, list[GradeResult]]:
        """The results of ``assignment_id``; without one, of the only assignment in the folder."""
        chosen = _chosen(self.folder, sorted(self.results), assignment_id)
        return chosen, self.results[chosen]


UNREADABLE = (OSError, ValueError, KeyError, TypeError)
"""What reading a ``results.json`` the kit did not write (or that was damaged) raises: that file is
listed as unreadable, the others are reported."""


def _read_result(path: str | Path) -> GradeResult:
    """The ``results.json`` at ``path``, as the report keeps it (``GradeResult.for_report``)."""
    with open(path, encoding="utf-8") as handle:
        return report_result(json.load(handle))


def read_batch(folder: Path) -> Batch:
    """Read every ``<student>/results.json`` under ``folder`` (as ``GradeResult.for_report`` keeps it)."""
    if not folder.is_dir():
        raise ReportError(f"{folder} is not a folder")
    results: dict[str, list[GradeResult]] = {}
    unreadable: list[str] = []
    for path in sorted(folder.glob("*/results.json")):
        try:
            result = _read_result(path)
        except UNREADABLE as err:
            unreadable.append(f"{path.parent.name}: {type(err).__name__}: {err}")
            continue
        results.setdefault(result.assignment_id, []).append(result)
    for found in results.values():
        found.sort(key=lambda r: r.student_id)
    return Batch(folder, results, tuple(unreadable))


@contextlib.contextmanager
def tallied_batch(folder: Path, assignment_id: str | None, gradebook: str | None
                  ) -> Iterator[tuple[str, BatchTally, tuple[str, ...]]]:
    """The chosen assignment (as ``Batch.pick`` chooses it), its ``BatchTally`` and the files that
    could not be read, for a graded ``folder`` read one ``results.json`` at a time, in the order of
    the students' folders: the students' rows and the submissions to look at are spooled to disk
    (``tally.RowSpool``) until the context ends, so memory does not grow with the batch."""
    if not folder.is_dir():
        raise ReportError(f"{folder} is not a folder")
    tallies: dict[str, BatchTally] = {}
    unreadable: list[str] = []
    try:
        for name in sorted(entry.name for entry in os.scandir(folder) if entry.is_dir()):
            # a plain string, not a Path: pathlib interns every part, and the table of interned
            # strings would grow by a student's name each
            path = os.path.join(folder, name, "results.json")
            if not os.path.isfile(path):
                continue
            try:
                result = _read_result(path)
            except UNREADABLE as err:
                unreadable.append(f"{name}: {type(err).__name__}: {err}")
                continue
            if result.assignment_id not in tallies:
                tallies[result.assignment_id] = BatchTally(Gradebook(gradebook), rows=tally.RowSpool(),
                                                           needs_look=tally.RowSpool())
            tallies[result.assignment_id].add(result)
        chosen = _chosen(folder, sorted(tallies), assignment_id)
        yield chosen, tallies[chosen], tuple(unreadable)
    finally:
        for counted in tallies.values():
            for spooled in (counted.rows, counted.needs_look):
                if isinstance(spooled, tally.RowSpool):
                    spooled.close()


def _chosen(folder: Path, found: list[str], assignment_id: str | None) -> str:
    """``assignment_id``, or the only assignment ``found`` in ``folder``; a ``ReportError`` if neither."""
    if assignment_id is not None:
        if assignment_id not in found:
            raise ReportError(f"{folder} holds no results of {assignment_id!r} (found: {', '.join(found) or 'none'})")
        return assignment_id
    if not found:
        raise ReportError(f"{folder} holds no <student>/results.json; grade into it first "
                          f"(autograder grade --out {folder} ...)")
    if len(found) > 1:
        raise ReportError(f"{folder} holds results of several assignments ({', '.join(found)}); pass --assignment")
    return found[0]


def status_of(result: GradeResult) -> str:
    """The ``status`` column of ``grades.csv``: graded, error (the submission's) or grader-error (the kit's)."""
    return tally.status_of(result)


def compare_gradebook(results: Iterable[GradeResult], text: str | None) -> dict[str, Any]:
    """Whether ``grades.csv`` (its text) lists exactly these results, with the same scores and statuses."""
    gradebook = Gradebook(text)
    for result in results:
        gradebook.check(result)
    return gradebook.summary()


def summarize(results: Iterable[GradeResult], info: AssignmentInfo, *, gradebook: str | None = None,
              unreadable: Sequence[str] = ()) -> dict[str, Any]:
    """Every number of the report, as plain JSON-ready data (see the module docstring)."""
    counted = BatchTally(Gradebook(gradebook))
    for result in results:
        counted.add(result)
    return summary_of(counted, info, unreadable)


def summary_of(counted: BatchTally, info: AssignmentInfo, unreadable: Sequence[str] = ()) -> dict[str, Any]:
    """The summary of the results ``counted`` has been given; its ``students`` are ``counted.rows``."""
    max_score = counted.max_score(info.max_score)
    return {
        "format_version": SUMMARY_FORMAT_VERSION,
        "assignment": {"id": info.id, "title": info.title, "max_score": tally.num(max_score),
                       "feedback": info.feedback},
        "submissions": counted.submissions,
        "status": {key: counted.statuses.get(key, 0) for key in tally.STATUSES},
        "tests_ran": counted.ran,
        "scores": counted.score_summary(max_score),
        "skills": counted.skill_rows(info.skills),
        "misconceptions": counted.misconception_rows(info.misconceptions) if counted.ran else [],
        "failed_checks": counted.failed_check_rows() if counted.ran else [],
        "troubles": counted.troubles,
        "needs_look": counted.needs_look,
        "timing": counted.timing(info.budget_s),
        "sandbox": dict(counted.sandboxes.most_common()),
        "students": counted.rows,
        "gradebook": counted.gradebook.summary(),
        "unreadable": list(unreadable),
    }
