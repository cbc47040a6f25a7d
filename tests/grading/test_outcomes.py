"""``SuiteRun.ok``: a run counts only when it ran something and nothing stopped it."""

from __future__ import annotations

from autograder.grading.outcomes import SuiteRun
from tests.grading.builders import outcome


def test_a_run_with_outcomes_and_no_errors_is_ok_even_when_tests_fail() -> None:
    assert SuiteRun((outcome(passed=False, message="wrong"),)).ok


def test_a_run_with_errors_is_not_ok() -> None:
    assert not SuiteRun((outcome(),), ("x has no points marker",)).ok


def test_a_run_that_collected_nothing_is_not_ok() -> None:
    assert not SuiteRun(()).ok


def test_a_failed_outcome_defaults_to_a_wrong_answer() -> None:
    assert outcome(passed=False).kind == "assertion"
