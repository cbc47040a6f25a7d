"""Shared fixtures of the release tests, parametrised over every bundled assignment."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from autograder.assignment import Assignment, available_assignments, get_assignment, load_manifest
from autograder.release import ReleaseReport, release_assignment

from .helpers import TOY_SOURCE

ASSIGNMENT_IDS = available_assignments()


@pytest.fixture(params=ASSIGNMENT_IDS)
def assignment(request: pytest.FixtureRequest) -> Assignment:
    """Each bundled assignment in turn (backprop and vanishing are covered as soon as they exist)."""
    return get_assignment(request.param)


@pytest.fixture(scope="session")
def release_cache() -> dict[str, ReleaseReport]:
    """Releases already built in this session, by assignment id."""
    return {}


@pytest.fixture
def released(assignment: Assignment, release_cache: dict[str, ReleaseReport],
             tmp_path_factory: pytest.TempPathFactory) -> ReleaseReport:
    """The release of ``assignment``, built once per session into a temporary folder."""
    if assignment.id not in release_cache:
        release_cache[assignment.id] = release_assignment(assignment, tmp_path_factory.mktemp("out"))
    return release_cache[assignment.id]


@pytest.fixture
def toy_assignment(tmp_path: Path) -> Assignment:
    """A small, complete assignment in a temporary folder, for tests that edit its files."""
    root = tmp_path / "toy"
    (root / "tests" / "public").mkdir(parents=True)
    (root / "tests" / "hidden").mkdir(parents=True)
    (root / "manifest.toml").write_text(textwrap.dedent("""\
        manifest_version = 1
        id = "toy"
        title = "Toy assignment"
        module = "toy"
        functions = ["double", "halve"]
        total_points = 2

        [[skill]]
        name = "double"
        points = 1
        title = "double x"

        [[skill]]
        name = "halve"
        points = 1
        title = "halve x"
        """))
    (root / "source.py").write_text(TOY_SOURCE)
    (root / "tests" / "public" / "test_toy_public.py").write_text(
        "def test_nothing():\n    assert True\n")
    (root / "tests" / "hidden" / "test_toy_secret_suite.py").write_text(
        "def test_secret():\n    assert True\n")
    return load_manifest(root)
