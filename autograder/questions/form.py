"""``autograder check answers.toml``: the student's sheet checked for form, never for correctness.

``release`` writes ``sheet.json`` beside each student's ``questions.md`` and
``answers.toml``: the sheet's public part (every question's id, kind, points and
options, in the student's order; no key, no reason). ``check`` reads it and
says, per question, whether it is answered, blank, or answered in a form the
grader cannot mark (a string for a number, an option not on the sheet, a single
option where a list is asked); and which lines name no question. It says
nothing about whether an answer is right: that is graded after the deadline,
as the hidden tests are for code.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.questions.answers import MAX_ANSWERS_BYTES, AnswersError, parse_answers
from autograder.questions.model import KINDS, Question

SHEET_NAME = "sheet.json"
SHEET_VERSION = 1
MAX_SHEET_BYTES = 1024 * 1024


class SheetFileError(ValueError):
    """No usable ``sheet.json`` beside the answers (a user's mistake: one ``error:`` line)."""


@dataclass(frozen=True)
class PublicQuestion:
    id: str
    kind: str
    points: float
    options: tuple[str, ...]


@dataclass(frozen=True)
class PublicSheet:
    assignment_id: str
    student_id: str
    questions: tuple[PublicQuestion, ...]


def sheet_json(assignment_id: str, student_id: str, questions: tuple[Question, ...]) -> str:
    """The public part of a student's sheet, as ``release`` writes it (no key, no reason)."""
    document = {"version": SHEET_VERSION, "assignment": assignment_id, "student": student_id,
                "questions": [{"id": q.id, "kind": q.kind, "points": q.points, "options": list(q.options)}
                              for q in questions]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _question(raw: Any) -> PublicQuestion:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or raw.get("kind") not in KINDS \
            or not isinstance(raw.get("options"), list) or not all(isinstance(o, str) for o in raw["options"]) \
            or isinstance(raw.get("points"), bool) or not isinstance(raw.get("points"), (int, float)):
        raise SheetFileError(f"{SHEET_NAME} holds a question it cannot read: {str(raw)[:80]}")
    return PublicQuestion(raw["id"], raw["kind"], float(raw["points"]), tuple(raw["options"]))


def read_public_sheet(answers_path: Path) -> PublicSheet:
    """The ``sheet.json`` beside ``answers_path``."""
    path = answers_path.parent / SHEET_NAME
    if not path.is_file():
        raise SheetFileError(f"no {SHEET_NAME} beside {answers_path.name}: check the answers.toml in the folder "
                             "your instructor gave you (questions.md, answers.toml and sheet.json)")
    try:
        raw = json.loads(path.read_bytes()[:MAX_SHEET_BYTES])
        if not isinstance(raw, dict) or raw.get("version") != SHEET_VERSION:
            raise ValueError(f"version {raw.get('version') if isinstance(raw, dict) else None!r}")
        return PublicSheet(str(raw["assignment"]), str(raw["student"]),
                           tuple(_question(q) for q in raw["questions"]))
    except (ValueError, KeyError, TypeError) as err:
        raise SheetFileError(f"{path} cannot be read ({err}): take it again from the folder you were given") \
            from None


@dataclass(frozen=True)
class FormLine:
    """One line of the check: ``state`` is answered, blank, fix (a form the grader cannot mark) or unknown."""

    id: str
    state: str
    says: str


def _form_problem(q: PublicQuestion, answer: Any) -> str:
    """Why ``answer`` cannot be marked as an answer to ``q``, or "" (it can: right or wrong)."""
    options = ", ".join(f'"{o}"' for o in q.options)
    if q.kind == "number":
        ok = not isinstance(answer, bool) and isinstance(answer, (int, float)) and math.isfinite(answer)
        return "" if ok else f"write a number (such as 0.0123 or 1.5e-6), not {_shown(answer)}"
    if q.kind == "bool":
        return "" if isinstance(answer, bool) else f"write true or false (no quotes), not {_shown(answer)}"
    if q.kind == "one":
        if not isinstance(answer, str):
            return f"write one option in quotes, one of {options}"
        return "" if answer.strip() in q.options else f"{_shown(answer)} is not one of the options: {options}"
    if not isinstance(answer, list) or not all(isinstance(a, str) for a in answer):
        return f"write a list of options in square brackets, such as [{options.split(', ')[0]}]; options: {options}"
    unknown = [a for a in answer if a.strip() not in q.options]
    return f"not among the options: {', '.join(map(_shown, unknown))} (options: {options})" if unknown else ""


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (str, list)) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_form(sheet: PublicSheet, data: bytes) -> list[FormLine]:
    """The check of the answers in ``data`` against ``sheet``; ``AnswersError`` for a file that is not TOML."""
    answers = parse_answers(data[: MAX_ANSWERS_BYTES + 1])
    lines = []
    for q in sheet.questions:
        if q.id not in answers:
            lines.append(FormLine(q.id, "blank", "blank (the line is still commented out)"))
            continue
        problem = _form_problem(q, answers[q.id])
        lines.append(FormLine(q.id, "fix" if problem else "answered", problem or "answered"))
    known = {q.id for q in sheet.questions}
    lines += [FormLine(k, "unknown", "no question of that id on your sheet (a typo?); it will not be graded")
              for k in answers if k not in known]
    return lines


__all__ = ["AnswersError", "FormLine", "PublicSheet", "SheetFileError", "check_form", "read_public_sheet",
           "sheet_json"]
