"""The time budget: relative to the solution's recorded time, with a floor and a cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grading.budget import (
    BUDGET_FACTOR,
    BUDGET_FLOOR_S,
    TIMING_FILE,
    record_solution_seconds,
    recorded_solution_seconds,
    time_budget_s,
)
from tests.grading.builders import tiny_assignment


def test_without_a_record_the_budget_is_the_manifest_timeout(tmp_path: Path) -> None:
    assignment = tiny_assignment(tmp_path)
    assert recorded_solution_seconds(assignment) is None
    assert time_budget_s(assignment) == pytest.approx(assignment.limits.submission_timeout_s)


@pytest.mark.parametrize(("seconds", "budget"), [
    (0.5, BUDGET_FLOOR_S), (3.0, BUDGET_FACTOR * 3.0), (1000.0, 300.0)], ids=["floor", "relative", "cap"])
def test_a_recorded_time_sets_the_budget(tmp_path: Path, seconds: float, budget: float) -> None:
    assignment = tiny_assignment(tmp_path)
    note = record_solution_seconds(assignment, seconds)
    assert recorded_solution_seconds(assignment) == pytest.approx(seconds, abs=1e-3)
    assert time_budget_s(assignment) == pytest.approx(min(budget, assignment.limits.submission_timeout_s))
    assert "recorded" in note


@pytest.mark.parametrize("text", ["solution_seconds = -1\n", "solution_seconds = 'x'\n", "not toml ==\n"])
def test_a_broken_record_counts_as_none(tmp_path: Path, text: str) -> None:
    assignment = tiny_assignment(tmp_path)
    (assignment.root / TIMING_FILE).write_text(text, encoding="utf-8")
    assert time_budget_s(assignment) == pytest.approx(assignment.limits.submission_timeout_s)
