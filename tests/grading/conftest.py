"""Fixtures of the grading tests: one real sandboxed submission, and a tiny assignment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.assignment import Assignment, Limits
from autograder.grading.student import GradingSession, open_session
from autograder.submission import Submission
from tests.grading.builders import GOOD, tiny_assignment

STUDENT_SOURCE = GOOD + '''

def double(x):
    return 2.0 * x


def boom(x):
    raise ValueError(f"kaboom at {x}")
'''


@pytest.fixture(scope="module")
def grading_session() -> Iterator[GradingSession]:
    """One sandboxed submission (``double``, ``boom``, ``sigmoid``, ``relu``) shared by a module."""
    submission = Submission("alice", STUDENT_SOURCE, Path("alice.py"))
    with open_session(submission, Limits(call_timeout_s=5.0, import_timeout_s=10.0)) as session:
        assert session.load_error == ""
        yield session


@pytest.fixture(scope="module")
def assignment(tmp_path_factory: pytest.TempPathFactory) -> Assignment:
    """``activations`` with the three-point tiny hidden suite (see ``builders.TINY_SUITE``)."""
    return tiny_assignment(tmp_path_factory.mktemp("assignment"))
