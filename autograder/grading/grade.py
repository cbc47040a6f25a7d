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
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.assignment import Assignment
from autograder.derivation_cache import DERIVATIONS  # noqa: F401 - remembers the reference's derivations
from autograder.fingerprint import content_sha256
from autograder.grading import same_stub
from autograder.grading.budget import time_budget_s
from autograder.grading.credit import CreditError, price
from autograder.grading.diagnose import CaseDiagnosis, Diagnoser, LoggedCall
from autograder.grading.forked import in_fork_child, run_in_fork
from autograder.grading.needs_look import describe_seen, graded_reasons
from autograder.grading.outcomes import CaseOutcome, SuiteRun
from autograder.grading.plan_cache import load_plan, save_plan
from autograder.grading.results import GRADER_ERROR, ErrorKind, GradeResult
from autograder.grading.student import GradingSession, open_session
from autograder.grading.warm import (
    PassingRun,
    forking_enabled,
    keep_passing_run,
    learn,
    lessons_of_fork,
    note_fork,
    offer_plan,
    passing_run_for,
    plan_for,
    warm_up,
    while_forked,
)
from autograder.sandbox import SandboxSession
from autograder.sandbox.bwrap import presumed_kind
from autograder.sandbox.fallback import exposed_to_fallback
from autograder.sandbox.isolation import own_machine_requested
from autograder.sandbox.loading import in_running_order
from autograder.submission import Submission, SubmissionError, load_submission, student_id_of

if TYPE_CHECKING:
    from autograder.grading.run import CaseBegins
    from autograder.sandbox.session import CallPlan


def _failed_result(assignment: Assignment, student_id: str, started: float, *, error: str,
                   kind: ErrorKind, sandbox: str = "none", warnings: tuple[str, ...] = (),
                   detail: str = "") -> GradeResult:
    return GradeResult(student_id=student_id, assignment_id=assignment.id, tests=(),
                       max_score=assignment.total_points, execution_time=time.monotonic() - started,
                       sandbox=sandbox, error=error, error_kind=kind, warnings=warnings, detail=detail)


GRADING = threading.RLock()
"""One grading at a time in a process, whichever thread asks (a Dask worker runs one task per thread).

The trusted side keeps per-process state while it grades: pytest imports the suite's modules and
purges them after, output is redirected, the fork server serves one worker at a time. Two gradings
interleaved in one process would read each other's state and give silently wrong scores, so every
entry point (``grade_submission``, ``grade_loaded``) holds this lock for the whole grading. It is
re-entrant so that ``grade_submission`` may call ``grade_loaded``."""


def grade_loaded(assignment: Assignment, submission: Submission, *, suite: Path | None = None,
                 started: float | None = None, sandbox: SandboxSession | None = None,
                 compared: bool = True) -> GradeResult:
    """Grade an already-read submission against ``suite`` (default: the hidden suite), in
    ``sandbox`` when the caller has already spawned it (``autograder.grading.student.sandbox_session``):
    pytest then configures itself and collects the suite while the worker loads the submission.
    Not ``compared``: the suite runs even when a passing run is known (a run that must derive the
    reference's values, ``warm``)."""
    with GRADING:
        return _whole(_grade_loaded(assignment, submission, suite=suite, started=started, sandbox=sandbox,
                                    compared=compared))


def _whole(result: GradeResult | None) -> GradeResult:
    """The result of a grading not asked to stop short of the suite (``compared_only``)."""
    if result is None:
        raise TypeError("a grading stopped short of its suite unasked")
    return result


def _grade_loaded(assignment: Assignment, submission: Submission, *, suite: Path | None,
                  started: float | None, sandbox: SandboxSession | None, compared: bool = True,
                  compared_only: bool = False) -> GradeResult | None:
    """The submission's result; with ``compared_only``, None where the suite would have to run (the
    submission loaded and does not answer every call as the known passing run did)."""
    started = time.monotonic() if started is None else started
    exposed = _secrets_exposed(assignment, suite, "none" if own_machine_requested() else presumed_kind())
    if exposed:
        return _failed_result(assignment, submission.student_id, started, error=GRADER_ERROR, kind="grader",
                              sandbox="fallback", detail=exposed)
    with open_session(submission, assignment.limits, time_budget_s(assignment), session=sandbox,
                      wait=sandbox is None) as session:
        suite_path = suite or assignment.hidden_tests
        known = passing_run_for(assignment, suite_path) if sandbox is None and compared else None
        graded = _as_known(assignment, submission, session, suite, started, known) if known is not None else None
        if graded is None and compared_only:
            return None
        if known is None:
            session.log.keep_cases()  # for a run that passes every case (``_keep_passing``)
        plan = None
        if graded is None:
            plan = plan_for(suite_path) if in_fork_child() else load_plan(suite_path)
            if plan is not None and known is None:
                session.session.follow(plan)
            if sandbox is None:
                graded = _run_after_loading(assignment, submission, session, suite, started, known)
            else:
                graded = _run_while_loading(assignment, submission, session, suite, started)
        if isinstance(graded, GradeResult):
            return graded
        run = _priced_as_known(graded, assignment, known)
        if known is None and _passed_alone(graded):
            _keep_passing(assignment, suite_path, session, graded, run, without_plan=plan is None,
                          with_run=sandbox is None)
        warnings = _warnings(submission, session)
        output = session.captured_output()
        seen = describe_seen(*session.session.seen)
    return GradeResult(student_id=submission.student_id, assignment_id=assignment.id,
                       tests=run.outcomes, max_score=_max_score(assignment, run, suite),
                       execution_time=time.monotonic() - started, sandbox=session.sandbox,
                       error=GRADER_ERROR if run.errors else "",
                       error_kind="grader" if run.errors else "",
                       warnings=warnings, student_output=output,
                       detail="; ".join(run.errors), needs_look=(seen,) if seen else ())


KNOWN_COMPARISON_S = 2.0
"""At most how long a submission's answers are compared with a known passing run's
(``_as_known``); the time it took is given back to the submission's budget when they differ."""


def _as_known(assignment: Assignment, submission: Submission, session: GradingSession, suite: Path | None,
              started: float, known: PassingRun) -> GradeResult | SuiteRun | None:
    """The result of a submission the suite does not run on; else the known run's outcomes when
    the submission answers every call of it as it did (``SandboxSession.answers_as_recorded``); else
    None, the session then taking the answers read for the calls asked that they answer, and the
    cases all of whose calls were answered as recorded then known (``PassingRun.outcomes_of``)."""
    refused = _refusal(assignment, submission, session, suite, started)
    if refused is not None:
        return refused
    began = time.monotonic()
    if session.session.answers_as_recorded(known.transcript, KNOWN_COMPARISON_S):
        return known.run
    session.proxy.extend_deadline(time.monotonic() - began)
    return None


def _keep_passing(assignment: Assignment, suite: Path, session: GradingSession, run: SuiteRun, priced: SuiteRun,
                  *, without_plan: bool, with_run: bool) -> None:
    """After a run that passed every case: its calls, for later runs to send ahead (``_keep_plan``),
    when it had no plan; ``with_run``, the run with its transcript, for later gradings (of this
    process, of its parent, of later processes) to take when their submissions answer as it did
    (``warm.keep_passing_run``). A check's session, started before the grading code, never takes
    one: ``check`` keeps none (looking one up on disk and writing it would cost it 0.05 s)."""
    if without_plan:
        _keep_plan(suite, session.session.recorded_plan())
    if with_run and passing_run_for(assignment, suite) is None:
        transcript = session.session.recorded_transcript()
        if transcript is not None:
            history = {case: tuple(calls) for case, calls in (session.log.cases or {}).items()}
            keep_passing_run(assignment, suite, PassingRun(transcript, run, history, priced))


def _keep_plan(suite: Path, plan: CallPlan | None) -> None:
    """The calls of a run that passed every case: a fork hands them to its warm parent (``offer_plan``),
    which keeps them for its later forks and on disk; graded here, they go on disk (``plan_cache``)."""
    if in_fork_child():
        offer_plan(suite, plan)
    elif plan is not None:
        save_plan(suite, plan)


def _passed_alone(run: SuiteRun) -> bool:
    """Whether every case of ``run`` passed on the student's own values (no error, no credit by
    consistency): its calls are those any passing run makes, for later forks to send ahead."""
    return not run.errors and bool(run.outcomes) and all(o.passed and not o.consistent_with for o in run.outcomes)


def _secrets_exposed(assignment: Assignment, suite: Path | None, kind: str) -> str:
    """Why grading against the hidden suite must not go on in a sandbox of ``kind``, or "": the
    fallback sandbox (no usable bubblewrap) would let the student's code read the course's secrets.
    Checked before the worker starts (with the kind presumed) and again once it has loaded (with
    the kind it really got: a bubblewrap that fails its self-test falls back late). No sandbox at
    all ("none", ``grade --isolation none``) is the instructor's choice for files they trust."""
    if kind != "fallback" or not _own_suite(assignment, suite) or suite == assignment.public_tests:
        return ""
    exposed = exposed_to_fallback((assignment.hidden_tests, assignment.source_path,
                                   assignment.misconceptions_path))
    if not exposed:
        return ""
    return (f"the fallback sandbox (no usable bubblewrap) could read {exposed[0]}: refusing to run student "
            f"code beside the hidden tests; make the course folder readable by the grader alone "
            f"(chmod -R go-rwx {assignment.root}, as root) or install bubblewrap")


def _warnings(submission: Submission, session: GradingSession) -> tuple[str, ...]:
    """What was skipped or failed while reading and loading the submission, in running order."""
    return in_running_order((*submission.warnings, *session.load_warnings))


def _refusal(assignment: Assignment, submission: Submission, session: GradingSession, suite: Path | None,
             started: float) -> GradeResult | None:
    """The result of a submission the suite does not run on (it did not load, or it defines none of
    the functions its assignment's own suites test); None when the suite runs."""
    exposed = _secrets_exposed(assignment, suite, session.sandbox)
    if exposed:
        return _failed_result(assignment, submission.student_id, started, error=GRADER_ERROR, kind="grader",
                              sandbox=session.sandbox, detail=exposed)
    if session.load_error:
        return _failed_result(assignment, submission.student_id, started,
                              error=session.load_error, kind="submission",
                              sandbox=session.sandbox, warnings=submission.warnings)
    if _own_suite(assignment, suite) and not any(session.session.has(n) for n in assignment.functions):
        return _failed_result(assignment, submission.student_id, started, kind="submission",
                              error=_defines_none(assignment, submission), sandbox=session.sandbox,
                              warnings=_warnings(submission, session))
    return None


def _run_after_loading(assignment: Assignment, submission: Submission, session: GradingSession,
                       suite: Path | None, started: float, known: PassingRun | None = None) -> GradeResult | SuiteRun:
    """The suite's run on a loaded submission, or the result of one it does not run on; the cases
    ``known``'s run is known to give this submission's outcomes of (``PassingRun.outcomes_of``) take
    them instead of running."""
    refused = _refusal(assignment, submission, session, suite, started)
    if refused is not None:
        return refused
    diagnosis = CaseDiagnosis(session.log, diagnoser_for(assignment))
    outcomes = known.outcomes_of(session.session.cases_as_recorded) if known is not None else {}
    history = known.history if known is not None else {}
    return _run_suite(assignment, suite, session, diagnosis, known=outcomes, on_case=_case_begins(session, history))


def _case_begins(session: GradingSession, history: Mapping[str, tuple[LoggedCall, ...]]) -> CaseBegins:
    """What each case's beginning tells the sandbox session (``SandboxSession.case_begins``) and the
    call log: a case that does not run (its outcome is known) adds the calls of it the known run's
    history took (``history``) to this run's, as running it would have, its answers being the same."""
    def begins(case: str, runs: bool) -> None:
        session.session.case_begins(case)
        if runs:
            session.log.case_begins(case)
        else:
            session.log.took_history_of(history.get(case, ()))
    return begins


def _run_while_loading(assignment: Assignment, submission: Submission, session: GradingSession,
                       suite: Path | None, started: float) -> GradeResult | SuiteRun:
    """``_run_after_loading`` on a session whose worker may still be loading the submission: pytest
    configures itself and collects the suite meanwhile, and runs its cases only once the submission
    has loaded and nothing refuses it. It returns or raises what ``_run_after_loading`` would: a
    failure found while pytest runs is raised once pytest is done, never handed to pytest."""
    try:
        diagnosis: CaseDiagnosis | None = CaseDiagnosis(session.log, diagnoser_for(assignment))
        unusable: Exception | None = None
    except Exception as err:  # raised below, if the suite would have run
        diagnosis, unusable = None, err
    refusals: list[GradeResult | None] = []
    failures: list[BaseException] = []

    def ready() -> bool:
        try:
            refusals.append(_refusal(assignment, submission, session, suite, started))
        except BaseException as err:  # a sandbox that cannot start, an interrupt
            failures.append(err)
            return False
        return refusals[0] is None and unusable is None

    run = _run_suite(assignment, suite, session, diagnosis, ready)
    if failures:
        raise failures[0]
    refused = refusals[0] if refusals else _refusal(assignment, submission, session, suite, started)
    if refused is not None:
        return refused
    if unusable is not None:
        raise unusable
    return run


def _run_suite(assignment: Assignment, suite: Path | None, session: GradingSession,
               diagnosis: CaseDiagnosis | None, ready: Callable[[], bool] | None = None, *,
               known: Mapping[str, CaseOutcome] | None = None,
               on_case: CaseBegins | None = None) -> SuiteRun:
    """The suite's run: the public suite, where it is plain, without importing pytest
    (``autograder.grading.plain``: what ``check`` runs again and again), any other with pytest,
    telling ``on_case`` (default: ``_case_begins``, nothing known) where each case begins and taking
    the ``known`` outcomes (by node id) instead of running their cases."""
    if suite is not None and suite == assignment.public_tests:
        from autograder.grading.plain import run_plain_suite

        run = run_plain_suite(suite, assignment.module, session.factory, diagnosis=diagnosis, ready=ready)
        if run is not None:
            return run
    from autograder.grading.run import run_suite

    return run_suite(suite or assignment.hidden_tests, session.factory, diagnosis=diagnosis, ready=ready,
                     known=known, on_case=on_case or _case_begins(session, {}))


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


def _priced_as_known(run: SuiteRun, assignment: Assignment, known: PassingRun | None) -> SuiteRun:
    """``run`` priced (``_priced``): the known run's own prices when ``run`` is that run, taken whole."""
    if known is not None and run is known.run and known.priced is not None:
        return known.priced
    return _priced(run, assignment)


def _max_score(assignment: Assignment, run: SuiteRun, suite: Path | None) -> float:
    if suite is None or suite == assignment.hidden_tests:
        return assignment.total_points
    return round(sum(t.max_score for t in run.outcomes), 6)


def grade_submission(assignment: Assignment, path: Path, *, suite: Path | None = None) -> GradeResult:
    """Grade the submission at ``path``; every failure becomes a score of 0 with a reason.

    The result records the sha256 of the submission's content, taken before it is read: if the
    file changes meanwhile, the recorded hash is the older one and ``--resume`` grades it again."""
    with GRADING:
        digest = content_sha256(Path(path))
        graded = _graded_here_or_in_fork(assignment, Path(path), suite, digest)
    return dataclasses.replace(graded, submission_sha256=digest)


FORK_MARGIN_S = 60.0
"""What a forked grading may take beyond the submission's budget and load time (the suite's own work)."""


def _graded_here_or_in_fork(assignment: Assignment, path: Path, suite: Path | None, digest: str) -> GradeResult:
    """Graded in a fork of this warm process when it grades many (``autograder.grading.warm``), else
    here; a copy of the untouched stub this process graded takes its result (``same_stub``)."""
    if not forking_enabled():
        return _whole(_grade_path(assignment, path, suite))
    started = time.monotonic()
    try:
        suite_dir = suite or assignment.hidden_tests
        prepared = warm_up(assignment, suite_dir)
        copied = same_stub.recall(assignment, suite_dir, digest, student_id_of(path), time.monotonic())
        if copied is not None:
            return copied
        timeout = time_budget_s(assignment) + assignment.limits.import_timeout_s + FORK_MARGIN_S
        result: GradeResult | None = None
        if not prepared:  # a fork of the process as it is compares, and grades only what needs no suite
            note_fork()
            result, lessons = run_in_fork(lambda: (_grade_path(assignment, path, suite, compared_only=True),
                                                   lessons_of_fork()), timeout_s=timeout)
            learn(lessons)
        if result is None:
            if not prepared:
                warm_up(assignment, suite_dir)  # prepared now, for this submission's suite
            note_fork()
            result, lessons = run_in_fork(lambda: (_whole(_grade_path(assignment, path, suite)), lessons_of_fork()),
                                          timeout_s=timeout, meanwhile=while_forked())
            learn(lessons)
        same_stub.remember(assignment, suite_dir, digest, result)
        return result
    except Exception as err:  # fail closed: the kit's failure is this student's 0 with a reason
        return _failed_result(assignment, student_id_of(path), started, error=GRADER_ERROR, kind="grader",
                              detail=f"{type(err).__name__}: {err}")


def _grade_path(assignment: Assignment, path: Path, suite: Path | None, *,
                compared_only: bool = False) -> GradeResult | None:
    """The result of the submission at ``path``; with ``compared_only``, None where the suite
    would have to run (``_grade_loaded``)."""
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
        result = _grade_loaded(assignment, submission, suite=suite, started=started, sandbox=None,
                               compared_only=compared_only)
        if result is None:
            return None
        return dataclasses.replace(result, needs_look=graded_reasons(assignment, submission, result))
    except Exception as err:  # fail closed: a kit failure is a 0 with a reason, never a crash
        return _failed_result(assignment, submission.student_id, started, error=GRADER_ERROR,
                              kind="grader", detail=f"{type(err).__name__}: {err}")
