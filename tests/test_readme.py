"""The README's point-scheme tables say what the manifests say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograder.assignment import available_assignments, get_assignment

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
COURSE = REPO / "assignments"  # the README describes this repository's course


@pytest.mark.parametrize("assignment_id", available_assignments(COURSE))
def test_the_readme_states_each_skills_points(assignment_id: str) -> None:
    assignment = get_assignment(assignment_id, COURSE)
    section = README.split(f"**`{assignment_id}`**", 1)
    assert len(section) == 2, f"no point-scheme table for {assignment_id} in the README"
    table = section[1].split("\n\n", 2)[1]
    rows = dict(re.findall(r"^\| `(\w+)` \| ([\d.]+) \|", table, flags=re.MULTILINE))
    assert rows == {s.name: f"{s.points:g}" for s in assignment.credit.skills}


def test_every_image_the_readme_shows_is_in_the_repository() -> None:
    root = Path(__file__).resolve().parents[1]
    shown = re.findall(r'<img src="([^"]+)"', README) + re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert shown, "the README shows no image"
    for path in shown:
        assert (root / path).is_file(), path
        assert (root / path).read_bytes().startswith(b"\x89PNG"), path
