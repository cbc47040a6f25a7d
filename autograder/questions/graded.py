"""The question sheet graded beside the code: ``autograder grade``, nbgrader and Gradescope.

An assignment whose manifest gives ``questions_points`` (and that has a
``questions.toml``) grades each submission's ``answers.toml`` against the
student's own variant, the student being the one the batch names (an LMS
download's id, nbgrader's student, Gradescope's submitter), never the file's
name alone. Its questions are two skills of the result, ``questions`` (concept
questions, keyed by the reference or the instructor) and ``worked_numbers``
(the student's own numbers), one case per question with its points and its
feedback, so they reach ``results.json``, the feedback pages, ``grades.csv`` and
the report like any skill, and count in the total.

Where the answers are (``find_answers``): ``answers.toml`` in a submitted folder
or ``.zip`` (at any depth, exactly one), else a notebook's answers cell (a raw
or code cell whose first line is ``# answers.toml``, or the code cell of Python
assignments ``autograder nbgrader init`` writes, first line ``# answers:``), else ``answers.toml``
beside a notebook in nbgrader's ``submitted/<student>/<id>/`` folder. None: the
sheet scores 0 and every question says why. A sheet the kit cannot grade (no
course secret, a ``questions.toml`` that disagrees with the manifest) is the
kit's failure: 0 for the sheet, marked for regrading, never a silent score.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from autograder.assignment import Assignment
from autograder.grading.outcomes import CaseOutcome
from autograder.grading.results import GradeResult
from autograder.questions.answers import (
    ANSWERS_NAME,
    MAX_ANSWERS_BYTES,
    PYTHON_CELL,
    AnswersError,
    answers_toml,
    python_answers,
)
from autograder.questions.model import Question
from autograder.questions.scoring import Mark

CONCEPT_SKILL = "questions"
WORKED_SKILL = "worked_numbers"
SHEET_SKILLS = (CONCEPT_SKILL, WORKED_SKILL)
SHEET_TITLES = {CONCEPT_SKILL: "the question sheet: concept questions on the activations and their use",
                WORKED_SKILL: "the question sheet: worked numbers, your own variant's"}
ANSWERS_CELL = "# answers.toml"
"""The first line of a notebook cell that holds the answers (the rest of the cell is the TOML)."""
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024
MAX_SEARCH_DEPTH = 4
SHEET_GRADER_ERROR = ("the grader could not grade your question sheet (a problem in the kit, not in your "
                      "answers); your instructor can see why and will regrade")


class NoAnswers(ValueError):
    """Why a submission holds no answers the sheet can be graded from (the student's, stated)."""


def has_sheet(assignment: Assignment) -> bool:
    """Whether ``grade`` grades a question sheet for this assignment (the manifest says so)."""
    return assignment.questions_points > 0


def _folder_answers(folder: Path) -> bytes:
    found = [p for p in sorted(folder.rglob("*"))
             if p.name.casefold() == ANSWERS_NAME and p.is_file() and not p.is_symlink()
             and len(p.relative_to(folder).parts) <= MAX_SEARCH_DEPTH
             and not any(part.startswith((".", "__MACOSX")) for part in p.relative_to(folder).parts)]
    if len(found) > 1:
        raise NoAnswers(f"{len(found)} files named {ANSWERS_NAME} in the submission "
                        f"({', '.join(str(p.relative_to(folder)) for p in found[:3])}): submit one")
    if not found:
        raise NoAnswers(f"no {ANSWERS_NAME} in the submission")
    with found[0].open("rb") as handle:
        return handle.read(MAX_ANSWERS_BYTES + 1)


def _zip_answers(path: Path) -> bytes:
    try:
        with zipfile.ZipFile(path) as bundle:
            members = [i for i in bundle.infolist() if not i.is_dir()
                       and PurePosixPath(i.filename).name.casefold() == ANSWERS_NAME
                       and not PurePosixPath(i.filename).parts[0].startswith(("__MACOSX", "."))]
            if len(members) > 1:
                raise NoAnswers(f"{len(members)} files named {ANSWERS_NAME} in the .zip: submit one")
            if not members:
                raise NoAnswers(f"no {ANSWERS_NAME} in the .zip")
            with bundle.open(members[0]) as handle:
                return handle.read(MAX_ANSWERS_BYTES + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as err:
        raise NoAnswers(f"the .zip could not be read for {ANSWERS_NAME}: {err}") from None


def notebook_answers(path: Path) -> bytes | None:
    """The TOML of a notebook's first answers cell, or None if it has none: a cell whose first line is
    ``# answers.toml`` (the rest is TOML), or a code cell whose first line starts ``# answers:`` (Python
    assignments, read as data by ``answers.python_answers``, never run: the cell ``nbgrader init``
    writes). ``NoAnswers`` for a Python answers cell that does not parse."""
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        return None
    try:
        cells = json.loads(path.read_bytes()).get("cells", [])
    except (ValueError, AttributeError):
        return None
    for cell in cells if isinstance(cells, list) else []:
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        text = "".join(source) if isinstance(source, list) and all(isinstance(s, str) for s in source) else source
        if isinstance(text, str) and text.lstrip().startswith(ANSWERS_CELL):
            return text.lstrip()[len(ANSWERS_CELL):].encode("utf-8", "replace")
        if isinstance(text, str) and text.lstrip().startswith(PYTHON_CELL) and cell.get("cell_type") == "code":
            try:
                return answers_toml(python_answers(text))
            except AnswersError as err:
                raise NoAnswers(str(err)) from None
    return None


def find_answers(assignment: Assignment, path: Path) -> bytes:
    """The bytes of the submission's answers (at most one byte past the bound), or ``NoAnswers``."""
    path = Path(path)
    if path.is_dir():
        return _folder_answers(path)
    if path.suffix.casefold() == ".zip":
        return _zip_answers(path)
    if path.suffix.casefold() == ".ipynb":
        cell = notebook_answers(path)
        if cell is not None:
            return cell
    beside = path.parent / ANSWERS_NAME
    if path.parent.name == assignment.id and beside.is_file() and not beside.is_symlink():
        with beside.open("rb") as handle:  # nbgrader's submitted/<student>/<id>/ folder
            return handle.read(MAX_ANSWERS_BYTES + 1)
    if path.suffix.casefold() == ".ipynb":
        raise NoAnswers(f"no answers cell in the notebook: the code cell whose first line starts '{PYTHON_CELL}' "
                        f"(or a cell starting with the line '{ANSWERS_CELL}'), nor an {ANSWERS_NAME} beside it")
    raise NoAnswers(f"no {ANSWERS_NAME} in the submission: hand it in with your {assignment.module} work, "
                    "in one folder or .zip (or, in a notebook, a cell starting with the line "
                    f"'{ANSWERS_CELL}')")


def skill_of(question: Question) -> str:
    from autograder.questions.worked_bank import WORKED_BUILDERS

    return WORKED_SKILL if question.id in WORKED_BUILDERS else CONCEPT_SKILL


def _case(question: Question, mark: Mark, problem: str | None) -> CaseOutcome:
    message = f"{problem}; {mark.feedback}" if problem else mark.feedback
    return CaseOutcome(question.id, skill_of(question), mark.points, mark.status == "right",
                       message=message, earned=round(mark.score, 6))


def _kit_failure(assignment: Assignment, err: Exception) -> tuple[CaseOutcome, ...]:
    return (CaseOutcome(ANSWERS_NAME, CONCEPT_SKILL, assignment.questions_points, False, message=SHEET_GRADER_ERROR,
                        kind="grader", detail=f"question sheet: {err}"),)


def sheet_cases(assignment: Assignment, path: Path, student_id: str) -> tuple[CaseOutcome, ...]:
    """One case per question of ``student_id``'s sheet, graded from the submission at ``path``."""
    from autograder.questions.api import course_secret, grade_answers, load_config, points_mismatch, student_sheet

    try:
        config = load_config(assignment)
        mismatch = points_mismatch(assignment, config)
        if mismatch:
            raise ValueError(mismatch)
        questions = student_sheet(assignment, config, student_id, course_secret(config))
    except Exception as err:  # fail closed: the kit's failure, regraded, never a silent score
        return _kit_failure(assignment, err)
    try:
        data: bytes | dict[str, Any] = find_answers(assignment, path)
        marks, problem = grade_answers(questions, data)
    except (NoAnswers, OSError) as err:
        marks, problem = grade_answers(questions, {})[0], str(err)
    return tuple(_case(q, m, problem) for q, m in zip(questions, marks))


def without_student(assignment: Assignment, result: GradeResult, reason: str) -> GradeResult:
    """``result`` with the sheet's points as the kit's failure: the student, so their variant, is unknown."""
    if not has_sheet(assignment):
        return result
    return dataclasses.replace(result, tests=(*result.tests, *_kit_failure(assignment, ValueError(reason))),
                               max_score=round(result.max_score + assignment.questions_points, 6))


def with_sheet(assignment: Assignment, result: GradeResult, path: Path, student_id: str) -> GradeResult:
    """``result`` (the code's grade) with the question sheet's cases and points added, for an
    assignment that has a sheet; unchanged otherwise. The student's variant is ``student_id``'s."""
    if not has_sheet(assignment):
        return result
    cases = sheet_cases(assignment, Path(path), student_id)
    return dataclasses.replace(result, tests=(*result.tests, *cases),
                               max_score=round(result.max_score + assignment.questions_points, 6))
