"""A graded submission, and its Gradescope ``results.json`` form.

The format is Gradescope's autograder results specification: top-level
``score``, ``execution_time``, ``output`` and ``tests``; each test has
``name``, ``score``, ``max_score``, ``status``, ``output`` and ``visibility``.
Kit-specific facts (sandbox kind, group totals, warnings) go in ``extra_data``.
The ``output`` fields are declared Markdown (``output_format``/``test_output_format``
``md``) and hold student-controlled text escaped by ``autograder.escaping``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from autograder.escaping import markdown_text, markdown_unescape
from autograder.grading.outcomes import TestOutcome

RESULTS_FORMAT_VERSION = 1
GRADER_ERROR = ("the grader could not run the hidden tests (a problem in the kit, not in your "
                "code); your instructor can see why and will regrade")
"""What a student is told when the kit failed; the details stay in ``GradeResult.detail``."""


@dataclass(frozen=True)
class GradeResult:
    """Everything known about one graded submission. Plain data only."""

    student_id: str
    assignment_id: str
    tests: tuple[TestOutcome, ...]
    max_score: float
    execution_time: float
    sandbox: str
    error: str = ""
    """Why the submission scored 0 without its tests counting (unreadable, crashed at import...)."""
    error_kind: str = ""
    """``submission`` (the student's problem: still a grade) or ``grader`` (the kit failed)."""
    warnings: tuple[str, ...] = field(default=())
    student_output: str = ""
    detail: str = ""
    """For the instructor: what went wrong inside the kit (never shown in feedback)."""

    @property
    def score(self) -> float:
        if self.error:
            return 0.0
        return round(sum(t.max_score for t in self.tests if t.passed), 6)

    @property
    def grader_failures(self) -> int:
        """Tests the suite itself could not run (scored 0, to be looked at by the instructor)."""
        return sum(t.kind == "grader" and not t.passed for t in self.tests)

    @property
    def graded(self) -> bool:
        """True when the kit graded every test (a student's error still counts as graded)."""
        return self.error_kind != "grader" and self.grader_failures == 0

    def group_scores(self) -> dict[str, tuple[float, float]]:
        """(score, max_score) per test group, in suite order."""
        groups: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for test in self.tests:
            groups[test.group][0] += test.max_score if test.passed and not self.error else 0.0
            groups[test.group][1] += test.max_score
        return {name: (round(s, 6), round(m, 6)) for name, (s, m) in groups.items()}

    def summary(self) -> str:
        """One student-facing line; a kit failure never shows its details here."""
        if self.error:
            reason = GRADER_ERROR if self.error_kind == "grader" else self.error
            return f"Score 0 / {self.max_score:g}: {reason}"
        passed = sum(t.passed for t in self.tests)
        return f"Score {self.score:g} / {self.max_score:g} ({passed} of {len(self.tests)} tests passed)"


def _test_json(test: TestOutcome, failed_closed: bool) -> dict[str, Any]:
    passed = test.passed and not failed_closed
    return {"name": test.name, "score": test.max_score if passed else 0.0,
            "max_score": test.max_score, "status": "passed" if passed else "failed",
            "output": "" if passed else markdown_text(test.message), "visibility": "visible",
            "extra_data": {"group": test.group, "failure_kind": "" if passed else test.kind,
                           "grader_detail": test.detail}}


def to_gradescope(result: GradeResult) -> dict[str, Any]:
    """The Gradescope ``results.json`` document for ``result``."""
    failed_closed = bool(result.error)
    return {
        "score": result.score,
        "max_score": result.max_score,
        "execution_time": round(result.execution_time, 3),
        "output": markdown_text(result.summary()),
        "output_format": "md",
        "test_output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [_test_json(t, failed_closed) for t in result.tests],
        "extra_data": {
            "format_version": RESULTS_FORMAT_VERSION,
            "student_id": result.student_id,
            "assignment": result.assignment_id,
            "sandbox": result.sandbox,
            "error": GRADER_ERROR if result.error_kind == "grader" else result.error,
            "error_kind": result.error_kind,
            "warnings": list(result.warnings),
            "groups": {k: {"score": s, "max_score": m} for k, (s, m) in result.group_scores().items()},
            "student_output": result.student_output,
            "grader_detail": result.detail,
        },
    }


def results_json(result: GradeResult) -> str:
    return json.dumps(to_gradescope(result), indent=2, allow_nan=False) + "\n"


def from_gradescope(document: dict[str, Any]) -> GradeResult:
    """Rebuild a ``GradeResult`` from its ``results.json`` (used by ``--resume``)."""
    extra = document["extra_data"]
    tests = tuple(TestOutcome(name=t["name"], group=t["extra_data"]["group"],
                              max_score=float(t["max_score"]), passed=t["status"] == "passed",
                              message=markdown_unescape(t.get("output", "")),
                              kind=t["extra_data"].get("failure_kind") or "assertion",
                              detail=t["extra_data"].get("grader_detail", ""))
                  for t in document["tests"])
    return GradeResult(student_id=extra["student_id"], assignment_id=extra["assignment"],
                       tests=tests, max_score=float(document["max_score"]),
                       execution_time=float(document["execution_time"]), sandbox=extra["sandbox"],
                       error=extra["error"], error_kind=extra["error_kind"],
                       warnings=tuple(extra["warnings"]), student_output=extra["student_output"],
                       detail=extra.get("grader_detail", ""))
