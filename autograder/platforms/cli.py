"""``autograder nbgrader ...`` and ``autograder gradescope ...``: the kit where courses already grade.

Thin, like the rest of the CLI: each command parses its options, calls one API
function of ``autograder.platforms`` and prints what it returns.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from autograder.assignment import COURSE_ENV, Assignment, Course, CourseError, ManifestError, find_course
from autograder.cli_common import executor_options, given_course, load_assignment, make_executor
from autograder.escaping import terminal_text
from autograder.wording import plural

if TYPE_CHECKING:
    from rich.table import Table

    from autograder.platforms.nbgrader_grade import StudentGrade

def _kit_course() -> Course:
    try:
        return find_course(given_course())
    except ManifestError as err:
        raise click.UsageError(str(err)) from None


def _course_assignment(course_dir: Path, assignment_id: str) -> Assignment:
    """The assignment of the kit's course folder that ``nbgrader init`` recorded in COURSE_DIR's
    nbgrader_config.py, unless --course names one; without a record, the usual lookup."""
    from autograder.assignment import get_assignment
    from autograder.platforms.nbgrader_course import CONFIG_NAME, recorded_kit_course

    recorded = None if given_course() is not None else recorded_kit_course(course_dir)
    if recorded is None:
        return load_assignment(assignment_id)
    where = f"recorded in {course_dir / CONFIG_NAME} by `autograder nbgrader init`"
    try:
        return get_assignment(assignment_id, recorded)
    except CourseError as err:
        raise click.UsageError(f"{err}; {where} (pass --course DIR before `nbgrader` to name another)") from None
    except ManifestError as err:
        raise click.BadParameter(f"{err} ({where})", param_hint="--assignment") from None


def _course_error(err: Exception) -> click.ClickException:
    return click.ClickException(str(err))


class _InputError(click.ClickException):
    """What ``place`` and ``collect`` were given cannot be placed (a path, a zip, a pattern, a student
    already there): a mistake in using the command, so exit 2 as every other."""

    exit_code = 2


def _input_error(err: Exception) -> click.ClickException:
    return _InputError(str(err))


# -- nbgrader ----------------------------------------------------------------------------------------

@click.group()
def nbgrader() -> None:
    """Run the kit's assignments as an nbgrader course, graded in the kit's sandbox.

    \b
    In order:
      autograder nbgrader init COURSE_DIR                 source/<id>/ and nbgrader_config.py
        (--roster roster.csv: each student's own question sheet, for an assignment with one)
      cd COURSE_DIR && nbgrader generate_assignment ID    release/<id>/ and the gradebook
      autograder nbgrader collect COURSE_DIR --assignment ID subs.zip   (or: place ... FILES)
      autograder nbgrader grade COURSE_DIR --assignment ID
      nbgrader export; nbgrader generate_feedback ID
    """


@nbgrader.command()
@click.argument("course_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--assignment", "assignment_ids", multiple=True, metavar="ID",
              help="an assignment to write (repeatable; default: every assignment of the course folder)")
@click.option("--force", is_flag=True, help="replace files that differ from what the kit builds")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="CSV of the students' nbgrader ids: an assignment with a question sheet gets sheets.json, "
                   "each student's own numbers (needs the course secret)")
@click.option("--student", "student_ids", multiple=True, metavar="ID", help="a student to add (repeatable)")
def init(course_dir: Path, assignment_ids: tuple[str, ...], force: bool, roster: Path | None,
         student_ids: tuple[str, ...]) -> None:
    """Write an nbgrader course folder in COURSE_DIR from the kit's course folder.

    source/<id>/<module>.ipynb holds one test cell per skill (grade_id test_<skill>, the skill's
    points) calling the kit's checks, beside assignment.toml and the public tests; nbgrader_config.py
    points nbgrader at COURSE_DIR and its kernels at the kit's course folder. An assignment with a
    question sheet ends with its cells, and with --roster, sheets.json beside the notebook.
    """
    from autograder.platforms.nbgrader_course import CONFIG_MARKER, CONFIG_NAME, CourseError, write_course
    from autograder.questions.cli import students_of
    from autograder.questions.graded import has_sheet
    from autograder.release import ReleaseError

    course = _kit_course()
    students = students_of(roster, student_ids)
    try:
        assignments = [course.assignment(i) for i in (assignment_ids or course.ids())]
        paths = write_course(assignments, course_dir, overwrite=force, kit_course=course.root, roster=students)
    except ManifestError as err:
        raise click.BadParameter(str(err), param_hint="--assignment") from None
    except (CourseError, ReleaseError, ValueError) as err:
        raise _course_error(err) from None
    for path in paths:
        click.echo(f"wrote {terminal_text(str(path))} (and the files beside it)")
    for assignment in assignments:
        if has_sheet(assignment) and students:
            click.echo(f"{assignment.id}: the question sheets of {plural(len(students), 'student')} in "
                       "sheets.json, released with the notebook")
        elif has_sheet(assignment):
            click.echo(f"warning: {assignment.id} has a question sheet and no student can see their numbers "
                       f"yet: run init again with --roster roster.csv (their nbgrader ids) before "
                       f"`nbgrader generate_assignment {assignment.id}`", err=True)
    config = course_dir / CONFIG_NAME
    if not config.read_text(encoding="utf-8", errors="replace").startswith(CONFIG_MARKER):
        click.echo(f"kept your {terminal_text(str(config))}: for `nbgrader autograde`, add to it\n"
                   f"  import os; os.environ[{COURSE_ENV!r}] = {str(course.root.resolve())!r}")
    first = assignments[0].id if assignments else "<id>"
    click.echo(f"next: cd {terminal_text(str(course_dir))} && nbgrader generate_assignment {first}; then "
               f"autograder nbgrader collect/place . --assignment {first} ..., autograder nbgrader grade . "
               f"--assignment {first}, nbgrader export")  # after the cd, the course is the current folder


def _grade_notes(row: StudentGrade) -> str:
    """What the notes column says of one student of ``nbgrader grade``."""
    notes: list[str] = []
    if row.problem:
        notes.append(row.problem)
    if row.kit is not None and not row.kit.graded:
        notes.append("the kit could not grade it: left for manual grading")
    elif row.kit is not None and row.kit.error:
        notes.append(row.kit.error)
    if row.nbgrader.get("manual"):
        notes.append("manual grade kept: " + ", ".join(row.nbgrader["manual"]))
    if row.nbgrader.get("error"):
        notes.append(str(row.nbgrader["error"]))
    notes.extend(str(note) for note in row.nbgrader.get("notes", []))
    if float(row.nbgrader.get("seconds_late") or 0) > 0:
        notes.append(f"late by {float(row.nbgrader['seconds_late']) / 3600:.1f} h")
    return terminal_text("; ".join(notes))


def _grade_table(title: str, students: tuple[StudentGrade, ...]) -> Table:
    """One row per student of ``nbgrader grade``: the kit's score, the gradebook's, the late penalty, notes."""
    from rich.table import Table

    from autograder.grading.results import format_points

    table = Table(title=title)
    for column in ("student", "kit", "gradebook", "late penalty", "notes"):
        table.add_column(column, justify="left" if column in ("student", "notes") else "right")
    for row in students:
        kit = "-" if row.kit is None else f"{format_points(row.kit.score)}/{format_points(row.kit.max_score)}"
        book = "-" if row.score is None else format_points(row.score)
        table.add_row(terminal_text(row.student), kit, book, format_points(row.late_penalty), _grade_notes(row))
    return table


@nbgrader.command()
@click.argument("course_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--assignment", "assignment_id", required=True, metavar="ID", help="the assignment to grade")
@click.option("--student", "students", multiple=True, metavar="S",
              help="grade only this student (repeatable; default: everyone in submitted/)")
@executor_options
def grade(course_dir: Path, assignment_id: str, students: tuple[str, ...], jobs: int, executor: str | None,
          scheduler: str | None) -> None:
    """Grade submitted/<student>/ID/ in the kit's sandbox and write the scores into the gradebook.

    nbgrader's own autograde records them (students, submissions, timestamp.txt, late penalties,
    autograded/ for generate_feedback), with the kit's results in place of a kernel. Manual grades
    and comments already entered are kept. Exits 1 if a submission could not be graded.
    """
    from contextlib import nullcontext

    from autograder.platforms.nbgrader_course import CourseError
    from autograder.platforms.nbgrader_grade import grade_course
    from autograder.terminal import console as make_console
    from autograder.terminal import progress_bar
    from autograder.views import grading_isolation

    grading_isolation("sandbox")  # students' notebooks: never without one, whatever the environment says
    assignment = _course_assignment(course_dir, assignment_id)
    from autograder.questions.cli import preflight_grading

    preflight_grading(assignment)
    run = make_executor(executor, scheduler, jobs)
    progress = progress_bar(make_console(stderr=True))
    try:
        with progress or nullcontext():
            task = progress.add_task("grade", total=None) if progress else None
            advance = (lambda _: progress.advance(task)) if progress and task is not None else None
            report = grade_course(course_dir, assignment, students=list(students) or None, jobs=jobs,
                                  executor=run, on_result=advance)
    except CourseError as err:
        raise _course_error(err) from None
    console = make_console()
    if report.problem:
        console.print(f"[red]error:[/red] {terminal_text(report.problem)}")
        sys.exit(1)
    table = _grade_table(f"{assignment.title}: {plural(len(report.students), 'submission')}", report.students)
    console.print(table)
    for row in report.students:  # nbgrader's whole error, not the first line of its traceback
        if row.nbgrader.get("rejected"):
            console.print(f"nbgrader rejected the notebook of {terminal_text(row.student)}:", markup=False,
                          highlight=False)
            console.print(terminal_text(str(row.nbgrader["rejected"])), markup=False, highlight=False)
    for line in report.log.splitlines():
        bare_traceback = line.rstrip().endswith("Traceback (most recent call last):")  # its rest is above
        if ("| WARNING]" in line or "| ERROR]" in line) and not bare_traceback:
            console.print(terminal_text(line), markup=False, highlight=False)
    console.print(f"wrote the gradebook of {terminal_text(str(course_dir))}: now `nbgrader export`, "
                  f"`nbgrader generate_feedback {assignment.id}`")
    sys.exit(0 if report.all_graded else 1)


KEEP_TIMESTAMPS_HELP = ("keep a timestamp.txt found among a student's files (default: ignored, since a student "
                        "could write any time there)")


def _print_placed(placed) -> None:  # type: ignore[no-untyped-def]
    for item in placed:
        notes = f" ({'; '.join(item.notes)})" if item.notes else ""
        click.echo(f"{terminal_text(item.student)}: {terminal_text(str(item.folder))}{terminal_text(notes)}")


@nbgrader.command()
@click.argument("course_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--assignment", "assignment_id", required=True, metavar="ID")
@click.option("--student", default=None, metavar="S", help="the student of the one PATH (default: its name)")
@click.option("--timestamp", default=None, metavar="TIME",
              help='when it was handed in, for late penalties, e.g. "2025-05-01 17:03:00 UTC"')
@click.option("--keep-timestamps", is_flag=True, help=KEEP_TIMESTAMPS_HELP)
@click.option("--force", is_flag=True, help="replace a student's different submission")
def place(course_dir: Path, paths: tuple[Path, ...], assignment_id: str, student: str | None,
          timestamp: str | None, keep_timestamps: bool, force: bool) -> None:
    """Put PATHS (notebooks, or one folder per student) into COURSE_DIR/submitted/<student>/ID/."""
    from autograder.platforms import nbgrader_place
    from autograder.platforms.nbgrader_course import CourseError

    assignment = _course_assignment(course_dir, assignment_id)
    try:
        placed = nbgrader_place.place(course_dir, assignment, list(paths), student=student,
                                      timestamp=timestamp, keep_timestamps=keep_timestamps, overwrite=force)
    except CourseError as err:
        raise _input_error(err) from None
    _print_placed(placed)


@nbgrader.command()
@click.argument("course_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("archive", type=click.Path(exists=True, path_type=Path))
@click.option("--assignment", "assignment_id", required=True, metavar="ID")
@click.option("--pattern", default=None, metavar="REGEX",
              help="picks the student from each member's path with a group (?P<student>...), e.g. Moodle's "
                   r"participant id: '_(?P<student>\d+)_assignsubmission_file_' (default: the top folder or file "
                   "name; an LMS download needs one)")
@click.option("--timestamp", default=None, metavar="TIME", help="when they were handed in, for late penalties")
@click.option("--keep-timestamps", is_flag=True, help=KEEP_TIMESTAMPS_HELP)
@click.option("--force", is_flag=True, help="replace students' different submissions")
def collect(course_dir: Path, archive: Path, assignment_id: str, pattern: str | None, timestamp: str | None,
            keep_timestamps: bool, force: bool) -> None:
    """Put every student of ARCHIVE (a zip or a folder of many students) into COURSE_DIR/submitted/."""
    from autograder.platforms import nbgrader_place
    from autograder.platforms.nbgrader_course import CourseError

    assignment = _course_assignment(course_dir, assignment_id)
    try:
        placed = nbgrader_place.collect(course_dir, assignment, archive, pattern=pattern,
                                        timestamp=timestamp, keep_timestamps=keep_timestamps, overwrite=force)
    except CourseError as err:
        raise _input_error(err) from None
    _print_placed(placed)


# -- Gradescope ---------------------------------------------------------------------------------------

@click.group()
def gradescope() -> None:
    """Gradescope autograder bundles: the kit's sandboxed grading inside Gradescope's container."""


@gradescope.command()
@click.option("--assignment", "assignment_id", required=True, metavar="ID", help="the assignment to bundle")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the zip to write, e.g. autograder.zip")
@click.option("--wheel", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="the kit's wheel to bundle (default: the running kit's own, built and cached)")
@click.option("--python-version", "python_versions", multiple=True, metavar="X.Y",
              help="a CPython the bundled wheels are for (repeatable; default: 3.11 and 3.12, the Pythons "
                   "of Gradescope's Ubuntu 22.04 and 24.04 images); fewer versions, a smaller bundle")
@click.option("--overwrite", is_flag=True, help="replace an existing OUT")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="CSV of the students' ids (as submission_metadata.json names them): a question sheet holding "
                   "another rostered student's worked numbers is flagged in results.json's needs_look")
def build(assignment_id: str, out: Path, wheel: Path | None, python_versions: tuple[str, ...],
          overwrite: bool, roster: Path | None) -> None:
    """Write OUT: setup.sh, run_autograder, the kit and its dependencies as wheels (installed with no
    package index) and the assignment's course folder (hidden tests included: upload it to Gradescope,
    never give it to students)."""
    from autograder.platforms.gradescope import PYTHON_VERSIONS, BundleError, build_bundle
    from autograder.questions.cli import students_of

    assignment = load_assignment(assignment_id)
    try:
        bundle = build_bundle(assignment, out, wheel=wheel, overwrite=overwrite,
                              python_versions=python_versions or PYTHON_VERSIONS,
                              roster=students_of(roster, ()) if roster is not None else ())
    except BundleError as err:
        raise click.ClickException(str(err)) from None
    wheels = plural(sum(1 for name in bundle.members if name.startswith("wheels/")) - 1, "dependency wheel")
    click.echo(f"wrote {terminal_text(str(bundle.path))} ({bundle.size / 1e6:.1f} MB): setup.sh, run_autograder, "
               f"the kit ({terminal_text(bundle.install)}) and {wheels}, the course folder")
    click.echo("upload it as the assignment's autograder on Gradescope; it holds the hidden tests, "
               "so keep it from students")
