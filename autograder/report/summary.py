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

import csv
import io
import json
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograder.escaping import csv_cell
from autograder.grading.results import GradeResult, from_gradescope, skill_cases
from autograder.report import troubles

SUMMARY_FORMAT_VERSION = 1
HISTOGRAM_BINS = 20
SLOWEST_SHOWN = 10
FULL = 1e-9
"""A score within this of the maximum is full marks (points are sums of floats)."""


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
        if assignment_id is not None:
            if assignment_id not in self.results:
                found = ", ".join(sorted(self.results)) or "none"
                raise ReportError(f"{self.folder} holds no results of {assignment_id!r} (found: {found})")
            return assignment_id, self.results[assignment_id]
        if not self.results:
            raise ReportError(f"{self.folder} holds no <student>/results.json; grade into it first "
                              f"(autograder grade --out {self.folder} ...)")
        if len(self.results) > 1:
            raise ReportError(f"{self.folder} holds results of several assignments "
                              f"({', '.join(sorted(self.results))}); pass --assignment")
        return next(iter(self.results.items()))


def read_batch(folder: Path) -> Batch:
    """Read every ``<student>/results.json`` under ``folder`` (as ``GradeResult.for_report`` keeps it)."""
    if not folder.is_dir():
        raise ReportError(f"{folder} is not a folder")
    results: dict[str, list[GradeResult]] = {}
    unreadable: list[str] = []
    for path in sorted(folder.glob("*/results.json")):
        try:
            result = from_gradescope(json.loads(path.read_text(encoding="utf-8"))).for_report()
        except (OSError, ValueError, KeyError, TypeError) as err:
            unreadable.append(f"{path.parent.name}: {type(err).__name__}: {err}")
            continue
        results.setdefault(result.assignment_id, []).append(result)
    for found in results.values():
        found.sort(key=lambda r: r.student_id)
    return Batch(folder, results, tuple(unreadable))


def status_of(result: GradeResult) -> str:
    """The ``status`` column of ``grades.csv``: graded, error (the submission's) or grader-error (the kit's)."""
    if not result.graded:
        return "grader-error"
    return "error" if result.error else "graded"


def _num(value: float) -> float:
    return round(float(value), 6)


def _stats(values: Sequence[float]) -> dict[str, float | int]:
    if not values:
        return {"count": 0}
    return {"count": len(values), "mean": _num(statistics.fmean(values)),
            "median": _num(statistics.median(values)), "std": _num(statistics.pstdev(values)),
            "min": _num(min(values)), "max": _num(max(values))}


def _max_score(results: Sequence[GradeResult], info: AssignmentInfo) -> float:
    """The maximum the results were graded against (the manifest's when there are none)."""
    return Counter(r.max_score for r in results).most_common(1)[0][0] if results else info.max_score


def _scores(counted: Sequence[GradeResult], max_score: float) -> dict[str, Any]:
    values = [r.score for r in counted]
    edges = np.linspace(0.0, max_score if max_score > 0 else 1.0, HISTOGRAM_BINS + 1)
    counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
    return {**_stats(values), "max_score": _num(max_score),
            "full_marks": sum(v >= max_score - FULL for v in values),
            "zero": sum(v <= FULL for v in values),
            "histogram": {"edges": [_num(e) for e in edges], "counts": [int(c) for c in counts]}}


def _skills(ran: Sequence[GradeResult], info: AssignmentInfo) -> list[dict[str, Any]]:
    by_skill = [skill_cases(result.tests) for result in ran]
    order = dict.fromkeys(info.skills)
    for skills in by_skill:
        order.update(dict.fromkeys(skills))
    rows = []
    for skill in order:
        earned: list[float] = []
        shares: list[float] = []
        full = 0
        possible = 0.0
        diagnosed: Counter[str] = Counter()
        for skills in by_skill:
            cases = skills.get(skill)
            if not cases:
                continue
            score, possible = sum(t.earned for t in cases), sum(t.max_score for t in cases)
            full += score >= possible - FULL
            earned.append(min(score, possible))
            shares.append(min(score, possible) / possible if possible else 1.0)
            diagnosed.update({t.misconception for t in cases if t.misconception})
        title, points = info.skills.get(skill, ("", possible))
        rows.append({"name": skill, "title": title, "points": _num(possible if earned else points),
                     "submissions": len(earned), "full_marks": full,
                     "pass_rate": _num(full / len(earned)) if earned else None,
                     "mean_points": _num(statistics.fmean(earned)) if earned else None,
                     "mean_share": _num(statistics.fmean(shares)) if earned else None,
                     "misconceptions": dict(diagnosed.most_common())})
    rows.sort(key=lambda r: (math.inf if r["pass_rate"] is None else r["pass_rate"],
                             math.inf if r["mean_share"] is None else r["mean_share"], r["name"]))
    return rows


def _misconceptions(ran: Sequence[GradeResult], info: AssignmentInfo) -> list[dict[str, Any]]:
    counts: Counter[str] = Counter()
    skills: dict[str, dict[str, None]] = {}
    for result in ran:
        counts.update(result.misconceptions)
        for test in result.tests:
            if test.misconception:
                skills.setdefault(test.misconception, {})[test.group] = None
    rows = []
    for misconception, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        function, explanation = info.misconceptions.get(misconception, ("", ""))
        rows.append({"id": misconception, "submissions": count, "share": _num(count / len(ran)),
                     "skills": list(skills.get(misconception, {})), "function": function,
                     "explanation": explanation})
    return rows


def _failed_checks(ran: Sequence[GradeResult]) -> list[dict[str, Any]]:
    failing: Counter[tuple[str, str]] = Counter()
    for result in ran:
        failing.update({(t.group, t.name) for t in result.tests if not t.passed})
    return [{"name": name, "skill": skill, "submissions": count, "share": _num(count / len(ran))}
            for (skill, name), count in sorted(failing.items(), key=lambda kv: (-kv[1], kv[0][1]))]


def _troubles(results: Sequence[GradeResult]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {"timed_out": [], "worker_crashed": [], "not_loaded": [],
                                              "kit_failures": []}
    for result in results:
        status = status_of(result)
        if status == "grader-error":
            found["kit_failures"].append({"student": result.student_id, "detail": result.detail,
                                          "checks": result.grader_failures})
        elif status == "error":
            found["not_loaded"].append({"student": result.student_id, "error": result.error})
        for key, trouble in (("timed_out", troubles.timed_out(result.tests)),
                             ("worker_crashed", troubles.crashed(result.tests))):
            if trouble is not None:
                found[key].append({"student": result.student_id, "functions": list(trouble.functions),
                                   "checks": trouble.checks, "message": trouble.first_message})
    return found


def _needs_look(results: Sequence[GradeResult]) -> list[dict[str, Any]]:
    """Every submission an instructor should look at, with its reasons (``grading.needs_look``)."""
    from autograder.grading.needs_look import reasons

    rows = [{"student": r.student_id, "score": _num(r.score), "status": status_of(r), "reasons": list(found)}
            for r in results if (found := reasons(r))]
    return rows


def _timing(results: Sequence[GradeResult], info: AssignmentInfo) -> dict[str, Any]:
    timed = [r for r in results if status_of(r) != "grader-error"]
    slowest = sorted(timed, key=lambda r: (-r.execution_time, r.student_id))[:SLOWEST_SHOWN]
    return {**_stats([r.execution_time for r in timed]),
            "budget_s": None if info.budget_s is None else _num(info.budget_s),
            "slowest": [{"student": r.student_id, "seconds": _num(r.execution_time), "score": _num(r.score),
                         "status": status_of(r)} for r in slowest]}


def _student_row(result: GradeResult) -> dict[str, Any]:
    return {"student_id": result.student_id, "score": _num(result.score), "max_score": _num(result.max_score),
            "status": status_of(result), "misconceptions": list(result.misconceptions),
            "execution_time": _num(result.execution_time), "sandbox": result.sandbox,
            "skills": {k: _num(s) for k, (s, _) in result.group_scores().items()}}


def compare_gradebook(results: Sequence[GradeResult], text: str | None) -> dict[str, Any]:
    """Whether ``grades.csv`` (its text) lists exactly these results, with the same scores and statuses."""
    if text is None:
        return {"found": False, "agrees": False, "differences": ["grades.csv is missing"]}
    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(text))}
    differences = []
    for result in results:
        row = rows.pop(csv_cell(result.student_id), None)
        if row is None:
            differences.append(f"{result.student_id}: not in grades.csv")
            continue
        expected = {"score": f"{result.score:g}", "status": status_of(result),
                    "misconceptions": " ".join(result.misconceptions)}
        for column, value in expected.items():
            if row.get(column) != value:
                differences.append(f"{result.student_id}: {column} is {row.get(column)!r} in grades.csv, "
                                   f"{value!r} in results.json")
    differences += [f"{student}: in grades.csv but has no results.json of this assignment" for student in rows]
    return {"found": True, "agrees": not differences, "differences": differences}


def summarize(results: Sequence[GradeResult], info: AssignmentInfo, *, gradebook: str | None = None,
              unreadable: Sequence[str] = ()) -> dict[str, Any]:
    """Every number of the report, as plain JSON-ready data (see the module docstring)."""
    counted = [r for r in results if status_of(r) != "grader-error"]
    ran = [r for r in results if not r.error]
    max_score = _max_score(results, info)
    statuses = Counter(status_of(r) for r in results)
    sandboxes = Counter(r.sandbox for r in results)
    return {
        "format_version": SUMMARY_FORMAT_VERSION,
        "assignment": {"id": info.id, "title": info.title, "max_score": _num(max_score),
                       "feedback": info.feedback},
        "submissions": len(results),
        "status": {key: statuses.get(key, 0) for key in ("graded", "error", "grader-error")},
        "tests_ran": len(ran),
        "scores": _scores(counted, max_score),
        "skills": _skills(ran, info),
        "misconceptions": _misconceptions(ran, info) if ran else [],
        "failed_checks": _failed_checks(ran) if ran else [],
        "troubles": _troubles(results),
        "needs_look": _needs_look(results),
        "timing": _timing(results, info),
        "sandbox": dict(sandboxes.most_common()),
        "students": [_student_row(r) for r in results],
        "gradebook": compare_gradebook(results, gradebook),
        "unreadable": list(unreadable),
    }
