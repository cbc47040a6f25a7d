"""``autograder questions grade`` and the question parts of ``release`` and ``validate``.

Thin: each helper calls one function of ``autograder.questions.api`` and prints
what it returns; a missing secret, a bad ``questions.toml`` or roster is one
``error:`` line and exit status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from autograder.assignment import Assignment


def _fail(message: str) -> None:
    from autograder.views import fail

    fail(message)


def students_of(roster: Path | None, student_ids: Sequence[str]) -> list[str]:
    """The students named by ``--roster`` and ``--student``, in order, each once."""
    from autograder.questions.api import read_roster
    from autograder.questions.config import QuestionsError

    try:
        listed = read_roster(roster) if roster is not None else []
    except QuestionsError as err:
        _fail(str(err))
    return list(dict.fromkeys([*listed, *student_ids]))


def preflight_sheets(assignment: Assignment) -> None:
    """Fail before anything is written when the sheets could not be: no ``questions.toml``, no secret."""
    from autograder.questions.api import course_secret, load_config
    from autograder.questions.config import QuestionsError
    from autograder.questions.variant import VariantError

    try:
        course_secret(load_config(assignment))
    except (QuestionsError, VariantError) as err:
        _fail(str(err))


def preflight_grading(assignment: Assignment) -> None:
    """Before ``grade`` (or nbgrader's, Gradescope's) starts: an assignment whose manifest counts a
    question sheet needs its ``questions.toml``, points that agree, and the course secret; an
    assignment with a ``questions.toml`` but no ``questions_points`` would leave the sheets ungraded."""
    from autograder.questions.api import course_secret, load_config, points_mismatch
    from autograder.questions.config import QuestionsError, questions_path
    from autograder.questions.graded import has_sheet
    from autograder.questions.variant import VariantError

    if not has_sheet(assignment):
        if questions_path(assignment.root).is_file():
            _fail(f"{assignment.id} has a question sheet ({questions_path(assignment.root).name}) but its manifest "
                  "gives no questions_points: add questions_points (the sum of its questions' points) to "
                  "manifest.toml so grade counts the sheet")
        return
    try:
        config = load_config(assignment)
        mismatch = points_mismatch(assignment, config)
        if mismatch:
            _fail(mismatch)
        course_secret(config)
    except (QuestionsError, VariantError) as err:
        _fail(str(err))


def release_student_sheets(assignment: Assignment, out_dir: Path, students: Sequence[str]) -> None:
    """Write each student's sheet and say where."""
    from autograder.questions.api import release_sheets
    from autograder.questions.config import QuestionsError
    from autograder.questions.variant import VariantError

    try:
        root = release_sheets(assignment, out_dir, students)
    except (QuestionsError, VariantError) as err:
        _fail(str(err))
    click.echo(f"wrote {len(students)} question sheet(s) to {root}/<student>/ (questions.md, answers.toml, sheet.json)")


def validate_sheet(assignment: Assignment, *, as_json: bool = False) -> bool:
    """``validate_questions`` of an assignment with a ``questions.toml``; True when there is none.
    Printed on stderr under ``--json``, so stdout stays one JSON document."""
    from autograder.questions.api import validate_questions
    from autograder.questions.config import questions_path

    if not questions_path(assignment.root).is_file():
        return True
    check = validate_questions(assignment)
    out = sys.stderr if as_json else sys.stdout
    print(f"questions: {check.questions} questions over {check.variants} sample variants; another variant's "
          f"worked numbers score at most {check.copy_share_max:.0%} of that part", file=out)
    for problem in check.problems:
        print(f"questions: {problem}", file=out)
    return not check.problems


FORM_MARKS = {"answered": "✓", "blank": "·", "fix": "✗", "unknown": "✗"}


def check_answers_file(path: Path) -> int:
    """``autograder check answers.toml``: each question answered, blank or to fix; the exit status
    (1 while a line needs fixing). Never says whether an answer is right."""
    from autograder.escaping import terminal_plain
    from autograder.questions.form import AnswersError, SheetFileError, check_form, read_public_sheet

    if not path.is_file():
        _fail(f"{path} does not exist or is not a file")
    try:
        sheet = read_public_sheet(path)
        lines = check_form(sheet, path.read_bytes())
    except SheetFileError as err:
        _fail(str(err))
    except AnswersError as err:
        click.echo(terminal_plain(f"✗ {path.name}: {err}; fix it and check again", one_line=True))
        return 1
    counts = {state: sum(line.state == state for line in lines) for state in FORM_MARKS}
    click.echo(terminal_plain(f"{path.name} for {sheet.student_id} ({sheet.assignment_id}): {len(sheet.questions)} "
                              f"questions, {counts['answered']} answered, {counts['blank']} blank, "
                              f"{counts['fix'] + counts['unknown']} to fix", one_line=True))
    for line in lines:
        click.echo(terminal_plain(f"  {FORM_MARKS[line.state]} {line.id}: {line.says}", one_line=True))
    click.echo("Only the form is checked here: whether an answer is right is graded after you hand it in.")
    return 1 if counts["fix"] or counts["unknown"] else 0


@click.group()
def questions() -> None:
    """Question sheets (an assignment's questions.toml): grade each student's answers.toml."""


@questions.command("grade")
@click.option("--assignment", "assignment_id", required=True, metavar="ID",
              help="assignment id: a folder of the course holding questions.toml")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="folder to write OUT/<student>/questions.json, questions.md and OUT/questions.csv into")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="CSV of student ids: flags a sheet that holds another rostered student's worked numbers")
@click.argument("submissions", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def grade(assignment_id: str, out_dir: Path, roster: Path | None, submissions: tuple[Path, ...]) -> None:
    """Grade SUBMISSIONS: a student's folder holding answers.toml, or a <student>.toml file, each
    against the student's own variant (the course secret from the variable questions.toml names)."""
    from autograder.cli_common import load_assignment
    from autograder.questions.api import grade_sheets
    from autograder.questions.config import QuestionsError
    from autograder.questions.variant import VariantError

    assignment = load_assignment(assignment_id)
    try:
        results = grade_sheets(assignment, out_dir, submissions, students_of(roster, ()))
    except (QuestionsError, VariantError) as err:
        _fail(str(err))
    for r in results:
        note = f" (needs a look: worked numbers of {r.copied_from}'s variant)" if r.copied_from else ""
        note += f" ({r.problem})" if r.problem else ""
        click.echo(f"{r.student_id}: {r.score:.4g} / {sum(m.points for m in r.marks):g}{note}")
