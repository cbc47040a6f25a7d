"""Grade one submission: a pure function of the assignment and the submission.

``grade_submission`` reads the submission, starts its sandboxed worker, runs
the hidden suite in this process against a proxy, and returns a
``GradeResult`` of plain data. It never raises for anything a submission
does, and never touches the output folder, so any executor (a local process
pool, a Dask worker, a Gradescope container) can run it.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from pathlib import Path

from autograder.assignment import Assignment
from autograder.fingerprint import content_sha256
from autograder.grading.budget import time_budget_s
from autograder.grading.credit import CreditError, price
from autograder.grading.diagnose import CaseDiagnosis, Diagnoser
from autograder.grading.forked import run_in_fork
from autograder.grading.outcomes import SuiteRun
from autograder.grading.results import GRADER_ERROR, ErrorKind, GradeResult
from autograder.grading.run import run_suite
from autograder.grading.student import open_session
from autograder.grading.warm import forking_enabled, warm_up
from autograder.sandbox import SandboxSession
from autograder.sandbox.loading import in_running_order
from autograder.submission import Submission, SubmissionError, load_submission, student_id_of


def _failed_result(assignment: Assignment, student_id: str, started: float, *, error: str,
                   kind: ErrorKind, sandbox: str = "none", warnings: tuple[str, ...] = (),
                   detail: str = "") -> GradeResult:
    return GradeResult(student_id=student_id, assignment_id=assignment.id, tests=(),
                       max_score=assignment.total_points, execution_time=time.monotonic() - started,
                       sandbox=sandbox, error=error, error_kind=kind, warnings=warnings, detail=detail)


def grade_loaded(assignment: Assignment, submission: Submission, *, suite: Path | None = None,
                 started: float | None = None, sandbox: SandboxSession | None = None) -> GradeResult:
    """Grade an already-read submission against ``suite`` (default: the hidden suite), in
    ``sandbox`` when the caller has already spawned it (``autograder.grading.student.sandbox_session``)."""
    started = time.monotonic() if started is None else started
    with open_session(submission, assignment.limits, time_budget_s(assignment), session=sandbox) as session:
        if session.load_error:
            return _failed_result(assignment, submission.student_id, started,
                                  error=session.load_error, kind="submission",
                                  sandbox=session.sandbox, warnings=submission.warnings)
        warnings = in_running_order((*submission.warnings, *session.load_warnings))
        if _own_suite(assignment, suite) and not any(session.session.has(n) for n in assignment.functions):
            return _failed_result(assignment, submission.student_id, started, kind="submission",
                                  error=_defines_none(assignment, submission), sandbox=session.sandbox,
                                  warnings=warnings)
        diagnosis = CaseDiagnosis(session.log, diagnoser_for(assignment))
        run = _priced(run_suite(suite or assignment.hidden_tests, session.factory, diagnosis=diagnosis),
                      assignment)
        output = session.captured_output()
    return GradeResult(student_id=submission.student_id, assignment_id=assignment.id,
                       tests=run.outcomes, max_score=_max_score(assignment, run, suite),
                       execution_time=time.monotonic() - started, sandbox=session.sandbox,
                       error=GRADER_ERROR if run.errors else "",
                       error_kind="grader" if run.errors else "",
                       warnings=warnings, student_output=output,
                       detail="; ".join(run.errors))


def _own_suite(assignment: Assignment, suite: Path | None) -> bool:
    """Whether ``suite`` is one of the assignment's own (hidden or public), which test its functions."""
    return suite is None or suite in (assignment.hidden_tests, assignment.public_tests)


def _defines_none(assignment: Assignment, submission: Submission) -> str:
    """Why a submission without any of the assignment's functions scores 0, in one line."""
    names = ", ".join(assignment.functions[:4]) + (", ..." if len(assignment.functions) > 4 else "")
    return (f"{submission.filename} defines none of the functions {assignment.id} grades ({names}); "
            f"check that you submitted your {assignment.module} work")


@functools.lru_cache(maxsize=8)
def diagnoser_for(assignment: Assignment) -> Diagnoser:
    """One per assignment and process: the chaffs are compiled once, on first use."""
    return Diagnoser.for_assignment(assignment)


def _priced(run: SuiteRun, assignment: Assignment) -> SuiteRun:
    """The run with every case's points set by the assignment's credit model."""
    if run.errors:
        return run
    try:
        return SuiteRun(price(run.outcomes, assignment.credit))
    except CreditError as err:
        return SuiteRun(run.outcomes, (str(err),))


def _max_score(assignment: Assignment, run: SuiteRun, suite: Path | None) -> float:
    if suite is None or suite == assignment.hidden_tests:
        return assignment.total_points
    return round(sum(t.max_score for t in run.outcomes), 6)


def grade_submission(assignment: Assignment, path: Path, *, suite: Path | None = None) -> GradeResult:
    """Grade the submission at ``path``; every failure becomes a score of 0 with a reason.

    The result records the sha256 of the submission's content, taken before it is read: if the
    file changes meanwhile, the recorded hash is the older one and ``--resume`` grades it again."""
    digest = content_sha256(Path(path))
    return dataclasses.replace(_graded_here_or_in_fork(assignment, Path(path), suite), submission_sha256=digest)


FORK_MARGIN_S = 60.0
"""What a forked grading may take beyond the submission's budget and load time (the suite's own work)."""


def _graded_here_or_in_fork(assignment: Assignment, path: Path, suite: Path | None) -> GradeResult:
    """Graded in a fork of this warm process when it grades many (``autograder.grading.warm``), else here."""
    if not forking_enabled():
        return _grade_path(assignment, path, suite)
    started = time.monotonic()
    try:
        warm_up(assignment, suite or assignment.hidden_tests)
        timeout = time_budget_s(assignment) + assignment.limits.import_timeout_s + FORK_MARGIN_S
        return run_in_fork(lambda: _grade_path(assignment, path, suite), timeout_s=timeout)
    except Exception as err:  # fail closed: the kit's failure is this student's 0 with a reason
        return _failed_result(assignment, student_id_of(path), started, error=GRADER_ERROR, kind="grader",
                              detail=f"{type(err).__name__}: {err}")


def _grade_path(assignment: Assignment, path: Path, suite: Path | None) -> GradeResult:
    started = time.monotonic()
    try:
        submission = load_submission(path, preferred=assignment.module)
    except SubmissionError as err:
        return _failed_result(assignment, student_id_of(Path(path)), started,
                              error=str(err), kind="submission")
    except Exception as err:  # fail closed: a reader the kit did not foresee failing is its own bug
        return _failed_result(assignment, student_id_of(Path(path)), started, error=GRADER_ERROR,
                              kind="grader", detail=f"reading {Path(path).name}: {type(err).__name__}: {err}")
    try:
        return grade_loaded(assignment, submission, suite=suite, started=started)
    except Exception as err:  # fail closed: a kit failure is a 0 with a reason, never a crash
        return _failed_result(assignment, submission.student_id, started, error=GRADER_ERROR,
                              kind="grader", detail=f"{type(err).__name__}: {err}")
