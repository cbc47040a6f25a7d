"""What the CLI shows: progress bars, tables and friendly reports (rich).

Student-controlled text (student ids from file names, load errors, failure
messages, notebook warnings) is escaped by ``autograder.escaping`` before rich
sees it: no markup, no emoji codes, no terminal escape sequences get through.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from autograder.assignment import Assignment, ManifestError, assignment_for_file
from autograder.escaping import terminal_plain, terminal_text
from autograder.grading.batch import BatchError, BatchReport, Executor, grade_batch
from autograder.grading.grade import grade_loaded
from autograder.grading.results import GradeResult, format_points, skill_cases
from autograder.submission import SubmissionError, load_submission

if TYPE_CHECKING:
    from autograder.validate import ValidationReport

console = Console(emoji=False)
errors = Console(stderr=True, emoji=False)


def results_table(results: tuple[GradeResult, ...], title: str) -> Table:
    table = Table(title=title)
    for column in ("student", "score", "max", "status"):
        table.add_column(column, justify="right" if column in ("score", "max") else "left")
    for result in results:
        status = result.detail if result.error_kind == "grader" else result.error
        skills = skill_cases(result.tests)
        full = sum(all(t.earned >= t.max_score - 1e-9 for t in cases) for cases in skills.values())
        status = status or f"{full}/{len(skills)} skills full marks"
        if result.grader_failures:
            status += f"; {result.grader_failures} tests could not run (see results.json)"
        if result.misconceptions:
            status += "; likely: " + ", ".join(result.misconceptions)
        table.add_row(Text(terminal_plain(result.student_id, one_line=True)), format_points(result.score),
                      format_points(result.max_score), Text(terminal_plain(status, one_line=True)[:120]))
    return table


def grade_with_progress(assignment: Assignment, paths: list[Path], out_dir: Path, *,
                        jobs: int, resume: bool, executor: Executor | None = None) -> BatchReport:
    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, transient=True) as progress:
        task = progress.add_task("grade", total=len(paths))
        try:
            report = grade_batch(assignment, paths, out_dir, jobs=jobs, resume=resume,
                                 on_result=lambda _: progress.advance(task), executor=executor)
        except BatchError as err:
            errors.print(f"[red]error:[/red] {terminal_text(str(err))}")
            raise SystemExit(2) from None
    console.print(results_table(report.results, f"{assignment.title}: {len(report.results)} submissions"))
    if report.resumed:
        console.print(f"resumed {len(report.resumed)} already graded")
    shown = terminal_text(str(out_dir))
    console.print(f"wrote {shown}/<student>/results.json, feedback.md and {shown}/grades.csv")
    return report


def check_with_report(file: Path, assignment_id: str | None, *, course: Path | None = None) -> int:
    """Run the public suite on ``file``; 0 when every public test passes."""
    try:
        assignment = assignment_for_file(file, assignment_id, course)
        submission = load_submission(file, preferred=assignment.module)
    except (ManifestError, SubmissionError) as err:
        errors.print(f"[red]cannot check:[/red] {terminal_text(str(err))}")
        return 2
    result = grade_loaded(assignment, submission, suite=assignment.public_tests)
    for warning in result.warnings:
        console.print(f"[yellow]note:[/yellow] {terminal_text(warning)}")
    if result.error:
        console.print(f"[red]✗ {terminal_text(result.error)}[/red]")
        return 1
    for skill, tests in skill_cases(result.tests).items():
        earned, possible = sum(t.earned for t in tests), sum(t.max_score for t in tests)
        mark = "[green]✓[/green]" if earned >= possible - 1e-9 else "[red]✗[/red]"
        console.print(f"{mark} {terminal_text(skill)} ({format_points(earned)}/{format_points(possible)})")
        for test in tests:
            if not test.passed:
                console.print(f"    ✗ {terminal_plain(test.name)}: {terminal_plain(test.message)}"
                              .replace("\n", "\n      "), markup=False, highlight=False)
    verdict = "all public tests pass" if result.score >= result.max_score else "some public tests fail"
    console.print(f"[bold]{terminal_text(result.summary())}[/bold]: {verdict}. "
                  "The hidden tests check more cases.")
    return 0 if result.score >= result.max_score else 1


def release_with_report(assignment: Assignment, out_dir: Path, *, overwrite: bool,
                        install: str | None = None) -> None:
    from autograder.release import ReleaseError, ReleaseExistsError, release_assignment

    try:
        report = release_assignment(assignment, out_dir, overwrite=overwrite, install=install)
    except ReleaseExistsError as err:
        raise click.ClickException(f"{err} (pass --overwrite to replace it)") from None
    except ReleaseError as err:
        raise click.ClickException(str(err)) from None
    console.print(f"released {assignment.id} to {terminal_text(str(report.folder))}:")
    for path in report.files:
        console.print(f"  {terminal_text(str(path))}")


def trials_table(report: ValidationReport) -> Table:
    """One row per chaff, wheat and degenerate submission: its score and whether it behaved."""
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
    from autograder.validate import validate_assignment

    report = validate_assignment(assignment, trials=trials, record_timing=record_timing)
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
        return report.ok
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
