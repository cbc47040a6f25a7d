"""An assignment's question sheet in its nbgrader course notebook, one variant per student.

nbgrader releases one notebook for everybody, and each student's numbers are
their own (``autograder.questions.variant``: HMAC of the course secret and the
student id). So the course notebook (``nbgrader_source.course_notebook``) ends
with the sheet as cells every student has:

* a Markdown cell saying how the sheet works;
* ``sheet-numbers``, a plain code cell calling ``kernel.show_sheet``: it prints the
  student's own questions, numbers and options, read from ``sheets.json``, which
  ``autograder nbgrader init --roster`` writes beside the notebook (so nbgrader
  releases it with it). ``sheets.json`` holds each rostered student's public sheet
  (prompts, kinds, options, points: what ``release`` writes in ``questions.md``;
  no key, no reason, no secret), filed under a hash of the assignment and the
  student id rather than the id. The student is the one nbgrader knows
  (``JUPYTERHUB_USER``, else the login name, as nbgrader's exchange names them),
  or the ``my_student_id`` the student writes in that cell;
* ``answers``, a plain code cell of Python assignments (``path_1 = ...``, first
  line ``# answers:``) the student fills. The grader reads it as data
  (``autograder.questions.answers.python_answers``) and never runs it;
* one nbgrader test cell per sheet skill, ``test_questions`` and
  ``test_worked_numbers``, worth their questions' points. In a student's kernel
  they check the answers' form only (``kernel.check_sheet``). ``autograder
  nbgrader grade`` writes the kit's sheet scores into them, graded against the
  variant of the student whose ``submitted/<student>/`` folder it is, never the
  id the notebook shows; a notebook carrying another student's worked numbers
  earns at most 5 % of that part and its ``test_worked_numbers`` cell is flagged
  for review. nbgrader's own in-kernel ``autograde`` cannot grade the sheet: the
  course secret would have to be in the kernel that runs the student's code, so
  those cells raise there and say which command grades them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import nbformat
from nbformat import NotebookNode

from autograder.assignment import Assignment
from autograder.release.nbgrader_cells import SCHEMA_VERSION

SHEETS_NAME = "sheets.json"
"""The file beside the released notebook holding every rostered student's public sheet."""
SHEETS_VERSION = 1
STUDENT_VARIABLE = "my_student_id"
SHEET_CHECK_IMPORT = "from autograder.platforms.kernel import check_sheet"
MAX_SHEETS_BYTES = 64 * 1024 * 1024


def student_key(assignment_id: str, student: str) -> str:
    """The name a student's sheet is filed under in ``sheets.json``: a hash, so the file is no list of
    the class's ids (ids are guessable, so this hides them from a glance, not from a search)."""
    return hashlib.sha256("\0".join(("dl-gradekit sheet", assignment_id, student)).encode("utf-8")).hexdigest()[:32]


def sheet_points(assignment: Assignment) -> dict[str, float]:
    """The points of each sheet skill (``questions``, ``worked_numbers``), from ``questions.toml``."""
    from autograder.questions.api import load_config
    from autograder.questions.graded import CONCEPT_SKILL, WORKED_SKILL
    from autograder.questions.worked_bank import WORKED_BUILDERS

    points = {CONCEPT_SKILL: 0.0, WORKED_SKILL: 0.0}
    for entry in load_config(assignment).entries:
        points[WORKED_SKILL if entry.id in WORKED_BUILDERS else CONCEPT_SKILL] += entry.points
    return {skill: value for skill, value in points.items() if value > 0}


def _template_questions(assignment: Assignment) -> tuple[Any, ...]:
    """The sheet's questions as a sample variant has them: ids and kinds for the answers cell (the
    same for every student), drawn with ``validate``'s sample secret, never the course's."""
    from autograder.questions.api import VALIDATION_SECRET, load_config, student_sheet

    return student_sheet(assignment, load_config(assignment), "answers-cell template", VALIDATION_SECRET)


def _markdown(cell_id: str, text: str) -> NotebookNode:
    cell: NotebookNode = nbformat.v4.new_markdown_cell(text)  # type: ignore[no-untyped-call]
    cell.id = cell_id
    return cell


def _code(cell_id: str, source: str) -> NotebookNode:
    cell: NotebookNode = nbformat.v4.new_code_cell(source)  # type: ignore[no-untyped-call]
    cell.id = cell_id
    return cell


def check_cell_source(assignment: Assignment, skill: str, points: float) -> str:
    from autograder.questions.graded import SHEET_TITLES

    return "\n".join([
        f"# `{skill}` ({points:g} points): {SHEET_TITLES[skill]}.",
        "# Here: whether the grader can read each answer (never whether it is right); graded after you hand",
        "# the notebook in, against your own numbers.",
        SHEET_CHECK_IMPORT,
        f"check_sheet({json.dumps(assignment.id)}, {json.dumps(skill)}, globals())",
    ])


def sheet_cells(assignment: Assignment) -> list[NotebookNode]:
    """The cells of the question sheet (see the module's docstring), to append to the course notebook."""
    from autograder.platforms.nbgrader_source import skill_grade_id
    from autograder.questions.answers import python_template
    from autograder.questions.graded import has_sheet

    if not has_sheet(assignment):
        return []
    points = sheet_points(assignment)
    total = sum(points.values())
    intro = _markdown("sheet-intro", "\n".join([
        f"## Questions ({total:g} points)",
        "",
        "Concept questions on the activations and worked numbers of your own: every student has different "
        "numbers (and options in a different order), drawn for their student id. Run the next cell to see "
        "yours, then write your answers in the answers cell below it, one line per question. Your answers "
        "are graded against the numbers of the student you hand the notebook in as; another student's "
        "numbers score (almost) nothing.",
    ]))
    numbers = _code("sheet-numbers", "\n".join([
        "# Your own questions and numbers. They are drawn for your student id, the one your course's",
        "# nbgrader knows you by; if the id printed below is not yours, write yours here, in quotes.",
        f"{STUDENT_VARIABLE} = None",
        "from autograder.platforms.kernel import show_sheet",
        f"show_sheet({json.dumps(assignment.id)}, globals())",
    ]))
    answers = _code("answers", python_template(_template_questions(assignment)))
    checks = []
    for skill, value in points.items():
        cell = _code(skill_grade_id(skill).replace("_", "-"), check_cell_source(assignment, skill, value))
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": skill_grade_id(skill), "locked": True,
                                     "points": float(value), "schema_version": SCHEMA_VERSION, "solution": False}
        checks.append(cell)
    return [intro, numbers, answers, *checks]


def public_question(question: Any) -> dict[str, Any]:
    """What a student sees of one question: no key, no reason."""
    return {"id": question.id, "kind": question.kind, "points": question.points, "options": list(question.options),
            "prompt": question.prompt}


def released_sheets(assignment: Assignment, students: Sequence[str], secret: bytes) -> bytes:
    """``sheets.json``: every student's public sheet, filed under ``student_key``."""
    from autograder.questions.api import load_config, student_sheet

    config = load_config(assignment)
    sheets = {student_key(assignment.id, s): {"questions": [public_question(q) for q in
                                                             student_sheet(assignment, config, s, secret)]}
              for s in students}
    document = {"version": SHEETS_VERSION, "assignment": assignment.id, "title": assignment.title,
                "sheets": dict(sorted(sheets.items()))}
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def read_released_sheet(data: bytes, assignment_id: str, student: str) -> list[dict[str, Any]] | None:
    """The public questions of ``student`` in ``sheets.json``'s bytes, or None when they are not in it."""
    document = json.loads(data[:MAX_SHEETS_BYTES])
    if not isinstance(document, dict) or document.get("version") != SHEETS_VERSION \
            or document.get("assignment") != assignment_id:
        raise ValueError(f"{SHEETS_NAME} is not the question sheets of {assignment_id}")
    sheet = document.get("sheets", {}).get(student_key(assignment_id, student))
    if not isinstance(sheet, dict) or not isinstance(sheet.get("questions"), list):
        return None
    return [q for q in sheet["questions"] if isinstance(q, dict)]
