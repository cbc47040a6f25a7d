"""The solution script kept on disk: the same text as the build, rebuilt when its source changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.assignment import Assignment, get_assignment, load_manifest
from autograder.release import solution_source as build
from autograder.release import stub_source as build_stub
from autograder.solution_cache import solution_source, stub_source


@pytest.fixture()
def assignment(tmp_path: Path) -> Assignment:
    shutil.copytree(get_assignment("activations").root, tmp_path / "activations")
    return load_manifest(tmp_path / "activations")


def test_the_cached_text_is_the_built_one_and_is_read_back(assignment: Assignment, monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    monkeypatch.setenv("AUTOGRADER_CACHE", str(tmp_path / "cache"))
    first = solution_source(assignment)
    assert first == build(assignment)
    (stored,) = (tmp_path / "cache" / "solutions").iterdir()
    stored.write_text(first + "\n# read from the cache\n", encoding="utf-8")
    assert solution_source(assignment).endswith("# read from the cache\n")


def test_an_edited_source_is_built_again(assignment: Assignment, monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    monkeypatch.setenv("AUTOGRADER_CACHE", str(tmp_path / "cache"))
    solution_source(assignment)
    source = assignment.source_path
    source.write_text(source.read_text(encoding="utf-8").replace("def sigmoid(", "def sigmoid_(", 1),
                      encoding="utf-8")
    assert "def sigmoid_(" in solution_source(assignment)
    assert len(list((tmp_path / "cache" / "solutions").iterdir())) == 2


@pytest.mark.parametrize("setting", ["off", "unwritable"])
def test_without_a_usable_cache_the_solution_is_built(assignment: Assignment, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path, setting: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("AUTOGRADER_CACHE", "off" if setting == "off" else str(blocker / "cache"))
    assert solution_source(assignment) == build(assignment)
    assert solution_source(assignment) == build(assignment)


def test_the_stub_is_cached_apart_from_the_solution(assignment: Assignment, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.setenv("AUTOGRADER_CACHE", str(tmp_path / "cache"))
    assert stub_source(assignment) == build_stub(assignment)
    assert solution_source(assignment) == build(assignment)
    (stored,) = (tmp_path / "cache" / "stubs").iterdir()
    stored.write_text("# read from the cache\n", encoding="utf-8")
    assert stub_source(assignment) == "# read from the cache\n"
    assert solution_source(assignment) == build(assignment)
