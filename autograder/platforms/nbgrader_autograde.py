"""nbgrader's own ``autograde``, with the kernel replaced by the kit's sandboxed results.

``autograder nbgrader grade`` grades the notebooks in the kit's sandbox first,
then runs this module in the course folder, as nbgrader's CLI would run::

    python -m autograder.platforms.nbgrader_autograde ASSIGNMENT STUDENT [STUDENT ...]

with ``AUTOGRADER_NBGRADER_ASSIGNMENT`` naming the kit's assignment folder,
``AUTOGRADER_NBGRADER_RESULTS`` a JSON file of the kit's results
(``{student: results.json document}``) and ``AUTOGRADER_NBGRADER_SUMMARY`` the
file to write what happened to. ``KitAutogradeApp`` is nbgrader's
``AutogradeApp`` (it reads the course's ``nbgrader_config.py`` the same way) and
runs nbgrader's ``Autograde`` converter per student, with one change: its
``Execute`` preprocessor (which runs the notebook in a kernel) is replaced by
``KitResults``, which writes each skill's score into the output of that skill's
test cell. Everything else is nbgrader's:

* ``init_assignment`` creates the student and the submission, reads
  ``timestamp.txt`` and copies the source files;
* the sanitize step restores the test cells and locked cells from the gradebook;
* ``SaveAutoGrades`` reads each test cell's output as ``autograde`` always does
  (an error: 0; a number: partial credit; else full marks), stores it as the
  cell's ``auto_score`` and never touches a ``manual_score`` (a cell that has one
  is flagged for review instead);
* ``AssignLatePenalties`` applies the course's late-submission plugin against
  the assignment's due date (and any extension);
* the graded notebook goes to ``autograded/``, where ``generate_feedback`` finds it.

A submission the kit could not grade (``error_kind: grader``) gets no automatic
score: its test cells are left for manual grading (``auto_score`` None,
``needs_manual_grade``), never a silent 0.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbformat.v4 import new_notebook as _new_notebook
from nbformat.v4 import new_output as _new_output
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps.autogradeapp import AutogradeApp
from nbgrader.converters import Autograde, GenerateAssignment
from nbgrader.preprocessors import AssignLatePenalties, Execute, NbGraderPreprocessor

from autograder.assignment import Assignment, load_manifest
from autograder.grading.results import GRADER_ERROR, SEPARATE_SKILLS, GradeResult, from_gradescope, skill_cases
from autograder.platforms.kernel import skill_lines
from autograder.platforms.nbgrader_source import grade_cell_skills, skill_of_grade_id

ASSIGNMENT_ENV = "AUTOGRADER_NBGRADER_ASSIGNMENT"
"""The kit's assignment folder (``<course>/<id>``), as the parent process found it."""
RESULTS_ENV = "AUTOGRADER_NBGRADER_RESULTS"
SUMMARY_ENV = "AUTOGRADER_NBGRADER_SUMMARY"
NOT_GRADED_BY_KIT = "not graded: the kit could not grade this submission; a grader will look at it"


def new_output(output_type: str, **fields: Any) -> NotebookNode:
    """nbformat's ``new_output``, typed."""
    output: NotebookNode = _new_output(output_type, **fields)  # type: ignore[no-untyped-call]
    return output


def _error(ename: str, lines: list[str]) -> NotebookNode:
    return new_output("error", ename=ename, evalue="\n".join(lines), traceback=lines)


def _stream(lines: list[str]) -> NotebookNode:
    return new_output("stream", name="stdout", text="\n".join(lines) + "\n")


def cell_outputs(assignment: Assignment, result: GradeResult, skill: str, points: float) -> list[NotebookNode]:
    """What the test cell of ``skill`` shows after grading, read by nbgrader's ``determine_grade``.

    Full marks: the ``✓`` line. Some points: the ``check`` lines and the points
    (scaled to the cell's ``points``) as the cell's value, nbgrader's partial
    credit. None: an error holding the lines, nbgrader's 0.
    """
    if result.error_kind == "grader" or not result.graded:
        return [_error("NotGraded", [NOT_GRADED_BY_KIT])]
    if result.error and skill not in SEPARATE_SKILLS:  # the question sheet is graded apart from the code
        return [_error("SubmissionError", [f"✗ {skill}: {result.error}"])]
    cases = skill_cases(result.tests).get(skill, [])
    if not cases:
        return [_error("NotGraded", [NOT_GRADED_BY_KIT])]
    lines = skill_lines(skill, cases)
    earned, possible = sum(t.earned for t in cases), sum(t.max_score for t in cases)
    if possible <= 0 or earned >= possible - 1e-9:
        return [_stream(lines[:1])]
    if earned <= 1e-9:
        return [_error("ChecksFailed", lines)]
    scaled = earned / possible * points
    value = new_output("execute_result", data={"text/plain": repr(scaled)}, execution_count=None)
    return [_stream(lines), value]


class KitResults(NbGraderPreprocessor):
    """Stands where nbgrader's ``Execute`` stands: the kit's results become the test cells' outputs."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        student = resources["nbgrader"]["student"]
        assignment = kit_assignment()
        results = _load_results()
        if student not in results:
            raise RuntimeError(f"the kit has no result for student {student!r}")
        result = results[student]
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            skill = skill_of_grade_id(assignment, str(meta.get("grade_id", "")))
            points = float(meta.get("points", 0.0))
            cell.outputs = (cell_outputs(assignment, result, skill, points) if skill is not None
                            else [_error("NotGraded", [f"cell {meta.get('grade_id')!r} is not a skill "
                                                       f"of {assignment.id}; grade it by hand"])])
        return nb, resources


_RESULTS: dict[str, GradeResult] | None = None


def kit_assignment() -> Assignment:
    """The kit's assignment the parent process graded (``AUTOGRADER_NBGRADER_ASSIGNMENT``)."""
    return load_manifest(Path(os.environ[ASSIGNMENT_ENV]))


def _load_results() -> dict[str, GradeResult]:
    global _RESULTS
    if _RESULTS is None:
        raw = json.loads(Path(os.environ[RESULTS_ENV]).read_text(encoding="utf-8"))
        _RESULTS = {student: from_gradescope(document) for student, document in raw.items()}
    return _RESULTS


def check_gradebook(gb: Gradebook, assignment: Assignment) -> str:
    """An empty string when the gradebook holds ``assignment`` as ``init`` laid it out, else why not."""
    try:
        record = gb.find_assignment(assignment.id)
    except MissingEntry:
        return "missing"
    names = [n.name for n in record.notebooks]
    if assignment.module not in names:
        return f"the gradebook's {assignment.id} has notebooks {names}, not {assignment.module}"
    notebook = gb.find_notebook(assignment.module, assignment.id)
    cells = {cell.name: cell for cell in notebook.grade_cells}
    strangers = sorted(n for n in cells if skill_of_grade_id(assignment, n) is None)
    missing = sorted(s for s in grade_cell_skills(assignment) if f"test_{s}" not in cells)
    if strangers or missing:
        return (f"the gradebook's notebook {assignment.module} is not the kit's course notebook "
                f"(grade cells that are no skill: {strangers}; skills without a cell: {missing}); run "
                f"`autograder nbgrader init --force` and `nbgrader generate_assignment {assignment.id} --force`")
    return ""


class KitAutogradeApp(AutogradeApp):
    """``nbgrader autograde`` for the students named, with the kit's results instead of a kernel."""

    name = "autograder-nbgrader-grade"
    description = "Write the kit's sandboxed scores into the course gradebook through nbgrader's autograde"

    def start(self) -> None:
        super(AutogradeApp, self).start()  # NbGrader.start: the base checks only
        if len(self.extra_args) < 2:
            self.fail("usage: python -m autograder.platforms.nbgrader_autograde ASSIGNMENT STUDENT [STUDENT ...]")
        assignment_id, students = self.extra_args[0], self.extra_args[1:]
        self.coursedir.assignment_id = assignment_id
        assignment = kit_assignment()
        if assignment.id != assignment_id:
            self.fail(f"{ASSIGNMENT_ENV} names {assignment.id}, not {assignment_id}")
        summary: dict[str, Any] = {"problem": "", "students": {}}
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            problem = check_gradebook(gb, assignment)
        if problem == "missing":
            self.log.info("%s is not in the gradebook yet: running generate_assignment", assignment_id)
            GenerateAssignment(coursedir=self.coursedir, parent=self).start()
            with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
                problem = check_gradebook(gb, assignment)
            if problem == "missing":
                problem = (f"{assignment_id} is not in the gradebook; run `nbgrader generate_assignment "
                           f"{assignment_id} --force` in {self.coursedir.root}")
        if problem:
            summary["problem"] = problem
            _write_summary(summary)
            self.fail(problem)
        results = _load_results()
        for student in students:
            summary["students"][student] = self._grade(assignment, student, results[student])
        _write_summary(summary)

    def _grade(self, assignment: Assignment, student: str, result: GradeResult) -> dict[str, Any]:
        self.coursedir.student_id = student
        converter = Autograde(coursedir=self.coursedir, parent=self)
        converter.force = True
        converter.create_student = True
        steps = list(converter.autograde_preprocessors)
        converter.autograde_preprocessors = ([KitResults if step is Execute else step for step in steps]
                                             if Execute in steps else [KitResults, *steps])
        errors = _ErrorRecords()
        self.log.addHandler(errors)  # nbgrader logs the real error and raises only "see the above traceback"
        try:
            converter.start()
        except BaseException as err:  # noqa: BLE001 (one student's failure is reported, the rest go on)
            rejected = errors.text() or f"{type(err).__name__}: {err}"
            return self._rejected(assignment, student, result, rejected)
        finally:
            self.log.removeHandler(errors)
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            if not result.graded:
                submitted = gb.find_submission_notebook(assignment.module, assignment.id, student)
                for grade in submitted.grades:
                    if skill_of_grade_id(assignment, grade.name) is not None:
                        grade.auto_score = None
                        grade.needs_manual_grade = True
                gb.db.commit()
            filled = _fill_missing_cells(gb, assignment, student, result) if result.graded else []
        if filled:  # the notebook lost test cells: their grades would be nbgrader's 0, not the kit's
            self._late_penalty(assignment, student)
        copied = _flag_copied_sheet(self.coursedir, assignment, student, result)
        outcome = self._outcome(assignment, student, result)
        if filled:
            outcome["notes"] = [f"test cells missing from the notebook ({', '.join(filled)}): the kit's scores "
                                "written to them, flagged for review"]
        if copied:
            outcome.setdefault("notes", []).append(f"{copied}: its {WORKED_CELL} cell flagged for review")
        return outcome

    def _outcome(self, assignment: Assignment, student: str, result: GradeResult) -> dict[str, Any]:
        """What the gradebook now says of ``student``'s submission."""
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            submission = gb.find_submission(assignment.id, student)
            manual = [g.name for g in gb.find_submission_notebook(assignment.module, assignment.id, student).grades
                      if g.manual_score is not None]
            return {"ok": True, "score": submission.score, "max_score": submission.max_score,
                    "late_penalty": submission.late_submission_penalty,
                    "seconds_late": submission.total_seconds_late,
                    "timestamp": submission.timestamp.isoformat() if submission.timestamp else None,
                    "manual": manual, "needs_manual_grade": submission.needs_manual_grade,
                    "kit_failed": not result.graded, "detail": result.detail if not result.graded else "",
                    "error": GRADER_ERROR if not result.graded else ""}

    def _rejected(self, assignment: Assignment, student: str, result: GradeResult, rejected: str) -> dict[str, Any]:
        """nbgrader's autograde refused the notebook (duplicate or renamed cells, broken metadata): the
        kit's scores go into the gradebook through its API, flagged for review, so that nbgrader never
        shows a 0 the student did not get. Without a kit score, the row is left ungraded, and says why."""
        if not result.graded:
            return {"ok": False, "rejected": rejected,
                    "error": f"nbgrader rejected the notebook and the kit could not grade it: {_last_line(rejected)}"}
        try:
            with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
                _record_kit_scores(gb, assignment, student, result, self._timestamp(assignment, student))
            self._late_penalty(assignment, student)
            copied = _flag_copied_sheet(self.coursedir, assignment, student, result)
            outcome = self._outcome(assignment, student, result)
        except Exception as err:  # noqa: BLE001 (reported; the row stays as nbgrader left it)
            return {"ok": False, "rejected": rejected,
                    "error": f"nbgrader rejected the notebook ({_last_line(rejected)}) and the kit's scores "
                             f"could not be written either: {type(err).__name__}: {err}"}
        outcome["rejected"] = rejected
        outcome["notes"] = [f"nbgrader rejected the notebook ({_last_line(rejected)}): the kit's scores written "
                            "through the gradebook, flagged for review; no autograded/ copy, so no feedback file"]
        if copied:
            outcome["notes"].append(copied)
        return outcome

    def _timestamp(self, assignment: Assignment, student: str) -> datetime | None:
        """``submitted/<student>/<id>/timestamp.txt`` as nbgrader reads it, or None."""
        from nbgrader.utils import parse_utc

        path = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student, assignment.id))
        try:
            text = (path / "timestamp.txt").read_text(encoding="utf-8").strip()
        except OSError:
            return None
        timestamp: datetime = parse_utc(text)
        return timestamp

    def _late_penalty(self, assignment: Assignment, student: str) -> None:
        """nbgrader's own late-penalty step (the course's plugin), run on the gradebook alone."""
        resources = ResourcesDict()
        resources["nbgrader"] = {"notebook": assignment.module, "assignment": assignment.id, "student": student,
                                 "db_url": self.coursedir.db_url}
        empty: NotebookNode = _new_notebook()  # type: ignore[no-untyped-call]
        AssignLatePenalties(parent=self).preprocess(empty, resources)


class _ErrorRecords(logging.Handler):
    """The ERROR records logged while one student is autograded, tracebacks whole."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())

    def text(self) -> str:
        """Every message, a traceback cut to its exception (the frames are nbgrader's, not the student's)."""
        return "\n".join(_without_frames(r).strip() for r in self.records if r.strip())


def _without_frames(message: str) -> str:
    """A traceback's exception lines (after its last indented frame line); any other message whole."""
    lines = message.rstrip().splitlines()
    if not lines or not lines[0].startswith("Traceback"):
        return message
    frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
    end = frames[-1] + 1 if frames else 1
    while end < len(lines) and lines[end].startswith("    "):  # the frame's code line and its ^^^ marks
        end += 1
    return "\n".join(lines[end:]) or message


def _last_line(text: str) -> str:
    """The first line of what went wrong (``text`` holds no traceback frames, ``_without_frames``)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "no error was logged"


def kit_points(result: GradeResult, skill: str, points: float) -> float:
    """The kit's score of ``skill`` scaled to a cell worth ``points`` (0 when the skill has no cases)."""
    cases = skill_cases(result.tests).get(skill, [])
    possible = sum(t.max_score for t in cases)
    return 0.0 if possible <= 0 else min(points, sum(t.earned for t in cases) / possible * points)


def _record_kit_scores(gb: Gradebook, assignment: Assignment, student: str, result: GradeResult,
                       timestamp: datetime | None) -> None:
    """The submission (made if nbgrader did not get that far) and each skill cell's ``auto_score`` the
    kit's, every one flagged for review; a manual score already entered is kept, as nbgrader keeps it."""
    gb.update_or_create_student(student)
    gb.update_or_create_submission(assignment.id, student, timestamp=timestamp)
    submitted = gb.find_submission_notebook(assignment.module, assignment.id, student)
    for grade in submitted.grades:
        skill = skill_of_grade_id(assignment, grade.name)
        if skill is not None:
            grade.auto_score = kit_points(result, skill, float(grade.max_score))
            grade.needs_manual_grade = True
    gb.db.commit()


def _fill_missing_cells(gb: Gradebook, assignment: Assignment, student: str, result: GradeResult) -> list[str]:
    """Skill cells nbgrader left without a score (the student deleted or renamed them): the kit's score,
    flagged for review. Returns their names."""
    submitted = gb.find_submission_notebook(assignment.module, assignment.id, student)
    filled = []
    for grade in submitted.grades:
        skill = skill_of_grade_id(assignment, grade.name)
        if skill is not None and grade.auto_score is None and grade.manual_score is None:
            grade.auto_score = kit_points(result, skill, float(grade.max_score))
            grade.needs_manual_grade = True
            filled.append(grade.name)
    gb.db.commit()
    return filled


WORKED_CELL = "test_worked_numbers"
COPY_PREFIX = "question sheet: its worked numbers are those of "
"""How ``autograder.questions.copies.copy_reason`` starts: a sheet holding another student's numbers."""


def _flag_copied_sheet(coursedir: Any, assignment: Assignment, student: str, result: GradeResult) -> str:
    """A sheet the kit found copied (``needs_look``): the worked numbers' cell flagged for review in the
    gradebook (formgrader lists it under "needs manual grade"); its score stays the kit's. The reason, or ""."""
    reasons = [r for r in result.needs_look if r.startswith(COPY_PREFIX)]
    if not reasons:
        return ""
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        for grade in gb.find_submission_notebook(assignment.module, assignment.id, student).grades:
            if grade.name == WORKED_CELL:
                grade.needs_manual_grade = True
        gb.db.commit()
    return reasons[0]


def _write_summary(summary: dict[str, Any]) -> None:
    target = os.environ.get(SUMMARY_ENV)
    if target:
        Path(target).write_text(json.dumps(summary, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    KitAutogradeApp.launch_instance(argv=sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
