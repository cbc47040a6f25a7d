"""What the CLI shows: progress bars, tables and friendly reports (rich).

Student-controlled text (student ids from file names, load errors, failure
messages, notebook warnings) is escaped by ``autograder.escaping`` before rich
sees it: no markup, no emoji codes, no terminal escape sequences get through.
Output that is not a terminal is plain lines that never wrap (``terminal``).
Every mistake of the user is one ``error:`` line on stderr and exit status 2
(``fail``), never a traceback.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from autograder.assignment import Assignment, ManifestError, assignment_for_file
from autograder.escaping import terminal_plain, terminal_text
from autograder.submission import SubmissionError, load_submission
from autograder.terminal import console as make_console
from autograder.terminal import progress_bar
from autograder.wording import plural, shortened

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from autograder.grading.batch import BatchReport, Executor
    from autograder.grading.early import PrestartedCheck
    from autograder.grading.results import GradeResult
    from autograder.sandbox.isolation import Isolation
    from autograder.sandbox.launcher import WorkerKind
    from autograder.validate import ValidationReport


STATUS_WIDTH = 120
"""The most characters of a status in the grade table; a longer one is cut at a word, its whole
text stays in the student's results.json."""


def _out() -> Console:
    return make_console()


def _err() -> Console:
    return make_console(stderr=True)


def fail(message: str, *, prefix: str = "error") -> NoReturn:
    """One line on stderr (``message`` is escaped) and exit status 2: a mistake of the user."""
    _err().print(f"[red]{prefix}:[/red] {terminal_text(message)}")
    raise SystemExit(2)


def results_table(results: tuple[GradeResult, ...], title: str) -> Table:
    from rich.table import Table
    from rich.text import Text

    from autograder.grading.results import format_points, skill_cases

    table = Table(title=title)
    from autograder.grading.needs_look import reasons

    for column in ("student", "score", "max", "status", "needs a look"):
        table.add_column(column, justify="right" if column in ("score", "max") else "left")
    for result in results:
        status = result.detail if result.error_kind == "grader" else result.error
        skills = skill_cases(result.tests)
        full = sum(all(t.earned >= t.max_score - 1e-9 for t in cases) for cases in skills.values())
        status = status or f"{full}/{len(skills)} skills full marks"
        if result.grader_failures:
            status += f"; {plural(result.grader_failures, 'test')} could not run (see results.json)"
        if result.misconceptions:
            status += "; likely: " + ", ".join(result.misconceptions)
        if result.warnings:
            status += f"; {plural(len(result.warnings), 'note')} on how it ran (see feedback.md)"
        status = shortened(terminal_plain(status, one_line=True), STATUS_WIDTH)
        table.add_row(Text(terminal_plain(result.student_id, one_line=True)), format_points(result.score),
                      format_points(result.max_score), Text(status),
                      Text(terminal_plain("; ".join(reasons(result)), one_line=True)))
    return table


def grade_with_progress(assignment: Assignment, paths: list[Path] | dict[str, Path], out_dir: Path, *,
                        jobs: int, resume: bool, executor: Executor | None = None) -> BatchReport:
    from autograder.grading.batch import BatchError, grade_batch
    from autograder.report import preload

    # The report's imports load while other processes grade (here, they would slow the grading), from
    # the first result on: before it, they would take a core from the pool's start and warm-up.
    preloading = executor is not None or min(jobs, len(paths)) > 1
    report_loaded: list[threading.Thread] = []
    # The bar (a thread) starts with the first result: the pool is forked from this process while no
    # other thread runs (``autograder.grading.pool``).
    progress = progress_bar(_err())
    task = progress.add_task("grade", total=len(paths)) if progress else None
    try:
        def on_result(_: GradeResult) -> None:
            if preloading and not report_loaded:
                report_loaded.append(preload())
            if progress is not None and task is not None:
                progress.start()
                progress.advance(task)

        try:
            report = grade_batch(assignment, paths, out_dir, jobs=jobs, resume=resume, on_result=on_result,
                                 executor=executor)
        except BatchError as err:
            fail(str(err))
    finally:
        if progress is not None:
            progress.stop()
    out = _out()
    out.print(results_table(report.results, f"{assignment.title}: {plural(len(report.results), 'submission')}"))
    if report.resumed:
        out.print(f"resumed {plural(len(report.resumed), 'student')} already graded (submission unchanged)")
    if report.changed:
        out.print(f"graded {plural(len(report.changed), 'student')} again: the submission changed since "
                  f"it was graded ({terminal_text(', '.join(report.changed))})")
    shown = terminal_text(str(out_dir))
    out.print(f"wrote {shown}/<student>/results.json, feedback.md, feedback.html and {shown}/grades.csv")
    for thread in report_loaded:
        thread.join()
    _report_after_grading(assignment, out_dir)
    return report


def _report_after_grading(assignment: Assignment, out_dir: Path) -> None:
    """Write the batch report; grading stands even if the report cannot be written."""
    from autograder.report import write_report

    try:
        written = write_report(out_dir, assignment=assignment)
    except Exception as err:  # the grades are written; the report can be made again later
        _err().print(f"[yellow]report not written[/yellow] ({terminal_text(type(err).__name__)}: "
                     f"{terminal_text(str(err))}); run: autograder report {terminal_text(str(out_dir))}")
        return
    _out().print(f"report written to {terminal_text(str(written.html))}")


def report_with_summary(folder: Path, assignment_id: str | None) -> int:
    """``autograder report``: write report.html and summary.json; 2 when there is nothing to report."""
    from autograder.grading.results import format_points
    from autograder.report import ReportError, write_report

    try:
        written = write_report(folder, assignment_id=assignment_id)
    except ReportError as err:
        _err().print(f"[red]cannot report:[/red] {terminal_text(str(err))}")
        return 2
    summary = written.summary
    scores = summary["scores"]
    if scores.get("count"):
        count = plural(int(summary["submissions"]), "submission")
        _out().print(f"{terminal_text(summary['assignment']['title'])}: {count}, "
                      f"mean {format_points(scores['mean'])}, median {format_points(scores['median'])} "
                      f"of {format_points(scores['max_score'])}")
    _out().print(f"report written to {terminal_text(str(written.html))}")
    _out().print(f"summary written to {terminal_text(str(written.json))}")
    return 0


def grading_isolation(isolation: Isolation) -> None:
    """Where ``grade``'s workers run: in the sandbox, refused in one line where none can run; or,
    asked for (``--isolation none``, files the instructor trusts), without one, said in one line.
    The choice goes to the grading processes in ``ISOLATION_ENV``, set either way, so that one
    left in the environment never chooses for ``grade``."""
    from autograder.sandbox.isolation import ISOLATION_ENV, grading_refusal, sandbox_missing

    os.environ[ISOLATION_ENV] = isolation
    if isolation == "none":
        _err().print("isolation: none (--isolation none: the submissions run as you, with nothing confined)",
                     markup=False, highlight=False)
        return
    missing = sandbox_missing()
    if missing:
        fail(grading_refusal(missing))


def check_isolation(isolation: Isolation | None) -> WorkerKind | None:
    """The worker ``check`` runs the file in: the sandbox (None), or, where none can run or
    ``isolation`` is "none", the own-machine worker, announced in one line (``OWN_MACHINE_NOTE``).
    ``isolation`` "sandbox" where none can run is one error line naming what is missing."""
    from autograder.sandbox.isolation import OWN_MACHINE_NOTE, sandbox_missing

    missing = "" if isolation == "none" else sandbox_missing()
    if isolation == "sandbox" and missing:
        fail(f"{missing}; to run your file without a sandbox: autograder check --isolation none FILE",
             prefix="cannot check")
    if isolation == "none" or missing:
        _out().print(OWN_MACHINE_NOTE, markup=False, highlight=False)
        return "none"
    return None


def _graded_beyond_public(assignment: Assignment, checked: set[str]) -> list[str]:
    """What ``check``'s score leaves out: each skill no public test covers, and the question sheet,
    so that a full public score is never read as the assignment's full marks."""
    lines = [f"· {terminal_plain(skill.name)} ({plural(float(skill.points), 'point')}): no public test; "
             "only the hidden tests grade it" for skill in assignment.credit.skills if skill.name not in checked]
    if assignment.questions_points:
        lines.append(f"· the question sheet ({plural(float(assignment.questions_points), 'point')}): graded from "
                     "your answers.toml; `autograder check answers.toml` says which answers can be marked")
    return lines


def check_with_report(file: Path, assignment_id: str | None, *, course: Path | None = None,
                      isolation: Isolation | None = None, prestarted: PrestartedCheck | None = None) -> int:
    """Run the public suite on ``file``; 0 when every public test passes. ``isolation`` None:
    the sandbox where one can run, else none (``check_isolation``). ``prestarted``: the worker
    ``autograder.launch`` started for this very check, before anything else loaded. (Both routes
    have told OpenBLAS's idle threads to sleep before numpy loaded: ``autograder.cli.main``,
    ``autograder.grading.early.prestart_check``.)"""
    from autograder.shortlived import rare_collections

    with rare_collections():
        return _check_with_report(file, assignment_id, course, isolation, prestarted)


def _check_with_report(file: Path, assignment_id: str | None, course: Path | None, isolation: Isolation | None,
                       prestarted: PrestartedCheck | None) -> int:
    if prestarted is not None:
        assignment, started = prestarted.assignment, prestarted.started
        submission = started.submission
    else:
        if not file.exists():
            fail(f"no such file: {file}", prefix="cannot check")
        from autograder.grading.early import start_early

        try:
            assignment = assignment_for_file(file, assignment_id, course)
            submission = load_submission(file, preferred=assignment.module)
        except (ManifestError, SubmissionError) as err:
            fail(str(err), prefix="cannot check")
        started = start_early(submission, assignment.limits, check_isolation(isolation))
    from autograder.grading.grade import grade_loaded
    from autograder.grading.student import started_session

    sandbox = started_session(started)
    from autograder.grading.results import format_points, skill_cases

    out = _out()  # rich loads while the worker may still be starting
    result = grade_loaded(assignment, submission, suite=assignment.public_tests, sandbox=sandbox)
    for warning in result.warnings:
        out.print(f"[yellow]note:[/yellow] {terminal_text(warning)}")
    if result.error:
        out.print(f"[red]✗ {terminal_text(result.error)}[/red]")
        return 1
    for skill, tests in skill_cases(result.tests).items():
        earned, possible = sum(t.earned for t in tests), sum(t.max_score for t in tests)
        mark = "[green]✓[/green]" if earned >= possible - 1e-9 else "[red]✗[/red]"
        out.print(f"{mark} {terminal_text(skill)} ({format_points(earned)}/{format_points(possible)})")
        for test in tests:
            if not test.passed:
                out.print(f"    ✗ {terminal_plain(test.name)}: {terminal_plain(test.message)}"
                          .replace("\n", "\n      "), markup=False, highlight=False)
    for line in _graded_beyond_public(assignment, set(skill_cases(result.tests))):
        out.print(line, markup=False, highlight=False)
    verdict = "all public tests pass" if result.score >= result.max_score else "some public tests fail"
    out.print(f"[bold]{terminal_text(result.summary())}[/bold]: {verdict}. "
              "The hidden tests check more cases.")
    return 0 if result.score >= result.max_score else 1


def release_with_report(assignment: Assignment, out_dir: Path, *, overwrite: bool,
                        install: str | None = None) -> None:
    from autograder.release import ReleaseError, ReleaseExistsError, release_assignment

    if out_dir.exists() and not out_dir.is_dir():
        fail(f"--out {out_dir} is a file, not a folder; name a folder for the release")
    try:
        report = release_assignment(assignment, out_dir, overwrite=overwrite, install=install)
    except ReleaseExistsError as err:
        fail(f"{err.folder} exists and is not empty; pass --overwrite to replace it")
    except ReleaseError as err:
        fail(str(err))
    except OSError as err:
        fail(f"cannot write the release into {out_dir}: {err.strerror or err}")
    out = _out()
    out.print(f"released {assignment.id} to {terminal_text(str(report.folder))}:")
    for path in report.files:
        out.print(f"  {terminal_text(str(path))}")


def trials_table(report: ValidationReport) -> Table:
    """One row per chaff, wheat and degenerate submission: its score and whether it behaved."""
    from rich.table import Table

    from autograder.grading.results import format_points

    table = Table(title=f"{report.assignment_id}: mutation score {report.mutation_score:.0%}")
    for column in ("kind", "id", "function", "score", "diagnosed", "ok"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for trial in report.trials:
        table.add_row(trial.kind, terminal_text(trial.id), terminal_text(trial.function),
                      f"{format_points(trial.score)}/{format_points(trial.max_score)}",
                      terminal_text(", ".join(trial.diagnosed)), "[green]✓[/green]" if trial.ok else "[red]✗[/red]")
    return table


def validate_with_report(assignment: Assignment, *, trials: bool = True, as_json: bool = False,
                         record_timing: bool = False) -> bool:
    from autograder.grading.results import format_points
    from autograder.validate import validate_assignment

    report = validate_assignment(assignment, trials=trials, record_timing=record_timing)
    if as_json:
        print(json.dumps(report.as_json(), indent=2))
        return report.ok
    console = _out()
    for note in report.notes:
        console.print(f"  {terminal_text(note)}")
    console.print(f"  solution {format_points(report.solution.score)}/{format_points(report.solution.max_score)}, "
                  f"stub {format_points(report.stub.score)}/{format_points(report.stub.max_score)}")
    if report.trials:
        console.print(trials_table(report))
    for problem in report.problems:
        console.print(f"[red]✗[/red] {terminal_text(problem)}", highlight=False)
    if report.ok:
        console.print(f"[green]✓ {assignment.id} is valid[/green]")
    return report.ok
