"""Marking a student's answers against their variant's keys, with feedback per question.

* ``one`` and ``bool``: all or nothing.
* ``many``: (right options chosen - wrong options chosen) / right options, at least 0;
  a blank answer earns 0.
* ``number``: within ``tolerances.HAND`` of the key, or of the value recomputed
  from the student's own earlier answers (``Question.own_work``).

Every mark says "expected X because <reason>, got Y". An answer of the wrong
type (a string for a number) earns 0 and says what type was expected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.questions.model import Question
from autograder.tolerances import HAND


@dataclass(frozen=True)
class Mark:
    """One question's outcome: ``status`` is right, partial, wrong or blank."""

    id: str
    score: float
    points: float
    status: str
    feedback: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "score": self.score, "max_score": self.points, "status": self.status,
                "feedback": self.feedback}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _close(got: float, want: float, base: float | None = None) -> bool:
    """Within ``HAND`` of ``want``; relative to the change ``want - base`` when the question has a
    base (an updated weight is judged by its step, ``Question.tolerance_base``)."""
    if base is None:
        return bool(HAND.close(np.array([got]), np.array([want]))[0])
    return bool(abs(got - want) <= HAND.allowed_error(np.array([abs(want - base)]))[0])


def _shown(answer: Any) -> str:
    text = repr(answer) if not isinstance(answer, list) else "[" + ", ".join(map(str, answer)) + "]"
    return text if len(text) <= 80 else text[:77] + "..."


def _own_value(q: Question, answers: Mapping[str, Any], keys: Mapping[str, float]) -> float | None:
    """The value of ``q`` recomputed from the student's answers it uses, when at most one of them
    is wrong: one mistake costs once, and a sheet copied from another variant (every used answer
    wrong) earns nothing from it."""
    if q.own_work is None:
        return None
    used = {name: _number(answers.get(name)) for name in q.own_work.uses}
    if any(v is None for v in used.values()):
        return None
    wrong = [n for n, v in used.items() if v is not None and n in keys and not _close(v, keys[n])]
    if len(wrong) > 1 or (wrong and len(wrong) == len(used) > 1):
        return None
    value = q.own_work.compute({k: v for k, v in used.items() if v is not None})
    return value if math.isfinite(value) else None


def _mark_number(q: Question, got: float, answers: Mapping[str, Any],
                 keys: Mapping[str, float]) -> tuple[float, str]:
    assert isinstance(q.key, float)
    if _close(got, q.key, q.tolerance_base):
        return 1.0, "right"
    own = _own_value(q, answers, keys)
    if own is not None and _close(got, own, q.tolerance_base) and q.own_work is not None:
        return 1.0, f"right for your own earlier answers ({q.own_work.says} = {own:.6g})"
    return 0.0, "wrong"


def _mark_many(q: Question, got: list[Any]) -> tuple[float, str]:
    assert isinstance(q.key, tuple)
    chosen = {str(g).strip() for g in got}
    unknown = chosen - set(q.options)
    if unknown:
        return 0.0, f"not among the options: {', '.join(sorted(unknown))}"
    right, wrong = len(chosen & set(q.key)), len(chosen - set(q.key))
    share = max(0.0, (right - wrong) / len(q.key)) if q.key else float(not chosen)
    return share, "right" if share == 1 else "partly right" if share > 0 else "wrong"


def _typed(q: Question, answer: Any) -> Any:
    """The answer as the kind expects it, or None when its type cannot be one."""
    if q.kind == "number":
        return _number(answer)
    if q.kind == "bool":
        return answer if isinstance(answer, bool) else None
    if q.kind == "one":
        return answer.strip() if isinstance(answer, str) else None
    return answer if isinstance(answer, list) and all(isinstance(a, str) for a in answer) else None


_TYPES = {"number": "a number", "bool": "true or false", "one": "one option as a string",
          "many": "a list of options"}


def mark(q: Question, answers: Mapping[str, Any], keys: Mapping[str, float]) -> Mark:
    """The mark of question ``q`` given every answer of the sheet and the sheet's number keys."""
    expected = f"expected {q.key_text()} because {q.reason}"
    if q.id not in answers:
        return Mark(q.id, 0.0, q.points, "blank", f"blank: {expected}")
    answer = _typed(q, answers[q.id])
    if answer is None:
        return Mark(q.id, 0.0, q.points, "wrong",
                    f"{expected}, got {_shown(answers[q.id])}, which is not {_TYPES[q.kind]}")
    if q.kind == "number":
        share, verdict = _mark_number(q, answer, answers, keys)
    elif q.kind == "many":
        share, verdict = _mark_many(q, answer)
    else:
        share, verdict = float(answer == q.key), "right" if answer == q.key else "wrong"
    status = "right" if share == 1 else "partial" if share > 0 else "wrong"
    return Mark(q.id, share * q.points, q.points, status, f"{verdict}: {expected}, got {_shown(answer)}")


def mark_sheet(questions: Sequence[Question], answers: Mapping[str, Any]) -> tuple[Mark, ...]:
    keys = {q.id: q.key for q in questions if isinstance(q.key, float)}
    return tuple(mark(q, answers, keys) for q in questions)
