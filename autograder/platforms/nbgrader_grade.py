"""``autograder nbgrader grade``: the kit's sandboxed scores in an nbgrader course's gradebook.

1. Every notebook in ``submitted/<student>/<id>/`` is graded by the kit
   (``grade_submission``: the notebook's code in the sandbox, the hidden suite
   in the grader), on this machine or any ``Executor`` (a Dask cluster).
2. nbgrader's own ``autograde`` converter then runs in the course folder
   (``autograder.platforms.nbgrader_autograde``) with the kernel replaced by
   those results: it creates the students and submissions, reads
   ``timestamp.txt``, restores the test cells from the gradebook, stores each
   skill's score as its test cell's ``auto_score`` (never touching a manual
   score or comment), applies the course's late-submission penalty against the
   due date, and writes ``autograded/``, so ``nbgrader export``,
   ``generate_feedback`` and formgrader see the kit's grades.

Each skill of the manifest is the test cell ``test_<skill>`` of the course
notebook (``autograder nbgrader init``), worth the skill's points; so are the
question sheet's ``questions`` and ``worked_numbers`` of an assignment that has
one, graded for the student of each ``submitted/<student>/`` folder. A sheet
holding another graded student's worked numbers gets the reason in its
result's ``needs_look`` and its ``test_worked_numbers`` cell flagged for review.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from autograder.assignment import Assignment
from autograder.grading.batch import Executor, local_executor
from autograder.grading.results import GradeResult, to_gradescope
from autograder.platforms.nbgrader_course import CONFIG_NAME, SUBMITTED_STEP, CourseError, nbgrader_environment

DEFAULT_TIMEOUT_S = 3600.0


@dataclass(frozen=True)
class StudentGrade:
    """One student's grade: the kit's result and what nbgrader's gradebook now says."""

    student: str
    kit: GradeResult | None
    nbgrader: dict[str, Any] = field(default_factory=dict)
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem and bool(self.nbgrader.get("ok")) and self.kit is not None and self.kit.graded

    @property
    def score(self) -> float | None:
        """nbgrader's score: the cells' scores (manual ones first) less the late penalty."""
        value = self.nbgrader.get("score")
        return None if value is None else float(value)

    @property
    def late_penalty(self) -> float:
        return float(self.nbgrader.get("late_penalty") or 0.0)


@dataclass(frozen=True)
class CourseGradeReport:
    assignment_id: str
    students: tuple[StudentGrade, ...]
    log: str = ""
    problem: str = ""

    @property
    def all_graded(self) -> bool:
        return not self.problem and all(s.ok for s in self.students)


def submitted_notebooks(course_root: Path, assignment: Assignment,
                        students: list[str] | None = None) -> tuple[dict[str, Path], dict[str, str]]:
    """``{student: submitted/<student>/<id>/<module>.ipynb}``, and the students that cannot be graded, why."""
    root = Path(course_root) / SUBMITTED_STEP
    found: dict[str, Path] = {}
    problems: dict[str, str] = {}
    folders = sorted(p.parent for p in root.glob(f"*/{assignment.id}") if p.is_dir()) if root.is_dir() else []
    if students:
        wanted = set(students)
        missing = sorted(wanted - {f.name for f in folders})
        problems.update({s: f"no folder {root / s / assignment.id}" for s in missing})
        folders = [f for f in folders if f.name in wanted]
    for folder in folders:
        student = folder.name
        notebook = folder / assignment.id / f"{assignment.module}.ipynb"
        if student.startswith(("-", ".")):
            problems[student] = "a student id may not start with '-' or '.'"
        elif not notebook.is_file():
            problems[student] = f"no {notebook.name} in {notebook.parent} (nbgrader grades it by that name)"
        else:
            found[student] = notebook
    return found, problems


def grade_course(course_root: Path, assignment: Assignment, *, students: list[str] | None = None,
                 jobs: int = 1, executor: Executor | None = None,
                 on_result: Callable[[GradeResult], None] | None = None,
                 env: dict[str, str] | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> CourseGradeReport:
    """Grade ``submitted/*/<id>/`` (or only ``students``) and write the scores into the gradebook."""
    course_root = Path(course_root).resolve()
    if not (course_root / CONFIG_NAME).is_file():
        raise CourseError(f"{course_root} has no {CONFIG_NAME}: not an nbgrader course folder "
                          "(`autograder nbgrader init` makes one)")
    todo, problems = submitted_notebooks(course_root, assignment, students)
    if not todo and not problems:
        raise CourseError(f"no submission of {assignment.id} in {course_root / SUBMITTED_STEP}")
    results: dict[str, GradeResult] = {}

    def record(student: str, result: GradeResult) -> None:
        results[student] = replace(result, student_id=student)
        if on_result is not None:
            on_result(results[student])

    if todo:
        (executor or local_executor(jobs))(assignment, dict(todo), record)
        results.update(_copied_sheets(assignment, todo, results))
    summary: dict[str, Any] = {"students": {}}
    log = ""
    if results:
        summary, log = _write_gradebook(course_root, assignment, results, env=env, timeout_s=timeout_s)
    grades = [StudentGrade(s, results.get(s), summary.get("students", {}).get(s, {}), problems.get(s, ""))
              for s in sorted({*results, *problems})]
    return CourseGradeReport(assignment.id, tuple(grades), log, summary.get("problem", ""))


def _copied_sheets(assignment: Assignment, notebooks: dict[str, Path],
                   results: dict[str, GradeResult]) -> dict[str, GradeResult]:
    """The results of the students whose question sheet holds another student's worked numbers (of
    those graded now), with the reason in ``needs_look``; nbgrader's autograde then flags their
    ``test_worked_numbers`` cell for review. The comparison never stops the grading."""
    from autograder.questions.copies import copied_sheets, copy_reason

    try:
        found = copied_sheets(assignment, notebooks)
    except Exception:  # the secret or the sheet failed: every sheet already says so, as the kit's failure
        return {}
    return {student: replace(results[student], needs_look=(*results[student].needs_look, copy_reason(other)))
            for student, other in found.items()
            if student in results and copy_reason(other) not in results[student].needs_look}


def _write_gradebook(course_root: Path, assignment: Assignment, results: dict[str, GradeResult], *,
                     env: dict[str, str] | None, timeout_s: float) -> tuple[dict[str, Any], str]:
    from autograder.platforms.nbgrader_autograde import ASSIGNMENT_ENV, RESULTS_ENV, SUMMARY_ENV

    with tempfile.TemporaryDirectory(prefix="autograder-nbgrader-") as scratch:
        results_file, summary_file = Path(scratch) / "results.json", Path(scratch) / "summary.json"
        results_file.write_text(json.dumps({s: to_gradescope(r) for s, r in results.items()}), encoding="utf-8")
        environment = nbgrader_environment(env)
        environment.update({ASSIGNMENT_ENV: str(assignment.root.resolve()), RESULTS_ENV: str(results_file),
                            SUMMARY_ENV: str(summary_file)})
        command = [sys.executable, "-P", "-m", "autograder.platforms.nbgrader_autograde", assignment.id,
                   *sorted(results)]  # -P: a folder of the course cannot shadow the kit
        done = subprocess.run(command, cwd=course_root, env=environment, capture_output=True, text=True,
                              timeout=timeout_s, stdin=subprocess.DEVNULL, check=False)
        log = done.stdout + done.stderr
        try:
            summary: dict[str, Any] = json.loads(summary_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            summary = {"problem": f"nbgrader stopped (exit code {done.returncode}) before it recorded "
                                  f"anything:\n{log[-4000:]}", "students": {}}
    for outcome in summary.get("students", {}).values():
        if not outcome.get("ok"):
            outcome.setdefault("error", "nbgrader failed")
    return summary, log
