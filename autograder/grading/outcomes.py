"""Plain records of what a suite run found, before any scoring."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestOutcome:
    """One graded test case: its readable name, its points and what happened."""

    name: str
    group: str
    max_score: float
    passed: bool
    message: str = ""
    kind: str = "assertion"
    """``assertion`` (wrong answer), ``student`` (the student's code raised, hung or
    crashed) or ``grader`` (the suite itself broke: a kit bug, graded as a failure)."""
    detail: str = ""
    """For ``grader`` failures: what broke, for the instructor (never shown to students)."""


@dataclass(frozen=True)
class SuiteRun:
    """Every outcome of one suite run, plus problems that stopped it from running at all."""

    outcomes: tuple[TestOutcome, ...]
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.outcomes)
