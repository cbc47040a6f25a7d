"""Shared fixtures of the adversarial tests: the base solution and quick limits."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from autograder.assignment import Assignment, get_assignment
from autograder.grading.grade import grade_submission
from autograder.grading.results import GradeResult
from autograder.release import solution_source

QUICK_LIMITS = dict(call_timeout_s=2.0, import_timeout_s=4.0)


@pytest.fixture(scope="session")
def assignment() -> Assignment:
    """The activations assignment with short timeouts, so hangs cost seconds."""
    real = get_assignment("activations")
    return dataclasses.replace(real, limits=dataclasses.replace(real.limits, **QUICK_LIMITS))


@pytest.fixture(scope="session")
def base_source(assignment: Assignment) -> str:
    return solution_source(assignment)


@pytest.fixture(scope="session")
def grade(assignment: Assignment) -> Callable[[Path], GradeResult]:
    return lambda path: grade_submission(assignment, path)


def processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry.name))
    return found


def pass_vector(result: GradeResult) -> list[tuple[str, bool]]:
    """Each case and whether it passed, by name (results.json lists cases skill by skill)."""
    return sorted((t.name, t.passed) for t in result.tests)
