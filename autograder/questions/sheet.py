"""A student's question sheet and their marked sheet, as Markdown."""

from __future__ import annotations

from collections.abc import Sequence

from autograder.questions.answers import ANSWERS_NAME
from autograder.questions.model import Question
from autograder.questions.scoring import Mark

_HOW = {"one": "one option", "many": "every option that fits (a list)", "bool": "true or false",
        "number": "a number (4 significant digits or more)"}


def _question_block(number: int, q: Question) -> list[str]:
    lines = [f"### {number}. `{q.id}` ({q.points:g} points)", "", q.prompt, ""]
    if q.options:
        lines += [f"- `{option}`" for option in q.options] + [""]
    lines += [f"Answer: {_HOW[q.kind]}.", ""]
    return lines


def render_sheet(title: str, student_id: str, questions: Sequence[Question]) -> str:
    """The sheet of ``student_id``: their own numbers, options and order."""
    total = sum(q.points for q in questions)
    lines = [f"# {title}: questions", "", f"Student: `{student_id}`. These numbers are yours alone: "
             f"your answers are graded against them. Write your answers in `{ANSWERS_NAME}` beside this "
             f"sheet, one line per question, as its comments show, and check their form with `autograder check "
             f"{ANSWERS_NAME}` (it says what is answered, blank or written in a form the grader cannot mark; "
             f"not whether it is right). Hand `{ANSWERS_NAME}` in with your code, in one folder or .zip. "
             f"{total:g} points.", ""]
    for number, q in enumerate(questions, start=1):
        lines += _question_block(number, q)
    return "\n".join(lines)


def render_marks(student_id: str, marks: Sequence[Mark], problem: str | None = None) -> str:
    """The marked sheet: each question's score and why (``problem``: the file was refused)."""
    score, total = sum(m.score for m in marks), sum(m.points for m in marks)
    lines = [f"# Questions: {student_id}", "", f"Score: {score:.4g} / {total:g}", ""]
    if problem:
        lines += [f"**Your answers could not be read:** {problem}. Every question scores 0.", ""]
    for m in marks:
        lines += [f"- `{m.id}` {m.score:.3g}/{m.points:g}: {m.feedback}"]
    return "\n".join(lines) + "\n"
