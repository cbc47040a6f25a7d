"""Grade many submissions in parallel and write results, feedback and the gradebook.

Per student, ``OUT/<student>/feedback.md``, ``feedback.html`` then ``results.json``
are written atomically (temp file + rename); ``results.json`` is written last,
so its presence means the student is done. ``--resume`` keeps a written grade
only while the submission is unchanged: ``results.json`` records the sha256 of
the submission's content, and a student whose submission hashes differently
(or whose result has no hash) is graded again.
``OUT/grades.csv`` is rebuilt at the end from every ``results.json`` of the
assignment in ``OUT``, so grading late submissions into the same folder keeps
everyone in the gradebook. A grader
process that dies is replaced and its unfinished submissions are graded again,
so no grade is lost.

One submission can never stop the others: whatever goes wrong while it is
read, graded or written (an exception, a grading process that keeps dying)
becomes that student's result, the rest are graded, and ``grades.csv`` is
always written. A file name that cannot be a student id as it is (not UTF-8,
control or bidi characters, a name of the kit's own files in ``OUT`` such as
``grades.csv``) gets a safe, stable id derived from it (``submission.student_id_of``),
and is graded like any other.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import tempfile
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from autograder.assignment import Assignment
from autograder.files import write_atomically
from autograder.fingerprint import content_sha256
from autograder.grading.feedback import render_feedback
from autograder.grading.grade import grade_submission
from autograder.grading.gradebook import render_gradebook
from autograder.grading.pool import batch_pool_context, forks_pool_here
from autograder.grading.results import GRADER_ERROR, GradeResult, from_gradescope, results_json
from autograder.grading.warm import (
    end_sandboxes_ahead,
    keep_sandbox_warm,
    kept_run_loaded,
    passing_run_for,
    prepare_derivations,
    prepare_shared,
    start_pool_process,
    start_sandboxes_ahead,
)
from autograder.limits import DEFAULT_JOBS
from autograder.submission import student_id_of

MAX_POOL_RESTARTS = 3
QUEUED_PER_PROCESS = 4
"""Submissions handed to the pool at a time, per process: enough that none waits for work, few enough
that a batch of thousands is not pickled and queued before its first result (the batch process
would take a core from the pool for it, and hold every queued submission in memory)."""
GRADEBOOK = "grades.csv"
"""One of ``submission.RESERVED_IDS``: no student's folder takes its place."""
Progress = Callable[[GradeResult], None]
Record = Callable[[str, GradeResult], None]
Executor = Callable[[Assignment, dict[str, Path], Record], None]
"""Where submissions are graded: ``executor(assignment, todo, record)`` grades every
``{student: path}`` of ``todo`` with ``grade_submission`` and calls ``record(student, result)``
once per student, in any order, on the calling thread. ``local_executor`` is the process pool;
``autograder.platforms.dask_executor`` sends them to a Dask cluster."""


class BatchError(ValueError):
    """A batch that cannot start (nothing is graded or written)."""


@dataclass(frozen=True)
class BatchReport:
    """What a batch produced: every student's result, which were resumed, and which of
    the written grades were stale (the submission changed) and graded again.

    The results hold the scores, not the feedback (``GradeResult.scores_only``): the failure
    messages and plots are in each student's ``results.json`` and pages, and a batch of any
    size keeps only a few kilobytes per student in memory."""

    results: tuple[GradeResult, ...]
    resumed: tuple[str, ...]
    out_dir: Path
    changed: tuple[str, ...] = ()

    @property
    def all_graded(self) -> bool:
        return all(r.graded for r in self.results)


def prepare_out_dir(out_dir: Path) -> None:
    """Create ``out_dir`` (and its parents) and make sure files can be written in it;
    a ``BatchError`` saying why not (it names a file, or a place that cannot be written)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise BatchError(f"--out {out_dir} is a file, not a folder; name a folder for the results")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as err:
        raise BatchError(f"cannot write the results into {out_dir}: {err.strerror or err}") from None


def write_student(result: GradeResult, out_dir: Path, assignment: Assignment) -> None:
    from autograder.report import render_feedback_html

    folder = out_dir / result.student_id
    detail = assignment.feedback
    write_atomically(folder / "feedback.md", render_feedback(result, assignment.title, detail))
    write_atomically(folder / "feedback.html", render_feedback_html(
        result, assignment.title, skills={s.name: s.title for s in assignment.credit.skills}, detail=detail))
    write_atomically(folder / "results.json", results_json(result, detail))


def kit_failure(assignment: Assignment, student: str, err: BaseException | str) -> GradeResult:
    """The result of a student the kit could not grade: 0, ``grader`` kind, regraded by --resume."""
    detail = err if isinstance(err, str) else f"{type(err).__name__}: {err}"
    return GradeResult(student_id=student, assignment_id=assignment.id, tests=(),
                       max_score=assignment.total_points + assignment.questions_points, execution_time=0.0,
                       sandbox="none", error=GRADER_ERROR, error_kind="grader", detail=detail)


def file_result(result: GradeResult, student: str, out_dir: Path, assignment: Assignment) -> GradeResult:
    """Write ``student``'s files for ``result`` into ``out_dir``; what a batch keeps of it
    (``scores_only``). A result whose files cannot be written becomes the student's kit failure
    (its own files written if they can be): one student's files never stop the batch."""
    # The grade is filed under the batch's id: the path alone names an LMS download's student wrongly.
    result = dataclasses.replace(result, student_id=student) if result.student_id != student else result
    try:
        write_student(result, out_dir, assignment)
    except Exception as err:  # this student's files only; the batch goes on
        result = kit_failure(assignment, student, f"could not write the results: {type(err).__name__}: {err}")
        try:
            write_student(result, out_dir, assignment)
        except Exception:
            pass  # still listed in grades.csv, as a grader error
    return result.scores_only()


def _filed(result: GradeResult, student: str, out_dir: Path | None, assignment: Assignment) -> GradeResult:
    """``result`` with its files written into ``out_dir`` (``file_result``); as it is when None."""
    return result if out_dir is None else file_result(result, student, out_dir, assignment)


def _grade_one(assignment: Assignment, student: str, path: Path, out_dir: Path | None = None) -> GradeResult:
    """``grade_submission``, with anything it raises turned into that student's kit failure; the
    question sheet, if the assignment has one, graded for ``student`` (``autograder.questions.graded``).
    With ``out_dir``, the student's files are written here, where it was graded (``file_result``)."""
    from autograder.questions.graded import with_sheet

    try:
        result = with_sheet(assignment, grade_submission(assignment, path), path, student)
    except Exception as err:  # one submission must never stop the batch
        result = kit_failure(assignment, student, err)
    return _filed(result, student, out_dir, assignment)


def _unique_ids(paths: Sequence[Path]) -> dict[str, Path]:
    by_id: dict[str, Path] = {}
    for path in paths:
        student = student_id_of(path)
        if student in by_id:
            raise BatchError(f"{by_id[student]} and {path} are both student {student!r}")
        by_id[student] = path
    return by_id


def written_result(out_dir: Path, student: str, assignment: Assignment) -> GradeResult | None:
    """The result of ``assignment`` already written in ``out_dir`` for ``student``, if any."""
    path = out_dir / student / "results.json"
    try:
        result = from_gradescope(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return result if result.assignment_id == assignment.id else None


def _previous_result(out_dir: Path, student: str, assignment: Assignment) -> GradeResult | None:
    """A result ``--resume`` may keep, if the submission is unchanged: written, and fully graded."""
    result = written_result(out_dir, student, assignment)
    return result if result is not None and result.graded else None


def _is_current(result: GradeResult, path: Path) -> bool:
    """Whether ``result`` was graded from the submission now at ``path`` (same content hash)."""
    return bool(result.submission_sha256) and result.submission_sha256 == content_sha256(path)


def _pool(assignment: Assignment, jobs: int) -> ProcessPoolExecutor:
    # a passing run kept on disk (looked for once here, for every process forked from here) grades a
    # process's first submission that answers as it did without pytest: the processes start without it
    known = forks_pool_here() and kept_run_loaded(assignment, assignment.hidden_tests)
    context = batch_pool_context(runner=not known)
    if context.get_start_method() == "fork":
        prepare_shared(assignment)  # once here, for every pool process forked from here
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=start_pool_process)


def _outcome(assignment: Assignment, student: str, future: Future[GradeResult], out_dir: Path | None) -> GradeResult:
    """The future's result; an exception other than a dead pool is the student's kit failure
    (filed here: the pool did not get to file it)."""
    try:
        return future.result()
    except BrokenProcessPool:
        raise
    except Exception as err:  # e.g. a result that could not be sent back from the pool
        return _filed(kit_failure(assignment, student, err), student, out_dir, assignment)


def _run_pool(assignment: Assignment, todo: dict[str, Path], jobs: int, on_result: Record,
              out_dir: Path | None) -> None:
    """Grade ``todo`` in ``jobs`` processes; a dead pool is replaced and the rest regraded.

    After ``MAX_POOL_RESTARTS`` deaths the rest are graded one process each, so
    a submission that keeps killing its grading process fails alone.
    """
    restarts = 0
    while todo and restarts <= MAX_POOL_RESTARTS:
        try:
            with _pool(assignment, jobs) as pool:
                _grade_in(pool, assignment, todo, jobs, on_result, out_dir)
        except BrokenProcessPool:
            restarts += 1
    for student, path in list(todo.items()):
        try:
            with _pool(assignment, 1) as pool:
                result = _outcome(assignment, student, pool.submit(_grade_one, assignment, student, path, out_dir),
                                  out_dir)
        except BrokenProcessPool:
            result = _filed(kit_failure(assignment, student, "the grading process died while grading "
                                        "this submission (every time it was tried)"), student, out_dir, assignment)
        on_result(student, result)
        todo.pop(student)


def _grade_in(pool: ProcessPoolExecutor, assignment: Assignment, todo: dict[str, Path], jobs: int,
              on_result: Record, out_dir: Path | None) -> None:
    """Grade ``todo`` in ``pool``, ``QUEUED_PER_PROCESS`` submissions per process handed over at a
    time, another as each result comes; each graded student leaves ``todo``. A dead pool raises
    ``BrokenProcessPool`` with the rest still in ``todo``."""
    waiting = iter(list(todo.items()))
    futures: dict[Future[GradeResult], str] = {}

    def hand_over(count: int) -> None:
        for student, path in itertools.islice(waiting, count):
            futures[pool.submit(_grade_one, assignment, student, path, out_dir)] = student

    hand_over(QUEUED_PER_PROCESS * jobs)
    while futures:
        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        for future in done:
            student = futures.pop(future)  # a done future holds its whole result: let it go
            on_result(student, _outcome(assignment, student, future, out_dir))
            todo.pop(student)
        hand_over(len(done))


def _grade_here(assignment: Assignment, todo: dict[str, Path], jobs: int, record: Record,
                out_dir: Path | None = None) -> None:
    """Grade ``todo`` on this machine: a pool of ``jobs`` processes (never more than submissions), or
    this process when that is one. With ``out_dir``, each student's files are written where the
    submission was graded, and ``record`` gets what a batch keeps (``file_result``)."""
    if min(jobs, len(todo)) <= 1:
        # a worker forked by a warm sandbox costs milliseconds, a cold one an interpreter and numpy:
        # a stub's substituted re-runs start dozens of workers
        keep_sandbox_warm(assignment)
        if passing_run_for(assignment, assignment.hidden_tests) is None:  # else pytest waits for a need
            import autograder.grading.run  # noqa: F401  (pytest loads while the sandbox starts)

        for student, path in todo.items():
            record(student, _grade_one(assignment, student, path, out_dir))
    else:
        try:
            _run_pool(assignment, dict(todo), min(jobs, len(todo)), record, out_dir)
        finally:
            end_sandboxes_ahead()


def local_executor(jobs: int = DEFAULT_JOBS) -> Executor:
    """Grading on this machine: a pool of ``jobs`` processes (never more than submissions), or
    this process when that is one."""
    def run(assignment: Assignment, todo: dict[str, Path], record: Record) -> None:
        _grade_here(assignment, todo, jobs, record)
    return run


def grade_batch(assignment: Assignment, paths: Sequence[Path] | Mapping[str, Path], out_dir: Path, *,
                jobs: int = DEFAULT_JOBS,
                resume: bool = False, on_result: Progress | None = None,
                executor: Executor | None = None) -> BatchReport:
    """Grade ``paths`` into ``out_dir``; see the module docstring for what is written.

    ``executor`` grades them (default: this machine, ``jobs`` at once, each student's files
    written by the process that graded them, so this one only collects scores); another executor's
    results are written here, as they come back (``file_result``). ``paths`` given as
    ``{student id: path}`` (an LMS download's ids, ``autograder.lms.download_layout``) names each
    student; given as paths, each is the student ``student_id_of`` names.
    """
    by_id = dict(paths) if isinstance(paths, Mapping) else _unique_ids([Path(p) for p in paths])
    every = dict(by_id)
    prepare_out_dir(out_dir)
    results: dict[str, GradeResult] = {}
    resumed, changed = [], []
    for student in list(by_id):
        previous = _previous_result(out_dir, student, assignment) if resume else None
        if previous is not None and _is_current(previous, by_id[student]):
            results[student] = previous.scores_only()
            resumed.append(student)
            del by_id[student]
        elif previous is not None:
            changed.append(student)

    def keep(student: str, filed: GradeResult) -> None:
        results[student] = filed
        if on_result is not None:
            on_result(filed)

    if executor is None:  # this machine's pool writes each student's files where it grades them
        if by_id:
            start_sandboxes_ahead(assignment, min(jobs, len(by_id)))  # those not started already
        _grade_here(assignment, dict(by_id), jobs, keep, out_dir)
    else:
        executor(assignment, dict(by_id), lambda student, result: keep(student, file_result(
            result, student, out_dir, assignment)))
    from autograder.questions.copies import flag_copied_sheets

    results.update(flag_copied_sheets(assignment, every, out_dir, results))  # copied question sheets
    ordered = tuple(sorted(results.values(), key=lambda r: r.student_id))
    everyone = {**_results_in(out_dir, assignment, skip=results.keys()), **results}
    write_atomically(out_dir / GRADEBOOK, render_gradebook(everyone.values()))
    prepare_derivations(assignment)  # once per kit: later batches import no SymPy to diagnose
    return BatchReport(ordered, tuple(resumed), out_dir, tuple(changed))


def _results_in(out_dir: Path, assignment: Assignment, *, skip: Collection[str] = ()) -> dict[str, GradeResult]:
    """The scores of every graded result of ``assignment`` already written in ``out_dir``, but for
    the students in ``skip`` (graded just now: their scores are at hand)."""
    found = {}
    for folder in sorted(p for p in out_dir.iterdir() if p.is_dir() and p.name not in skip):
        result = written_result(out_dir, folder.name, assignment)
        if result is not None:
            found[result.student_id] = result.scores_only()
    return found
