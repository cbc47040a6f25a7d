"""The held-out bugs (``first/`` and ``second/``, see README.md) and how each is graded and named."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder.assignment import Assignment, load_manifest
from autograder.catalog import with_redefinition
from autograder.grading.grade import grade_loaded
from autograder.solution_cache import solution_source
from autograder.submission import Submission

HERE = Path(__file__).parent
ASSIGNMENTS = HERE.parents[2] / "assignments"
TAG_MARK = "~"
"""A generated diagnosis's id is ``function~tag``; a catalogued one has no tag."""


@dataclass(frozen=True)
class Bug:
    set_name: str
    assignment: str
    id: str
    code: str
    expect: tuple[str, ...]
    expect_all: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    bug: Bug
    lost_points: bool
    diagnoses: tuple[str, ...]

    @property
    def tags(self) -> set[str]:
        return {d.split(TAG_MARK, 1)[1] for d in self.diagnoses if TAG_MARK in d}

    @property
    def named(self) -> bool:
        """A "Likely mistake" line was printed for the bug."""
        return bool(self.diagnoses)

    @property
    def named_as_expected(self) -> bool:
        """The line names the mistake the bug was written to make (every one, for ``expect_all``)."""
        if self.bug.expect_all:
            return all(_matches(want, self.tags) for want in self.bug.expect_all)
        return any(_matches(want, self.tags) for want in self.bug.expect)


def _matches(want: str, tags: set[str]) -> bool:
    """A tag names the expected mistake when it is that family or a narrower one ("lr" -> "lr-twice")."""
    return any(tag == want or tag.startswith(f"{want}-") for tag in tags)


def bugs(set_name: str) -> list[Bug]:
    found = []
    for path in sorted((HERE / set_name).glob("*.toml")):
        for raw in tomllib.loads(path.read_text(encoding="utf-8"))["bug"]:
            found.append(Bug(set_name, path.stem, raw["id"], raw["code"], tuple(raw.get("expect", ())),
                             tuple(raw.get("expect_all", ()))))
    return found


def _assignment(name: str) -> Assignment:
    return load_manifest(ASSIGNMENTS / name)


def grade(bug: Bug) -> Outcome:
    assignment = _assignment(bug.assignment)
    source = with_redefinition(solution_source(assignment), bug.code)
    result = grade_loaded(assignment, Submission(student_id=bug.id, source=source, origin=assignment.source_path))
    diagnoses = tuple(dict.fromkeys(d for t in result.tests if not t.passed and t.misconception
                                    for d in t.misconception.split(" + ")))
    return Outcome(bug, result.score < result.max_score - 1e-9, diagnoses)
