"""The misconceptions two submissions share, from the graded batch's ``results.json`` files.

A wrong answer two students share is stronger evidence than shared correct code, the more so
the rarer the mistake is in the batch: each shared misconception comes with how many graded
students it was diagnosed in, and is called rare at or below ``Settings.rare_share`` of them
(or when only these two have it).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.results import from_gradescope
from autograder.integrity.settings import Settings


@dataclass(frozen=True)
class Diagnoses:
    """The misconceptions diagnosed in each graded student of a batch folder."""

    by_student: dict[str, tuple[str, ...]]

    @property
    def counts(self) -> Counter[str]:
        return Counter(m for found in self.by_student.values() for m in found)

    def shared(self, a: str, b: str, settings: Settings) -> list[dict[str, object]]:
        """The misconceptions ``a`` and ``b`` both have: id, students diagnosed, and whether it is rare."""
        mine, theirs = self.by_student.get(a, ()), set(self.by_student.get(b, ()))
        counts, graded = self.counts, len(self.by_student)
        return [{"id": m, "students": counts[m], "graded": graded,
                 "rare": counts[m] <= max(2, settings.rare_share * graded)}
                for m in mine if m in theirs]


def read_diagnoses(folder: Path, assignment_id: str) -> Diagnoses:
    """``folder/<student>/results.json`` of ``assignment_id``, as written by ``grade --out folder``;
    empty when the folder holds no graded batch (the similarity check does not need one)."""
    found: dict[str, tuple[str, ...]] = {}
    for path in sorted(folder.glob("*/results.json")) if folder.is_dir() else []:
        try:
            result = from_gradescope(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if result.assignment_id == assignment_id and not result.error:
            found[result.student_id] = result.misconceptions
    return Diagnoses(found)
