"""Plain records of what a suite run found, and what each case earned."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from autograder.curves import Curve, from_json, to_json

FailureKind = Literal["assertion", "student", "grader"]
"""Why a case failed: ``assertion`` (a wrong answer), ``student`` (the student's code raised, hung
or crashed) or ``grader`` (the suite itself broke: a kit bug, graded as a failure)."""


def exception_name(kind: type[BaseException]) -> str:
    """The name ``CaseOutcome.raised`` records: ``module.QualifiedName``."""
    return f"{kind.__module__}.{kind.__qualname__}"



@dataclass(frozen=True)
class CaseOutcome:
    """One graded test case: its readable name, its skill, its points and what happened.

    ``max_score`` and ``earned`` are set by the credit model
    (``autograder.grading.credit``): a passing contract check earns only as far
    as its skill's value checks pass, so ``earned`` may be below ``max_score``
    for a passing case.
    """

    name: str
    group: str
    """The skill this case measures (a manifest ``[[skill]]`` name)."""
    max_score: float
    passed: bool
    message: str = ""
    kind: FailureKind = "assertion"
    """``assertion`` (wrong answer), ``student`` (the student's code raised, hung or
    crashed) or ``grader`` (the suite itself broke: a kit bug, graded as a failure)."""
    detail: str = ""
    """For ``grader`` failures: what broke, for the instructor (never shown to students)."""
    contract: bool = False
    """A contract check (int input, shape, no mutation, stability) rather than a value check."""
    weight: float = 1.0
    """The case's weight among its skill's value (or contract) checks."""
    earned: float = 0.0
    misconception: str = ""
    """The id of the known misconception the failing values match, if any."""
    consistent_with: str = ""
    """Set when the case passed only because it agrees with the student's own
    upstream skill (``backward`` with their own ``forward``): it earns its points
    only if that skill is itself wrong in its own checks."""
    consistent_on: str = ""
    """With ``consistent_with``: the upstream's own case in the same setting (``elu[values-alpha=0.5]``).
    Then that case must fail on its own: a forward failing one cheap setting buys nothing in another."""
    curve: Curve | None = None
    """A failing value check over a 1-D range: the tested x, the values returned and the
    reference's (plain floats). Shown only where the manifest's ``feedback`` is ``full``."""
    right_share: float = 0.0
    """For a failing value check that compares several values in one case (``backward``'s nine
    gradients): the share of them that were right (``autograder.suite.share``). It earns that share
    of its points, so a mistake that makes more values wrong never costs less."""
    rules: tuple[str, ...] = ()
    """The stated rules the case enforces (``@pytest.mark.rule``): a failing one costs at least the
    rule's cost in the manifest (``CreditModel.rule_cost``)."""
    raised: str = ""
    """For a failing case, the exception the test raised, as ``exception_name`` writes it
    (``autograder.suite.expect.UnderivedExpectation``): what ``validate`` looks for, never the text.
    Kept by the grader only (not in results.json)."""

    @property
    def skill(self) -> str:
        return self.group


@dataclass(frozen=True)
class SuiteRun:
    """Every outcome of one suite run, plus problems that stopped it from running at all."""

    outcomes: tuple[CaseOutcome, ...]
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.outcomes)


def case_json(outcome: CaseOutcome) -> dict[str, Any]:
    """``outcome`` as plain JSON, its curve as ``curves.to_json`` writes it: what a grade kept on
    disk holds (``same_stub``, ``passing_cache``)."""
    fields = {field.name: getattr(outcome, field.name) for field in dataclasses.fields(outcome)}
    return {**fields, "rules": list(outcome.rules), "curve": None if outcome.curve is None else to_json(outcome.curve)}


def case_from_json(data: dict[str, Any]) -> CaseOutcome:
    """The outcome ``case_json`` wrote; ``ValueError``, ``TypeError`` or ``KeyError`` when ``data``
    is not one."""
    if not isinstance(data, dict):
        raise ValueError("an outcome is a JSON object")
    return CaseOutcome(**{**data, "rules": tuple(str(rule) for rule in data["rules"]),
                          "curve": None if data["curve"] is None else from_json(data["curve"])})
