"""The question component's API: release each student's sheet, grade answers, validate the keys.

``release_sheets`` writes ``OUT/<id>-sheets/<student>/questions.md``, an
``answers.toml`` to fill and ``sheet.json`` (the sheet's public part, for ``check``),
for every student of a roster; ``grade_sheets``
grades ``answers.toml`` files (a student's folder holding one, or
``<student>.toml``) against each student's own variant and writes
``OUT/<student>/questions.json``, ``questions.md`` and ``OUT/questions.csv``;
``validate_questions`` checks the keys over sample variants.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.assignment import Assignment
from autograder.questions.answers import ANSWERS_NAME, AnswersError, answers_template, parse_answers, read_answers
from autograder.questions.config import (
    QUESTIONS_NAME,
    QuestionsConfig,
    QuestionsError,
    parse_questions,
    questions_path,
)
from autograder.questions.form import SHEET_NAME, sheet_json
from autograder.questions.model import Question
from autograder.questions.scoring import Mark, mark_sheet
from autograder.questions.sheet import render_marks, render_sheet
from autograder.questions.variant import Variant, VariantError

MAX_ROSTER_BYTES = 4 * 1024 * 1024
COPY_MATCHES = 2
"""Worked numbers of another student's variant that a sheet must hold to be flagged as copied."""
COPY_SHARE_LIMIT = 0.05
"""The most a sheet answered with another variant's worked numbers may earn of that part."""
VALIDATION_SECRET = b"autograder validate: sample variants"
"""Keys the sample variants of ``validate`` when the course secret is not set (they are not students')."""


def load_config(assignment: Assignment) -> QuestionsConfig:
    """The assignment's ``questions.toml``, checked against the bank."""
    from autograder.questions.bank import known_ids

    path = questions_path(assignment.root)
    if not path.is_file():
        raise QuestionsError(f"assignment {assignment.id!r} has no {path.name} (its question sheet)")
    return parse_questions(path.read_text(encoding="utf-8"), known_ids(), str(path))


def points_mismatch(assignment: Assignment, config: QuestionsConfig) -> str:
    """Why the manifest's ``questions_points`` and ``questions.toml`` disagree, or "": the manifest
    decides the sheet's points, and each question's points must add up to them."""
    if abs(assignment.questions_points - config.total_points) <= 1e-9:
        return ""
    return (f"the questions of {QUESTIONS_NAME} add up to {config.total_points:g} points, the manifest's "
            f"questions_points says {assignment.questions_points:g}: set questions_points = {config.total_points:g} "
            "in manifest.toml (the sheet's points count on top of total_points)")


def course_secret(config: QuestionsConfig, environ: Mapping[str, str] | None = None) -> bytes:
    """The course secret from the environment variable ``questions.toml`` names."""
    value = (os.environ if environ is None else environ).get(config.secret_env, "")
    if not value:
        raise VariantError(f"set {config.secret_env} to the course secret: every student's numbers are "
                           "drawn from it (the same secret for release and grade)")
    return value.encode("utf-8")


def read_roster(path: Path) -> list[str]:
    """Student ids of a CSV roster: the column ``id``, ``student_id`` or ``sid``, else the first."""
    from autograder.submission import safe_student_id

    data = path.read_bytes()[: MAX_ROSTER_BYTES + 1]
    if len(data) > MAX_ROSTER_BYTES:
        raise QuestionsError(f"{path}: a roster larger than {MAX_ROSTER_BYTES} bytes")
    rows = [r for r in csv.reader(io.StringIO(data.decode("utf-8-sig", "replace"))) if r and r[0].strip()]
    if not rows:
        raise QuestionsError(f"{path}: the roster is empty")
    header = [h.strip().casefold() for h in rows[0]]
    column = next((header.index(n) for n in ("id", "student_id", "sid") if n in header), None)
    ids = [r[column or 0].strip() for r in (rows[1:] if column is not None else rows) if len(r) > (column or 0)]
    return list(dict.fromkeys(safe_student_id(i) for i in ids if i))


def student_sheet(assignment: Assignment, config: QuestionsConfig, student_id: str,
                  secret: bytes) -> tuple[Question, ...]:
    from autograder.questions.bank import sheet_questions

    return sheet_questions(config, Variant(assignment.id, student_id, secret))


def _student_folder(out: Path, student_id: str) -> Path:
    from autograder.submission import safe_student_id

    safe = safe_student_id(student_id)
    if Path(safe).name != safe or safe in ("", ".", ".."):
        raise QuestionsError(f"{student_id!r} cannot name a folder")
    return out / safe


def release_sheets(assignment: Assignment, out_dir: Path, students: Sequence[str],
                   secret: bytes | None = None) -> Path:
    """Each student's ``questions.md`` and ``answers.toml`` under ``out_dir/<id>-sheets/``."""
    config = load_config(assignment)
    secret = course_secret(config) if secret is None else secret
    root = Path(out_dir) / f"{assignment.id}-sheets"
    for student in students:
        questions = student_sheet(assignment, config, student, secret)
        folder = _student_folder(root, student)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "questions.md").write_text(render_sheet(assignment.title, student, questions), encoding="utf-8")
        (folder / ANSWERS_NAME).write_text(answers_template(questions), encoding="utf-8")
        (folder / SHEET_NAME).write_text(sheet_json(assignment.id, student, questions), encoding="utf-8")
    return root


@dataclass(frozen=True)
class SheetResult:
    student_id: str
    marks: tuple[Mark, ...]
    problem: str | None = None
    copied_from: str | None = None

    @property
    def score(self) -> float:
        return sum(m.score for m in self.marks)

    def to_json(self) -> dict[str, Any]:
        return {"student_id": self.student_id, "score": self.score,
                "max_score": sum(m.points for m in self.marks), "problem": self.problem,
                "needs_a_look": (f"its worked numbers are those of {self.copied_from}'s variant"
                                 if self.copied_from else None),
                "questions": [m.to_json() for m in self.marks]}


def grade_answers(questions: Sequence[Question], data: bytes | dict[str, Any]) -> tuple[tuple[Mark, ...], str | None]:
    """The marks of one answers file's bytes (or parsed answers); a refused file scores 0, with why."""
    try:
        answers = parse_answers(data) if isinstance(data, bytes) else data
    except AnswersError as err:
        return mark_sheet(questions, {}), str(err)
    return mark_sheet(questions, answers), None


def worked_numbers(questions: Sequence[Question]) -> tuple[Question, ...]:
    """The sheet's worked-number questions (whose numbers are the student's own)."""
    from autograder.questions.worked_bank import WORKED_BUILDERS

    return tuple(q for q in questions if q.id in WORKED_BUILDERS and q.kind == "number")


def copied_variant(answers: Mapping[str, Any], own: str, sheets: Mapping[str, Sequence[Question]]) -> str | None:
    """The other student whose variant's worked numbers ``answers`` holds (``COPY_MATCHES`` or more)."""
    for other, questions in sheets.items():
        if other == own:
            continue
        matched = [m for m in mark_sheet(worked_numbers(questions), answers) if m.status == "right"]
        if len(matched) >= COPY_MATCHES:
            return other
    return None


def _answers_file(submission: Path) -> tuple[str, Path]:
    from autograder.submission import safe_student_id

    if submission.is_dir():
        return safe_student_id(submission.name), submission / ANSWERS_NAME
    return safe_student_id(submission.stem), submission


def grade_one(assignment: Assignment, config: QuestionsConfig, submission: Path, secret: bytes,
              roster_sheets: Mapping[str, Sequence[Question]]) -> SheetResult:
    student, path = _answers_file(submission)
    questions = student_sheet(assignment, config, student, secret)
    try:
        answers = read_answers(path)
    except AnswersError as err:
        return SheetResult(student, mark_sheet(questions, {}), str(err))
    marks, _ = grade_answers(questions, answers)
    return SheetResult(student, marks, None, copied_variant(answers, student, roster_sheets))


def write_result(out_dir: Path, result: SheetResult) -> None:
    folder = _student_folder(out_dir, result.student_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "questions.json").write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    (folder / "questions.md").write_text(render_marks(result.student_id, result.marks, result.problem),
                                         encoding="utf-8")


def grade_sheets(assignment: Assignment, out_dir: Path, submissions: Iterable[Path],
                 roster: Sequence[str] = (), secret: bytes | None = None) -> list[SheetResult]:
    """Grade every submission's ``answers.toml``; with a ``roster``, flag sheets that hold another
    rostered student's worked numbers."""
    config = load_config(assignment)
    secret = course_secret(config) if secret is None else secret
    sheets = {s: student_sheet(assignment, config, s, secret) for s in roster}
    results = [grade_one(assignment, config, Path(s), secret, sheets) for s in submissions]
    out_dir.mkdir(parents=True, exist_ok=True)
    for result in results:
        write_result(out_dir, result)
    lines = ["student_id,score,max_score,needs_a_look"]
    lines += [",".join((json.dumps(r.student_id), f"{r.score:.6g}", f"{config.total_points:g}",
                        json.dumps(r.to_json()["needs_a_look"] or ""))) for r in results]
    (out_dir / "questions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return results


@dataclass
class QuestionsCheck:
    """What ``validate_questions`` found: ``problems`` empty means the keys are consistent."""

    variants: int = 0
    questions: int = 0
    copy_share_max: float = 0.0
    problems: list[str] = field(default_factory=list)


def _check_sheet(check: QuestionsCheck, student: str, questions: Sequence[Question]) -> None:
    from autograder.questions.answers import key_answers

    key_marks, problem = grade_answers(questions, key_answers(questions).encode())
    full = sum(q.points for q in questions)
    if problem or abs(sum(m.score for m in key_marks) - full) > 1e-9:
        check.problems.append(f"{student}: the key scores {sum(m.score for m in key_marks):g}/{full:g} ({problem})")
    blank, _ = grade_answers(questions, b"")
    if sum(m.score for m in blank):
        check.problems.append(f"{student}: a blank sheet scores {sum(m.score for m in blank):g}")
    for q in questions:
        separates = not isinstance(q.key, tuple) or 0 < len(q.key) < len(q.options)
        if q.options and (len(set(q.options)) != len(q.options) or not separates):
            check.problems.append(f"{student}: {q.id}'s options {q.options} do not separate right from wrong")


def _copy_share(mine: Sequence[Question], theirs: Sequence[Question]) -> float:
    """The share of the worked-number points earned by answering ``mine`` with ``theirs``'s keys."""
    from autograder.questions.answers import key_answers

    numeric = worked_numbers(mine)
    marks, _ = grade_answers(numeric, key_answers(worked_numbers(theirs)).encode())
    total = sum(q.points for q in numeric)
    return sum(m.score for m in marks) / total if total else 0.0


def validate_questions(assignment: Assignment, samples: int = 8) -> QuestionsCheck:
    """Every sample variant builds (every key derived, well conditioned), its key scores 100%, a blank
    sheet 0, and another variant's worked numbers at most ``COPY_SHARE_LIMIT`` of that part."""
    check = QuestionsCheck()
    try:
        config = load_config(assignment)
    except QuestionsError as err:
        check.problems.append(str(err))
        return check
    mismatch = points_mismatch(assignment, config)
    if mismatch:
        check.problems.append(mismatch)
    secret = os.environ.get(config.secret_env, "").encode() or VALIDATION_SECRET
    sheets: dict[str, tuple[Question, ...]] = {}
    for k in range(samples):
        student = f"sample-{k}"
        try:
            sheets[student] = student_sheet(assignment, config, student, secret)
        except (VariantError, ValueError) as err:
            check.problems.append(f"{student}: {err}")
            continue
        _check_sheet(check, student, sheets[student])
    names = list(sheets)
    for mine, theirs in zip(names, names[1:] + names[:1]):
        check.copy_share_max = max(check.copy_share_max, _copy_share(sheets[mine], sheets[theirs]))
    if check.copy_share_max > COPY_SHARE_LIMIT:
        check.problems.append(f"another variant's worked numbers score {check.copy_share_max:.0%} of that part")
    check.variants, check.questions = len(sheets), len(config.entries)
    return check
