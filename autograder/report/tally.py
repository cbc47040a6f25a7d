"""The numbers of ``summary.json``, folded over the results one at a time.

``BatchTally`` takes each student's ``GradeResult`` once (``add``) and keeps what the summary needs
of it, not the result: the scores, times and per-skill points as packed arrays of floats (8 bytes a
student), counters bounded by the suite's checks and the catalog's misconceptions, and the rows of
the students an instructor should look at. Each student's row of ``students`` goes to ``rows``
as it is made, a list or a ``RowSpool`` on disk: a report over 10,000 students then holds
about as much as one over 100 (``autograder.report.batch_report``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
import tempfile
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

import numpy as np

from autograder.escaping import csv_cell
from autograder.grading.results import GradeResult, skill_cases
from autograder.report import troubles

SLOWEST_SHOWN = 10
HISTOGRAM_BINS = 20
FULL = 1e-9
"""A score within this of the maximum is full marks (points are sums of floats)."""
STATUSES = ("graded", "error", "grader-error")


class Rows(Protocol):
    """Where the students' rows go: a list, or a ``RowSpool``."""

    def append(self, row: dict[str, Any], /) -> None: ...


class RowSpool:
    """The students' rows in a temporary file, one JSON line each: iterated again as often as the
    report reads them, never all in memory. ``close`` removes the file."""

    def __init__(self) -> None:
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._count = 0

    def append(self, row: dict[str, Any]) -> None:
        self._file.write(json.dumps(row, allow_nan=False) + "\n")
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            yield json.loads(line)
        self._file.seek(0, io.SEEK_END)

    def close(self) -> None:
        self._file.close()


def _rows_in_memory() -> list[dict[str, Any]]:
    return []


def status_of(result: GradeResult) -> str:
    """The ``status`` column of ``grades.csv``: graded, error (the submission's) or grader-error (the kit's)."""
    if not result.graded:
        return "grader-error"
    return "error" if result.error else "graded"


def num(value: float) -> float:
    return round(float(value), 6)


def stats(values: array[float] | list[float]) -> dict[str, float | int]:
    if not values:
        return {"count": 0}
    return {"count": len(values), "mean": num(statistics.fmean(values)),
            "median": num(statistics.median(values)), "std": num(statistics.pstdev(values)),
            "min": num(min(values)), "max": num(max(values))}


@dataclass
class ExactMean:
    """The mean of the values added, as ``statistics.fmean`` gives it over all of them (their sum
    correctly rounded, ``math.fsum``, over their count), kept in a few partial sums, not the values."""

    count: int = 0
    partials: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        """Shewchuk's exact summation, as ``math.fsum`` runs it: the partials' sum is the values' sum exactly."""
        self.count += 1
        kept = []
        for partial in self.partials:
            if abs(value) < abs(partial):
                value, partial = partial, value
            high = value + partial
            low = partial - (high - value)
            if low:
                kept.append(low)
            value = high
        self.partials = [*kept, value]

    @property
    def mean(self) -> float:
        return math.fsum(self.partials) / self.count


@dataclass
class _Skill:
    """One skill's tally over the submissions whose tests ran: a few numbers, whatever their count."""

    earned: ExactMean = field(default_factory=ExactMean)
    shares: ExactMean = field(default_factory=ExactMean)
    full: int = 0
    possible: float = 0.0
    diagnosed: Counter[str] = field(default_factory=Counter)

    def add(self, earned: float, possible: float, diagnosed: set[str]) -> None:
        self.possible = possible
        self.full += earned >= possible - FULL
        self.earned.add(min(earned, possible))
        self.shares.add(min(earned, possible) / possible if possible else 1.0)
        self.diagnosed.update(diagnosed)


class Gradebook:
    """``grades.csv``'s rows, kept as the three columns compared with each result, and what differs."""

    def __init__(self, text: str | None) -> None:
        self.found = text is not None
        self.rows: dict[str, tuple[str | None, str | None, str | None]] = {}
        for row in csv.DictReader(io.StringIO(text or "")):
            self.rows[row["student_id"]] = (row.get("score"), row.get("status"), row.get("misconceptions"))
        self.differences: list[str] = []

    def check(self, result: GradeResult) -> None:
        if not self.found:
            return
        row = self.rows.pop(csv_cell(result.student_id), None)
        if row is None:
            self.differences.append(f"{result.student_id}: not in grades.csv")
            return
        expected = (f"{result.score:g}", status_of(result), " ".join(result.misconceptions))
        for column, found, value in zip(("score", "status", "misconceptions"), row, expected):
            if found != value:
                self.differences.append(f"{result.student_id}: {column} is {found!r} in grades.csv, "
                                        f"{value!r} in results.json")

    def summary(self) -> dict[str, Any]:
        if not self.found:
            return {"found": False, "agrees": False, "differences": ["grades.csv is missing"]}
        differences = self.differences + [f"{student}: in grades.csv but has no results.json of this assignment"
                                          for student in self.rows]
        return {"found": True, "agrees": not differences, "differences": differences}


@dataclass
class BatchTally:
    """The summary's numbers over the results ``add`` is given, in the order given."""

    gradebook: Gradebook
    rows: Rows = field(default_factory=lambda: _rows_in_memory())
    submissions: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    sandboxes: Counter[str] = field(default_factory=Counter)
    max_scores: Counter[float] = field(default_factory=Counter)
    scores: array[float] = field(default_factory=lambda: array("d"))
    times: array[float] = field(default_factory=lambda: array("d"))
    slowest: list[tuple[float, str, float, str]] = field(default_factory=list)
    ran: int = 0
    skills: dict[str, _Skill] = field(default_factory=dict)
    misconceptions: Counter[str] = field(default_factory=Counter)
    misconception_skills: dict[str, dict[str, None]] = field(default_factory=dict)
    failed: Counter[tuple[str, str]] = field(default_factory=Counter)
    troubles: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {
        "timed_out": [], "worker_crashed": [], "not_loaded": [], "kit_failures": []})
    needs_look: Rows = field(default_factory=lambda: _rows_in_memory())
    """One row per submission to look at: a list, or spooled as the students' rows are."""

    def add(self, result: GradeResult) -> None:
        status = status_of(result)
        self.submissions += 1
        self.statuses[status] += 1
        self.sandboxes[result.sandbox] += 1
        self.max_scores[result.max_score] += 1
        if status != "grader-error":
            self.scores.append(result.score)
            self.times.append(result.execution_time)
            self._keep_slowest(result, status)
        if not result.error:
            self._add_ran(result)
        self._add_troubles(result, status)
        self._add_needs_look(result, status)
        self.rows.append(student_row(result))
        self.gradebook.check(result)

    def _keep_slowest(self, result: GradeResult, status: str) -> None:
        self.slowest.append((-result.execution_time, result.student_id, result.score, status))
        if len(self.slowest) > 8 * SLOWEST_SHOWN:
            self.slowest = sorted(self.slowest)[:SLOWEST_SHOWN]

    def _add_ran(self, result: GradeResult) -> None:
        self.ran += 1
        for skill, cases in skill_cases(result.tests).items():
            self.skills.setdefault(skill, _Skill()).add(
                sum(t.earned for t in cases), sum(t.max_score for t in cases),
                {t.misconception for t in cases if t.misconception})
        self.misconceptions.update(result.misconceptions)
        for test in result.tests:
            if test.misconception:
                self.misconception_skills.setdefault(test.misconception, {})[test.group] = None
        self.failed.update({(t.group, t.name) for t in result.tests if not t.passed})

    def _add_troubles(self, result: GradeResult, status: str) -> None:
        if status == "grader-error":
            self.troubles["kit_failures"].append({"student": result.student_id, "detail": result.detail,
                                                  "checks": result.grader_failures})
        elif status == "error":
            self.troubles["not_loaded"].append({"student": result.student_id, "error": result.error})
        for key, trouble in (("timed_out", troubles.timed_out(result.tests)),
                             ("worker_crashed", troubles.crashed(result.tests))):
            if trouble is not None:
                self.troubles[key].append({"student": result.student_id, "functions": list(trouble.functions),
                                           "checks": trouble.checks, "message": trouble.first_message})

    def _add_needs_look(self, result: GradeResult, status: str) -> None:
        from autograder.grading.needs_look import reasons

        found = reasons(result)
        if found:
            self.needs_look.append({"student": result.student_id, "score": num(result.score), "status": status,
                                    "reasons": list(found)})

    def max_score(self, default: float) -> float:
        """The maximum the results were graded against (``default``, the manifest's, when there are none)."""
        return self.max_scores.most_common(1)[0][0] if self.max_scores else default

    def score_summary(self, max_score: float) -> dict[str, Any]:
        edges = np.linspace(0.0, max_score if max_score > 0 else 1.0, HISTOGRAM_BINS + 1)
        values = np.frombuffer(self.scores, dtype=np.float64) if self.scores else np.zeros(0)
        counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
        return {**stats(self.scores), "max_score": num(max_score),
                "full_marks": int(np.sum(values >= max_score - FULL)), "zero": int(np.sum(values <= FULL)),
                "histogram": {"edges": [num(e) for e in edges], "counts": [int(c) for c in counts]}}

    def skill_rows(self, known: dict[str, tuple[str, float]]) -> list[dict[str, Any]]:
        order = {**dict.fromkeys(known), **dict.fromkeys(self.skills)}
        rows = []
        for name in order:
            skill = self.skills.get(name, _Skill())
            count = skill.earned.count
            title, points = known.get(name, ("", skill.possible))
            rows.append({"name": name, "title": title, "points": num(skill.possible if count else points),
                         "submissions": count, "full_marks": skill.full,
                         "pass_rate": num(skill.full / count) if count else None,
                         "mean_points": num(skill.earned.mean) if count else None,
                         "mean_share": num(skill.shares.mean) if count else None,
                         "misconceptions": dict(sorted(skill.diagnosed.items(), key=lambda kv: (-kv[1], kv[0])))})
        rows.sort(key=lambda r: (math.inf if r["pass_rate"] is None else r["pass_rate"],
                                 math.inf if r["mean_share"] is None else r["mean_share"], r["name"]))
        return rows

    def misconception_rows(self, catalog: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
        rows = []
        for misconception, count in sorted(self.misconceptions.items(), key=lambda kv: (-kv[1], kv[0])):
            function, explanation = catalog.get(misconception, ("", ""))
            rows.append({"id": misconception, "submissions": count, "share": num(count / self.ran),
                         "skills": list(self.misconception_skills.get(misconception, {})), "function": function,
                         "explanation": explanation})
        return rows

    def failed_check_rows(self) -> list[dict[str, Any]]:
        return [{"name": name, "skill": skill, "submissions": count, "share": num(count / self.ran)}
                for (skill, name), count in sorted(self.failed.items(), key=lambda kv: (-kv[1], kv[0][1]))]

    def timing(self, budget_s: float | None) -> dict[str, Any]:
        slowest = sorted(self.slowest)[:SLOWEST_SHOWN]
        return {**stats(self.times), "budget_s": None if budget_s is None else num(budget_s),
                "slowest": [{"student": student, "seconds": num(-seconds), "score": num(score), "status": status}
                            for seconds, student, score, status in slowest]}


def student_row(result: GradeResult) -> dict[str, Any]:
    return {"student_id": result.student_id, "score": num(result.score), "max_score": num(result.max_score),
            "status": status_of(result), "misconceptions": list(result.misconceptions),
            "execution_time": num(result.execution_time), "sandbox": result.sandbox,
            "skills": {k: num(s) for k, (s, _) in result.group_scores().items()}}
