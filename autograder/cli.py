"""The ``autograder`` command: a thin layer over the Python API.

Each command parses its options, calls one API function and renders what it
returns. Defaults live in the API (``Limits``, ``grade_batch``...), not here.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from autograder import __version__
from autograder.assignment import COURSE_ENV
from autograder.cli_common import assignment_option, click_error_line, given_course, load_assignment
from autograder.command_errors import one_line_error
from autograder.integrity.settings import Settings
from autograder.limits import DEFAULT_JOBS


class _LazyGroup(click.Group):
    """A group whose heavy subcommands are imported only when used (SymPy costs ~0.5 s).

    A file-system problem no command foresaw (a folder that cannot be written, a
    file that vanished) or a sandbox that cannot start (a component missing) ends as
    one ``error:`` line and exit status 2, not a traceback.
    """

    lazy_commands = {"reference": "autograder.cli_reference", "nbgrader": "autograder.platforms.cli",
                     "gradescope": "autograder.platforms.cli", "questions": "autograder.questions.cli"}

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """click's ``main``, with click's own errors (a missing option, a bad value, an unknown command)
        as one ``error:`` line and click's exit status (2 for a usage error), not its usage block."""
        if not kwargs.get("standalone_mode", True):
            return super().main(*args, **kwargs)
        try:
            code = super().main(*args, **{**kwargs, "standalone_mode": False})
        except click.exceptions.NoArgsIsHelpError as err:  # no command at all: the help is the answer
            err.show()
            sys.exit(err.exit_code)
        except click.ClickException as err:
            one_line_error(click_error_line(err))
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> object:
        from autograder.command_errors import unforeseen_failures_end_the_command

        with unforeseen_failures_end_the_command():
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands:
            module = importlib.import_module(self.lazy_commands[cmd_name])
            return getattr(module, cmd_name)  # type: ignore[no-any-return]
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="autograder")
@click.option("--course", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              metavar="DIR", help=f"the course folder, one <id>/ folder per assignment (default: ${COURSE_ENV}, "
                                  "else assignments/ of the clone you are in)")
def main(course: Path | None) -> None:
    """Release, check, grade and validate the deep-learning unit's assignments."""
    from autograder.shortlived import idle_blas_threads_sleep, no_collections_at_exit

    no_collections_at_exit()  # a command's last collections over numpy, pytest and matplotlib: 0.1 s
    idle_blas_threads_sleep()  # before numpy loads, here and in the grading processes this starts


@main.command()
@assignment_option()
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="folder to write the grading results into")
@click.option("--jobs", type=click.IntRange(min=1), default=DEFAULT_JOBS, show_default=True,
              help="submissions graded at once")
@click.option("--resume", is_flag=True,
              help="skip students already graded whose submission has not changed since")
@click.option("--executor", type=click.Choice(["local", "dask"]), default=None,
              help="local: a process pool of --jobs (default); dask: an existing Dask cluster, the one "
                   "--scheduler names or $DASK_SCHEDULER_ADDRESS")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="grade on an existing Dask cluster through its scheduler, e.g. tcp://10.0.0.5:8786 "
                   "(pip install 'dl-gradekit[dask]'); results are written here")
@click.option("--isolation", type=click.Choice(["sandbox", "none"]), default="sandbox", show_default=True,
              help="none: run the submissions without a sandbox, as you, with nothing confined (only for "
                   "files you trust, where no sandbox can run)")
@click.option("--similarity", is_flag=True,
              help="also compare the submissions with each other for copied code: OUT/similarity.html, and the "
                   "pairs under \"needs a look\" in the report (see: autograder similarity --help)")
@click.argument("submissions", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def grade(assignment_id: str, out_dir: Path, jobs: int, resume: bool, executor: str | None,
          scheduler: str | None, isolation: str, similarity: bool, submissions: tuple[Path, ...]) -> None:
    """Grade SUBMISSIONS (.py, .ipynb, folders or .zip) in the sandbox; a folder of students (one
    sub-folder or file each, or a Canvas, Moodle, Blackboard or Gradescope download) grades each of them."""
    from autograder.shortlived import rare_collections

    with rare_collections():  # the imports before the pool forks make objects that nearly all stay alive
        _grade(assignment_id, out_dir, jobs, resume, executor, scheduler, isolation, similarity, submissions)


def _grade(assignment_id: str, out_dir: Path, jobs: int, resume: bool, executor: str | None,
           scheduler: str | None, isolation: str, similarity: bool, submissions: tuple[Path, ...]) -> None:
    from autograder.cli_common import make_executor
    from autograder.lms.download_layout import LayoutError, submissions_to_grade
    from autograder.views import fail, grade_with_progress, grading_isolation

    if isolation == "none" and (scheduler is not None or executor == "dask"):
        fail("--isolation none grades on this machine only (a Dask cluster's workers keep their sandbox); "
             "drop --executor dask and --scheduler, or --isolation none")
    grading_isolation("none" if isolation == "none" else "sandbox")
    assignment = load_assignment(assignment_id)
    try:
        todo, notes = submissions_to_grade(list(submissions), assignment.module)
        unreadable = ""
    except LayoutError as err:
        todo, notes, unreadable = {}, [], str(err)  # said after the course's own set-up is checked
    if todo and not resume and scheduler is None and executor != "dask":
        from autograder.grading.warm import start_sandboxes_ahead

        start_sandboxes_ahead(assignment, min(jobs, len(todo)), first_only=True)  # boots as the grading code loads
    from autograder.questions.cli import preflight_grading

    preflight_grading(assignment)
    if unreadable:
        fail(unreadable)
    from autograder.escaping import terminal_plain

    for note in notes:  # a folder read as a batch says how it was read: never a silent guess
        click.echo(terminal_plain(f"reading {note}", one_line=True), err=True)
    report = grade_with_progress(assignment, todo, out_dir, jobs=jobs, resume=resume,
                                 executor=make_executor(executor, scheduler, jobs))
    if similarity:
        from autograder.integrity.view import similarity_with_report

        similarity_with_report(assignment, todo, out_dir)
    sys.exit(0 if report.all_graded else 1)


@main.command()
@assignment_option()
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="folder to write similarity.html and similarity.json into; when it holds the graded batch "
                   "(grade --out), its report lists the pairs too")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=Settings().threshold, show_default=True,
              metavar="X", help="list pairs whose score (the larger share of matched code) is at least X")
@click.option("--against", "against", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              metavar="ARCHIVE", help="also compare with the submissions kept in ARCHIVE (earlier terms, known "
                                      "public solutions): each .py, .ipynb, .zip or module folder in it")
@click.argument("submissions", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def similarity(assignment_id: str, out_dir: Path, threshold: float, against: Path | None,
               submissions: tuple[Path, ...]) -> None:
    """Compare SUBMISSIONS (.py, .ipynb, folders, .zip, or a folder of students) for copied code,
    beyond the released stub and public tests; nothing is run."""
    from autograder.integrity.view import similarity_with_report
    from autograder.lms.download_layout import LayoutError, submissions_to_grade
    from autograder.views import fail

    assignment = load_assignment(assignment_id)
    try:
        todo, _ = submissions_to_grade(list(submissions), assignment.module)
    except LayoutError as err:
        fail(str(err))
    similarity_with_report(assignment, todo, out_dir, threshold=threshold, against=against)


@main.command()
@click.option("--assignment", "assignment_id", default=None, metavar="ID",
              help="the assignment to report on, when FOLDER holds results of several")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def report(assignment_id: str | None, folder: Path) -> None:
    """Write FOLDER/report.html and FOLDER/summary.json for a batch graded with --out FOLDER."""
    from autograder.views import report_with_summary

    sys.exit(report_with_summary(folder, assignment_id))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["canvas", "moodle", "csv"]), required=True,
              help="canvas: Canvas's gradebook import CSV; moodle: Moodle's offline grading worksheet; "
                   "csv: a plain table (roster columns, score, status, one column per skill)")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="the course's students, a UTF-8 CSV with some of the columns id (Canvas ID, Moodle "
                   "Identifier), name (Student, Full name), sis_id (SIS User ID), login (SIS Login ID, "
                   "username), email, section, submission (the id the batch gave the student); Canvas's "
                   "gradebook export and Moodle's grading worksheet are rosters as downloaded (needed for "
                   "canvas and moodle)")
@click.option("--assignment", "assignment_id", default=None, metavar="ID",
              help="the assignment to export, when FOLDER holds results of several")
@click.option("--title", default=None, help="the Canvas column's assignment name (default: the assignment's title)")
@click.option("--lms-id", "lms_id", default=None, metavar="N",
              help="Canvas's id of the assignment: the column is 'TITLE (N)', as Canvas's export names it "
                   "(without it Canvas imports the column as a new assignment)")
@click.option("--long", "long_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="also write the long per-skill CSV (student_id, skill, points, max_points)")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="the CSV file to write")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def export(fmt: str, roster: Path | None, assignment_id: str | None, title: str | None, lms_id: str | None,
           long_out: Path | None, out: Path, folder: Path) -> None:
    """Write the grades of FOLDER (a batch graded with --out FOLDER) for an LMS to import, one row per
    roster student; students without a submission are rows marked missing, and graded students not on
    the roster are named on stderr."""
    from typing import cast

    from autograder.escaping import terminal_plain
    from autograder.lms.grade_export import ExportError, Format, export_grades
    from autograder.views import fail
    from autograder.wording import plural

    try:
        done = export_grades(folder, cast("Format", fmt), out, roster=roster, assignment_id=assignment_id,
                             title=title, lms_assignment=lms_id, long_out=long_out)
    except ExportError as err:
        fail(str(err))
    for note in done.notes:
        click.echo(terminal_plain(note, one_line=True), err=True)
    for student, why in done.matched.unknown:  # graded, but no row of the roster: never dropped silently
        click.echo(terminal_plain(f"warning: {student} is graded but {why}", one_line=True), err=True)
    missing = done.matched.missing
    click.echo(f"wrote {terminal_plain(str(out), one_line=True)}: {plural(len(done.matched.rows), 'student')}, "
               f"{len(missing)} missing (no submission), {len(done.matched.unknown)} graded but not on the roster")
    if done.long_out is not None:
        click.echo(f"wrote {terminal_plain(str(done.long_out), one_line=True)}: one row per student and skill")


@main.command()
@click.option("--assignment", "assignment_id", default=None, metavar="ID",
              help="assignment id; by default, the one whose module matches FILE's name")
@click.option("--isolation", type=click.Choice(["auto", "sandbox", "none"]), default="auto", show_default=True,
              help="auto: the sandbox where one can run (Linux), else none: your file runs as a plain "
                   "process of your own machine, with the same tests and time limits")
@click.argument("file", type=click.Path(path_type=Path))
def check(assignment_id: str | None, isolation: str, file: Path) -> None:
    """Run the public tests on FILE in the sandbox (where none can run, on your own machine) and
    show a friendly report; for answers.toml (a question sheet), say which questions are answered,
    blank or written in a form the grader cannot mark."""
    if file.suffix.casefold() == ".toml":  # a question sheet's answers: checked for form only
        from autograder.questions.cli import check_answers_file

        sys.exit(check_answers_file(file))
    from autograder.views import check_with_report

    status = check_with_report(file, assignment_id, course=given_course(),
                               isolation="none" if isolation == "none" else "sandbox" if isolation == "sandbox"
                               else None)
    sys.exit(status)


@main.command()
@assignment_option()
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="folder to write the student release into (OUT/ID/)")
@click.option("--overwrite", is_flag=True, help="replace an existing release folder")
@click.option("--install", "install", default=None, metavar="SPEC",
              help="what the release's README.md tells students to pip install: a requirement, or the "
                   "wheel or sdist you hand out (default: the kit's own wheel, written into OUT/ID/wheels/)")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="CSV of student ids: also write each one's question sheet (questions.toml) to OUT/ID-sheets/")
@click.option("--student", "student_ids", multiple=True, metavar="ID",
              help="also write this student's question sheet (repeatable)")
def release(assignment_id: str, out_dir: Path, overwrite: bool, install: str | None, roster: Path | None,
            student_ids: tuple[str, ...]) -> None:
    """Build the student release: stub .py, notebook, public tests, README.md and assignment.toml."""
    from autograder.questions.cli import preflight_sheets, release_student_sheets, students_of
    from autograder.views import release_with_report

    assignment = load_assignment(assignment_id)
    students = students_of(roster, student_ids)
    if students:
        preflight_sheets(assignment)
    release_with_report(assignment, out_dir, overwrite=overwrite, install=install)
    if students:
        release_student_sheets(assignment, out_dir, students)


@main.command()
@assignment_option()
@click.option("--quick", is_flag=True,
              help="only the solution, the stub and the public suite (no chaffs, wheats or floor)")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--record-timing", is_flag=True,
              help="record how long the solution took: submissions get 20x that (at least 30 s)")
@click.option("--isolation", type=click.Choice(["sandbox", "none"]), default="sandbox", show_default=True,
              help="none: run the assignment's own files (solution, stub, chaffs, wheats) without a sandbox, "
                   "as you, where no sandbox can run")
def validate(assignment_id: str, quick: bool, as_json: bool, record_timing: bool, isolation: str) -> None:
    """Check an assignment: the solution scores 100%, the stub 0, every chaff loses points and is
    diagnosed, every wheat scores 100%, every submission that does nothing stays under the floor."""
    from autograder.views import fail, grading_isolation, validate_with_report

    if isolation == "none" and record_timing:
        fail("--record-timing measures the solution in the sandbox the submissions run in: "
             "drop --isolation none, or --record-timing")
    grading_isolation("none" if isolation == "none" else "sandbox")
    assignment = load_assignment(assignment_id)
    ok = validate_with_report(assignment, trials=not quick, as_json=as_json, record_timing=record_timing)
    from autograder.questions.cli import validate_sheet

    sys.exit(0 if validate_sheet(assignment, as_json=as_json) and ok else 1)


if __name__ == "__main__":
    main()
