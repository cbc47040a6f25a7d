"""Fixtures shared by the question-sheet tests."""

from __future__ import annotations

import pytest

from autograder.assignment import Assignment, get_assignment


@pytest.fixture(scope="module")
def vanishing() -> Assignment:
    """The assignment that carries the question sheet."""
    return get_assignment("vanishing")
