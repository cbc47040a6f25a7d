"""The held-out bugs and correct variants (``first/``, ``second/``, ``third/``, see README.md), and
how each is graded: named, charged to its own skills, or (a correct variant) at full marks."""

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
MISSING = "does not define a function"
"""The message of a function the worker did not find: never right when a callable is bound to the name."""
TOLERANCE = 1e-9
"""Points below this are no loss (sums of float shares)."""


@dataclass(frozen=True)
class Bug:
    set_name: str
    assignment: str
    id: str
    code: str
    expect: tuple[str, ...]
    expect_all: tuple[str, ...]
    skills: tuple[str, ...] = ()
    """The skills the bug lives in: the only ones that may lose points for it ("" when not stated)."""
    correct: bool = False
    """A correct variant written oddly (``[[correct]]``): full marks, nothing named, nothing missing."""


@dataclass(frozen=True)
class Outcome:
    bug: Bug
    lost_points: bool
    diagnoses: tuple[str, ...]
    lost: tuple[tuple[str, float], ...] = ()
    """(skill, points lost) for every skill that lost points."""
    claims_missing: bool = False
    """A message said the submission does not define a function."""

    @property
    def charged_skills(self) -> tuple[str, ...]:
        return tuple(skill for skill, _ in self.lost)

    @property
    def charged_once(self) -> bool:
        """The bug costs points, and only in the skills it lives in."""
        return self.lost_points and set(self.charged_skills) <= set(self.bug.skills)

    @property
    def clean(self) -> bool:
        """A correct variant at full marks, with no likely mistake and no "missing function" claim."""
        return not self.lost_points and not self.diagnoses and not self.claims_missing

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


def _entries(set_name: str, table: str) -> list[Bug]:
    found = []
    for path in sorted((HERE / set_name).glob("*.toml")):
        for raw in tomllib.loads(path.read_text(encoding="utf-8")).get(table, []):
            found.append(Bug(set_name, path.stem, raw["id"], raw["code"], tuple(raw.get("expect", ())),
                             tuple(raw.get("expect_all", ())), tuple(raw.get("skills", ())),
                             correct=table == "correct"))
    return found


def bugs(set_name: str) -> list[Bug]:
    """The set's ``[[bug]]`` entries."""
    return _entries(set_name, "bug")


def correct_variants(set_name: str) -> list[Bug]:
    """The set's ``[[correct]]`` entries: correct code written oddly."""
    return _entries(set_name, "correct")


def _assignment(name: str) -> Assignment:
    return load_manifest(ASSIGNMENTS / name)


def grade(bug: Bug) -> Outcome:
    assignment = _assignment(bug.assignment)
    source = with_redefinition(solution_source(assignment), bug.code)
    result = grade_loaded(assignment, Submission(student_id=bug.id, source=source, origin=assignment.source_path))
    diagnoses = tuple(dict.fromkeys(d for t in result.tests if not t.passed and t.misconception
                                    for d in t.misconception.split(" + ")))
    lost = tuple((skill, round(top - score, 6)) for skill, (score, top) in result.group_scores().items()
                 if score < top - TOLERANCE)
    missing = MISSING in result.error or any(MISSING in t.message for t in result.tests)
    return Outcome(bug, result.score < result.max_score - TOLERANCE, diagnoses, lost, missing)
