"""Catalogued mistakes the public tests let through: ``check`` would tell a student all is well.

A chaff that scores full marks on the public suite is a gap the instructor closes with the
cheapest public case that catches it, or marks ``hidden_only = true`` in misconceptions.toml.
"""

from __future__ import annotations

from autograder.assignment import Assignment
from autograder.catalog import Catalog, with_redefinition
from autograder.grading.grade import grade_loaded
from autograder.submission import Submission


def public_gaps(assignment: Assignment, solution: str, catalog: Catalog) -> list[str]:
    """One line per chaff (not hidden-only) that passes the whole public suite."""
    gaps = []
    for misconception in catalog.misconceptions:
        if misconception.hidden_only:
            continue
        source = with_redefinition(solution, misconception.chaff)
        result = grade_loaded(assignment, Submission(student_id=misconception.id, source=source,
                                                     origin=assignment.source_path),
                              suite=assignment.public_tests)
        if not result.error and result.score >= result.max_score - 1e-9:
            gaps.append(f"chaff {misconception.id} passes the public tests entirely "
                        f"({result.summary()}): add the cheapest public case that catches it, "
                        "or mark it hidden_only = true in misconceptions.toml")
    return gaps
