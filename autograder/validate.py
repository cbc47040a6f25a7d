"""Build-time self-checks of an assignment's suites.

The hidden suite must: collect at least one test; give every test points;
add up to the manifest's ``total_points``; score 100% on the instructor's
solution and 0 on the generated stub; and compare only against values derived
from the reference (a typed-in expectation raises ``UnderivedExpectation``,
which shows up here). The public suite must pass on the solution too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignment import Assignment
from autograder.grading.grade import grade_loaded
from autograder.grading.outcomes import TestOutcome
from autograder.grading.results import GradeResult
from autograder.release import solution_source, stub_source
from autograder.submission import Submission


@dataclass(frozen=True)
class ValidationReport:
    """Problems found (empty when the assignment is sound) and the scores behind them."""

    assignment_id: str
    problems: tuple[str, ...]
    solution: GradeResult
    stub: GradeResult
    public: GradeResult
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


def _grade_source(assignment: Assignment, source: str, name: str, suite: Path | None) -> GradeResult:
    submission = Submission(student_id=name, source=source, origin=assignment.source_path)
    return grade_loaded(assignment, submission, suite=suite)


def _why(test: TestOutcome) -> str:
    """One line: the student-facing message, or for a suite problem its last traceback line."""
    if test.kind == "grader":
        lines = [line for line in test.detail.splitlines() if line.strip()]
        return lines[-1] if lines else test.message
    return test.message.splitlines()[0] if test.message else test.kind


def _failures(result: GradeResult, limit: int = 8) -> str:
    failed = [f"{t.name}: {_why(t)}" for t in result.tests if not t.passed]
    more = f" (+{len(failed) - limit} more)" if len(failed) > limit else ""
    return "; ".join(failed[:limit]) + more


def _problems(assignment: Assignment, solution: GradeResult, stub: GradeResult,
              public: GradeResult) -> list[str]:
    problems = [f"{label}: {r.detail or r.error}" for label, r in
                (("solution", solution), ("stub", stub), ("public suite", public)) if r.error]
    if problems:
        return problems
    underived = [t.name for t in solution.tests if "UnderivedExpectation" in t.detail
                 or "not derived from the reference" in t.detail]
    if underived:
        problems.append(f"expected values not derived from the reference in: {', '.join(underived)}")
    total = sum(t.max_score for t in solution.tests)
    if not math.isclose(total, assignment.total_points, rel_tol=0, abs_tol=1e-9):
        problems.append(f"hidden tests add up to {total:g} points, manifest says {assignment.total_points:g}")
    if solution.score < solution.max_score - 1e-9:
        problems.append(f"the solution scores {solution.score:g}/{solution.max_score:g}: {_failures(solution)}")
    if stub.score > 0:
        passing = ", ".join(t.name for t in stub.tests if t.passed)
        problems.append(f"the stub scores {stub.score:g}, should be 0; passing: {passing}")
    if public.score < public.max_score - 1e-9:
        problems.append(f"the solution fails public tests: {_failures(public)}")
    return problems


def validate_assignment(assignment: Assignment) -> ValidationReport:
    """Run every self-check of ``assignment`` and report the problems found."""
    solution = _grade_source(assignment, solution_source(assignment), "solution", None)
    stub = _grade_source(assignment, stub_source(assignment), "stub", None)
    public = _grade_source(assignment, solution_source(assignment), "solution", assignment.public_tests)
    notes = (f"hidden suite: {len(solution.tests)} tests, {solution.max_score:g} points",
             f"public suite: {len(public.tests)} tests", f"sandbox: {solution.sandbox}")
    return ValidationReport(assignment.id, tuple(_problems(assignment, solution, stub, public)),
                            solution, stub, public, notes)
