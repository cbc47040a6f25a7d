"""``grades.csv``: one row per student, one column per skill, and the misconceptions recognised.

Text cells (student ids, skill names) go through ``escaping.csv_cell``, so a
submission named ``=HYPERLINK(...).py`` is a text cell, not a live formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from autograder.escaping import csv_cell
from autograder.grading.results import GradeResult

FIXED_COLUMNS = ("student_id", "score", "max_score", "status", "misconceptions")


def _group_names(results: list[GradeResult]) -> list[str]:
    names: dict[str, None] = {}
    for result in results:
        for test in result.tests:
            names.setdefault(test.group, None)
    return list(names)


def _status(result: GradeResult) -> str:
    if not result.graded:
        return "grader-error"
    return "error" if result.error else "graded"


def render_gradebook(results: Iterable[GradeResult]) -> str:
    """CSV text, rows sorted by student id; a group's cell is its score."""
    rows = sorted(results, key=lambda r: r.student_id)
    groups = _group_names(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIXED_COLUMNS, *(csv_cell(g) for g in groups)])
    for result in rows:
        scores = result.group_scores()
        writer.writerow([csv_cell(result.student_id), f"{result.score:g}", f"{result.max_score:g}",
                         _status(result), " ".join(result.misconceptions),
                         *(f"{scores.get(g, (0.0, 0.0))[0]:g}" for g in groups)])
    return out.getvalue()
