"""A question sheet answered with another student's worked numbers: flagged in "needs a look".

Every student's numbers are their own, so a sheet whose worked numbers are
wrong for its student but right for another student of the same batch (at
least ``COPY_MATCHES`` of them) was most likely copied from that student. The
grade stands (the copied numbers already earn at most ``COPY_SHARE_LIMIT`` of
that part); the instructor is told which variant the sheet matches, in
``results.json``'s ``needs_look`` and so in the report.

Only sheets with at least ``COPY_MATCHES`` wrong worked numbers are compared,
and each other student's worked numbers are derived once per batch, when first
needed (about 0.1 s each).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autograder.assignment import Assignment
from autograder.files import write_atomically
from autograder.grading.results import GradeResult
from autograder.questions.answers import AnswersError, parse_answers
from autograder.questions.api import COPY_MATCHES, copied_variant, course_secret, load_config, worked_numbers
from autograder.questions.config import QuestionsConfig
from autograder.questions.graded import NoAnswers, find_answers, has_sheet
from autograder.questions.model import Question
from autograder.questions.scoring import mark_sheet
from autograder.questions.variant import Variant


def copy_reason(other: str) -> str:
    return (f"question sheet: its worked numbers are those of {other}'s variant, not its own "
            "(copied one way or the other)")


class _Sheets(dict[str, tuple[Question, ...]]):
    """Each student's worked-number questions, derived on first use."""

    def __init__(self, assignment: Assignment, config: QuestionsConfig, secret: bytes) -> None:
        super().__init__()
        self.assignment, self.config, self.secret = assignment, config, secret

    def __missing__(self, student: str) -> tuple[Question, ...]:
        from autograder.questions.worked_bank import WORKED_BUILDERS

        variant = Variant(self.assignment.id, student, self.secret)
        questions = tuple(WORKED_BUILDERS[e.id](variant, e.points) for e in self.config.entries
                          if e.id in WORKED_BUILDERS)
        self[student] = worked_numbers(questions)
        return self[student]


class _Lazy(Mapping[str, tuple[Question, ...]]):
    """The batch's students as ``copied_variant``'s ``sheets``, each derived when first read."""

    def __init__(self, students: list[str], sheets: _Sheets) -> None:
        self.students, self.sheets = students, sheets

    def __getitem__(self, student: str) -> tuple[Question, ...]:
        return self.sheets[student]

    def __iter__(self) -> Any:
        return iter(self.students)

    def __len__(self) -> int:
        return len(self.students)


def _answers(assignment: Assignment, path: Path) -> dict[str, Any] | None:
    try:
        return parse_answers(find_answers(assignment, path))
    except (NoAnswers, AnswersError, OSError):
        return None


def copied_sheets(assignment: Assignment, paths: Mapping[str, Path]) -> dict[str, str]:
    """``{student: the other student whose worked numbers their sheet holds}`` over a batch."""
    if not has_sheet(assignment):
        return {}
    config = load_config(assignment)
    sheets = _Sheets(assignment, config, course_secret(config))
    everyone = _Lazy(sorted(paths), sheets)
    found: dict[str, str] = {}
    for student in sorted(paths):
        answers = _answers(assignment, paths[student])
        if not answers:
            continue
        wrong = [m for m in mark_sheet(sheets[student], answers) if m.status not in ("right", "blank")]
        if len(wrong) < COPY_MATCHES:
            continue
        other = copied_variant(answers, student, everyone)
        if other is not None:
            found[student] = other
    return found


def copied_from(assignment: Assignment, path: Path, student: str, others: list[str]) -> str | None:
    """The student of ``others`` whose worked numbers the sheet of ``student`` at ``path`` holds, or
    None: one submission against a roster (Gradescope grades one at a time)."""
    if not has_sheet(assignment):
        return None
    config = load_config(assignment)
    sheets = _Sheets(assignment, config, course_secret(config))
    answers = _answers(assignment, path)
    if not answers:
        return None
    wrong = [m for m in mark_sheet(sheets[student], answers) if m.status not in ("right", "blank")]
    if len(wrong) < COPY_MATCHES:
        return None
    return copied_variant(answers, student, _Lazy(sorted(set(others) - {student}), sheets))


def _note_in_results(out_dir: Path, student: str, reason: str) -> None:
    path = out_dir / student / "results.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    looks = document.setdefault("extra_data", {}).setdefault("needs_look", [])
    if reason not in looks:
        looks.append(reason)
        write_atomically(path, json.dumps(document, indent=2, allow_nan=False) + "\n")


def flag_copied_sheets(assignment: Assignment, paths: Mapping[str, Path], out_dir: Path,
                       results: Mapping[str, GradeResult]) -> dict[str, GradeResult]:
    """The results of the students whose sheet holds another's worked numbers, with the reason
    added to ``needs_look`` (and to their ``results.json`` in ``out_dir``). Never raises for one
    student's files: a sheet that cannot be read is simply not compared."""
    try:
        found = copied_sheets(assignment, paths)
    except Exception:  # the secret or the sheet failed: every sheet already says so, as the kit's failure
        return {}
    flagged: dict[str, GradeResult] = {}
    for student, other in found.items():
        if student not in results:
            continue
        reason = copy_reason(other)
        try:
            _note_in_results(out_dir, student, reason)
        except (OSError, ValueError):
            continue
        result = results[student]
        if reason not in result.needs_look:
            flagged[student] = dataclasses.replace(result, needs_look=(*result.needs_look, reason))
    return flagged
