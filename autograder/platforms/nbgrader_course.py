"""Lay the kit's assignments out as an nbgrader course folder, and drive nbgrader's CLI on it.

nbgrader works on a *course folder* (``CourseDirectory.root``)::

    <root>/nbgrader_config.py                          course root and gradebook location
    <root>/gradebook.db                                nbgrader's database (SQLite)
    <root>/source/<id>/<module>.ipynb                  instructor notebook      (written here)
    <root>/source/<id>/sheets.json                     students' question sheets (written here, --roster)
    <root>/release/<id>/<module>.ipynb                 student notebook         (generate_assignment)
    <root>/submitted/<student>/<id>/<module>.ipynb     a student's submission   (collected / placed)
    <root>/autograded/<student>/<id>/<module>.ipynb    the graded submission    (autograde)
    <root>/grades.csv                                  every score              (export)

This module writes the first rows from the kit's single instructor source
(``autograder.platforms.nbgrader_source.course_notebook``: the instructor
notebook with one checked test cell per skill), so course staff can then run,
in ``<root>``::

    nbgrader generate_assignment <id>
    autograder nbgrader grade <root> --assignment <id>     (or: nbgrader autograde <id>)
    nbgrader export

or ``run_nbgrader(root, "generate_assignment", id, "--force")`` from Python.
``autograder nbgrader init <root>`` (``autograder.platforms.cli``) writes the
folder from the kit's course folder (``autograder.assignment.find_course``).

nbgrader is an optional extra (``pip install dl-gradekit[nbgrader]``): nothing
here imports it. Its CLI runs as a subprocess of the current interpreter.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat
from nbformat import NotebookNode

from autograder.assignment import Assignment
from autograder.files import write_atomically

CONFIG_NAME = "nbgrader_config.py"
GRADEBOOK_NAME = "gradebook.db"
GRADES_CSV_NAME = "grades.csv"
SOURCE_STEP, RELEASE_STEP, SUBMITTED_STEP, AUTOGRADED_STEP = "source", "release", "submitted", "autograded"

STUDENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
"""Student ids become folder names and database keys: letters, digits, ``_`` and ``-`` only."""

DEFAULT_TIMEOUT_S = 600.0

CONFIG_MARKER = "# nbgrader configuration of this course folder, written by autograder nbgrader init."
CONFIG_TEXT = CONFIG_MARKER + '''
# Paths are taken relative to this file, so the folder can be moved or copied.
import os

c = get_config()  # noqa: F821 (defined by traitlets when nbgrader loads this file)

_course_root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = _course_root
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_course_root, "{gradebook}")
{kit_course}
# Late submissions: nbgrader's own plugin. 'none' (the default) records how late a
# submission is without a penalty; 'zero' gives a late notebook 0. Set the due date
# with `nbgrader db assignment add <id> --duedate="2025-05-01 17:00:00 Europe/Berlin"`.
# c.LateSubmissionPlugin.penalty_method = "zero"
'''
KIT_COURSE_TEXT = '''
# The kit's course folder (manifests, hidden suites). The notebooks' test cells run its
# hidden checks when `nbgrader autograde` executes a submission; `autograder nbgrader grade`
# reads its manifests. nbgrader's kernels inherit this environment variable.
os.environ["{env}"] = {path}
'''


class CourseError(ValueError):
    """A course folder that cannot be written as asked (a different notebook already there...)."""


class NbgraderError(RuntimeError):
    """An nbgrader command that failed; the message holds the command and its output."""


@dataclass(frozen=True)
class ExportedGrade:
    """One row of nbgrader's ``grades.csv``: a student's score on one assignment."""

    assignment: str
    student: str
    score: float
    max_score: float


# -- paths ------------------------------------------------------------------------------------------

def _check_student(student: str) -> str:
    if not STUDENT_ID_PATTERN.match(student):
        raise CourseError(f"student id {student!r} may only hold letters, digits, _ and - "
                          "(and must start with a letter or digit)")
    return student


def source_notebook_path(course_root: Path, assignment: Assignment) -> Path:
    """``<root>/source/<id>/<module>.ipynb``: where nbgrader reads the instructor notebook."""
    return Path(course_root) / SOURCE_STEP / assignment.id / f"{assignment.module}.ipynb"


def release_notebook_path(course_root: Path, assignment: Assignment) -> Path:
    """``<root>/release/<id>/<module>.ipynb``: where ``generate_assignment`` writes the student notebook."""
    return Path(course_root) / RELEASE_STEP / assignment.id / f"{assignment.module}.ipynb"


def submission_path(course_root: Path, assignment: Assignment, student: str) -> Path:
    """``<root>/submitted/<student>/<id>/<module>.ipynb``: where ``autograde`` reads a submission.

    Raises ``CourseError`` for a student id that is not a plain folder name.
    """
    return (Path(course_root) / SUBMITTED_STEP / _check_student(student) / assignment.id
            / f"{assignment.module}.ipynb")


def autograded_path(course_root: Path, assignment: Assignment, student: str) -> Path:
    """``<root>/autograded/<student>/<id>/<module>.ipynb``: the notebook ``autograde`` executed."""
    return (Path(course_root) / AUTOGRADED_STEP / _check_student(student) / assignment.id
            / f"{assignment.module}.ipynb")


def gradebook_url(course_root: Path) -> str:
    """The SQLite URL of the course's gradebook (absolute, as ``--db`` expects)."""
    return "sqlite:///" + str((Path(course_root) / GRADEBOOK_NAME).resolve())


# -- writing the course folder ----------------------------------------------------------------------

def _notebook_bytes(notebook: NotebookNode) -> bytes:
    text: str = nbformat.writes(notebook)  # type: ignore[no-untyped-call]
    return text.encode("utf-8") + b"\n"


def read_notebook(path: Path) -> NotebookNode:
    """The notebook in ``path`` as nbformat 4, validated (``nbformat.ValidationError`` otherwise)."""
    notebook: NotebookNode = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    nbformat.validate(notebook)
    return notebook


def config_text(kit_course: Path | None = None) -> str:
    """The ``nbgrader_config.py`` ``init`` writes; ``kit_course`` is the kit's course folder."""
    from autograder.assignment import COURSE_ENV

    kit = "" if kit_course is None else KIT_COURSE_TEXT.format(
        env=COURSE_ENV, path=json.dumps(str(Path(kit_course).resolve())))
    return CONFIG_TEXT.format(gradebook=GRADEBOOK_NAME, kit_course=kit)


RECORDED_COURSE = re.compile(r'^os\.environ\["AUTOGRADER_COURSE"\] = ("(?:[^"\\]|\\.)*")\s*$', re.MULTILINE)
"""The line ``config_text`` writes for the kit's course folder (read back, never executed: the config is code)."""


def recorded_kit_course(course_root: Path) -> Path | None:
    """The kit's course folder ``init`` recorded in ``<course_root>/nbgrader_config.py``, if it did."""
    try:
        text = (Path(course_root) / CONFIG_NAME).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = RECORDED_COURSE.search(text)
    if match is None:
        return None
    try:
        value = json.loads(match.group(1))
    except ValueError:
        return None
    return Path(value) if isinstance(value, str) and value else None


def write_course_config(course_root: Path, kit_course: Path | None = None, *, overwrite: bool = False) -> Path:
    """Write ``<root>/nbgrader_config.py`` unless it exists; return its path.

    The written config sets ``CourseDirectory.root`` to the config's own folder
    and ``CourseDirectory.db_url`` to ``gradebook.db`` in it, so nbgrader run in
    ``<root>`` never falls back to another folder's database, and (given
    ``kit_course``) ``AUTOGRADER_COURSE`` for the kernels of ``nbgrader autograde``.
    An existing config is the course staff's and is left exactly as it is, unless it
    is one ``init`` wrote and ``overwrite`` is set.
    """
    path = Path(course_root) / CONFIG_NAME
    ours = path.is_file() and path.read_text(encoding="utf-8", errors="replace").startswith(CONFIG_MARKER)
    if not path.exists() or (overwrite and ours):
        write_atomically(path, config_text(kit_course).encode("utf-8"))
    return path


def _write_notebook(path: Path, notebook: NotebookNode, *, overwrite: bool) -> Path:
    return _write_file(path, _notebook_bytes(notebook), overwrite=overwrite)


def _write_file(path: Path, data: bytes, *, overwrite: bool) -> Path:
    if path.exists() and not path.is_file():
        raise CourseError(f"{path} exists and is not a file")
    if path.is_file() and path.read_bytes() != data and not overwrite:
        raise CourseError(f"{path} exists and differs from what the kit builds; "
                          "pass overwrite=True (--force) to replace it")
    if not path.is_file() or path.read_bytes() != data:
        write_atomically(path, data)
    return path


@dataclass
class CourseFiles:
    """What ``init`` writes for one assignment: the notebook and the files released beside it."""

    assignment: Assignment
    files: dict[Path, bytes] = field(default_factory=dict)

    def conflicts(self) -> list[Path]:
        """Existing files that differ from what would be written."""
        return [p for p, data in self.files.items()
                if p.exists() and (not p.is_file() or p.read_bytes() != data)]


def course_files(assignment: Assignment, course_root: Path, roster: Sequence[str] = ()) -> CourseFiles:
    """Everything ``source/<id>/`` gets: ``<module>.ipynb`` (``course_notebook``) and, beside it,
    ``assignment.toml``, ``POINTS.md`` and the public suite in ``tests/`` (nbgrader releases them
    with the notebook; the test cells run them for students), and for an assignment with a question
    sheet and a ``roster``, ``sheets.json`` (each rostered student's public sheet,
    ``autograder.platforms.nbgrader_sheet``; the course secret from the environment). Checked for
    leaks of solutions and hidden tests as the kit's own release is (``autograder.release.LeakError``)."""
    from autograder.platforms.nbgrader_sheet import SHEETS_NAME, released_sheets
    from autograder.platforms.nbgrader_source import course_notebook, released_files
    from autograder.questions.graded import has_sheet
    from autograder.release import LeakError, find_leaks

    beside = released_files(assignment)
    if roster and has_sheet(assignment):
        from autograder.questions.api import course_secret, load_config
        from autograder.questions.config import QuestionsError
        from autograder.questions.variant import VariantError

        try:
            secret = course_secret(load_config(assignment))
            beside[PurePosixPath(SHEETS_NAME)] = released_sheets(assignment, roster, secret)
        except (QuestionsError, VariantError) as err:
            raise CourseError(f"{assignment.id}: {err}") from None
    leaks = find_leaks(assignment, beside)
    if leaks:
        raise LeakError(f"{assignment.id}: would release secrets to source/: " + "; ".join(leaks))
    folder = source_notebook_path(course_root, assignment).parent
    result = CourseFiles(assignment)
    result.files[source_notebook_path(course_root, assignment)] = _notebook_bytes(course_notebook(assignment))
    for relative, data in sorted(beside.items()):
        result.files[folder.joinpath(*PurePosixPath(relative).parts)] = data
    return result


def write_course_source(assignment: Assignment, course_root: Path, *, overwrite: bool = False,
                        kit_course: Path | None = None, roster: Sequence[str] = ()) -> Path:
    """Write the course notebook of ``assignment`` where nbgrader reads it; return its path.

    Writes ``course_files`` (``source/<id>/<module>.ipynb`` and the files beside
    it) and ``<root>/nbgrader_config.py`` if missing (``write_course_config``).
    Writing the same files again is a no-op; an existing *different* file
    raises ``CourseError`` unless ``overwrite``, and then nothing is written.
    Source errors of the assignment propagate as ``autograder.release.ReleaseError``.
    """
    return write_course([assignment], course_root, overwrite=overwrite, kit_course=kit_course, roster=roster)[0]


def write_course(assignments: Iterable[Assignment], course_root: Path, *,
                 overwrite: bool = False, kit_course: Path | None = None, roster: Sequence[str] = ()) -> list[Path]:
    """``write_course_source`` for each assignment; every file is built and checked before any
    is written. The notebooks' paths, in order."""
    planned = [course_files(a, course_root, roster) for a in assignments]
    conflicts = [p for plan in planned for p in plan.conflicts()]
    if conflicts and not overwrite:
        listed = ", ".join(str(p) for p in conflicts[:5]) + (" ..." if len(conflicts) > 5 else "")
        raise CourseError(f"{len(conflicts)} file(s) exist and differ from what the kit builds: {listed}; "
                          "pass overwrite=True (--force) to replace them")
    write_course_config(course_root, kit_course, overwrite=overwrite)
    for plan in planned:
        for path, data in plan.files.items():
            _write_file(path, data, overwrite=True)
    return [source_notebook_path(course_root, plan.assignment) for plan in planned]


def place_submission(course_root: Path, assignment: Assignment, student: str,
                     notebook: NotebookNode | Path, *, overwrite: bool = False) -> Path:
    """Put ``student``'s notebook (a ``NotebookNode`` or a ``.ipynb`` file) where ``autograde`` reads it.

    Without a collect step this is how a submission enters the course folder:
    ``submitted/<student>/<id>/<module>.ipynb``. A file is read and validated as
    a notebook first (``nbformat.ValidationError`` / ``OSError`` otherwise).
    An existing different submission raises ``CourseError`` unless ``overwrite``.
    """
    content = read_notebook(notebook) if isinstance(notebook, Path) else notebook
    return _write_notebook(submission_path(course_root, assignment, student), content,
                           overwrite=overwrite)


# -- points and grades ------------------------------------------------------------------------------

def graded_cell_points(notebook: NotebookNode) -> dict[str, float]:
    """Points of every autograded cell (nbgrader ``grade: true``), by ``grade_id``."""
    points: dict[str, float] = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            points[str(meta["grade_id"])] = float(meta.get("points", 0.0))
    return points


def notebook_max_score(notebook: NotebookNode) -> float:
    """What nbgrader counts as full marks for ``notebook``: the sum of its graded cells' points."""
    return sum(graded_cell_points(notebook).values())


def read_grades(csv_path: Path) -> dict[tuple[str, str], ExportedGrade]:
    """The rows of ``nbgrader export``'s CSV, by ``(assignment, student)``.

    Reads the ``assignment``, ``student_id``, ``score`` and ``max_score``
    columns of nbgrader's CSV exporter; a file without them raises ``CourseError``.
    """
    with Path(csv_path).open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        needed = {"assignment", "student_id", "score", "max_score"}
        missing = needed - set(reader.fieldnames or ())
        if missing:
            raise CourseError(f"{csv_path}: no column(s) {sorted(missing)} in {reader.fieldnames}")
        return {(row["assignment"], row["student_id"]):
                ExportedGrade(row["assignment"], row["student_id"], float(row["score"]),
                              float(row["max_score"]))
                for row in reader}


# -- running nbgrader -------------------------------------------------------------------------------

def nbgrader_available() -> bool:
    """Whether nbgrader is installed for this interpreter (checked without importing it)."""
    return importlib.util.find_spec("nbgrader") is not None


def nbgrader_command(*args: str) -> list[str]:
    """The command line running nbgrader with ``args`` under the current interpreter."""
    return [sys.executable, "-m", "nbgrader", *args]


def nbgrader_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) with this interpreter's scripts folder first on ``PATH``.

    nbgrader's gradebook runs the ``alembic`` script by name, so it must be on
    ``PATH`` even when the virtualenv that holds nbgrader is not activated.
    """
    env = dict(os.environ if base is None else base)
    scripts = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([scripts, *[p for p in env.get("PATH", "").split(os.pathsep) if p]])
    return env


def run_nbgrader(course_root: Path, *args: str, env: Mapping[str, str] | None = None,
                 timeout_s: float = DEFAULT_TIMEOUT_S, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``nbgrader <args>`` in ``course_root`` and return the finished process (output captured).

    ``env`` is passed through ``nbgrader_environment``. nbgrader reads
    ``<root>/nbgrader_config.py`` because it runs in ``<root>``. With ``check``
    (the default) a non-zero exit raises ``NbgraderError`` holding the command,
    its exit code and its output; a run longer than ``timeout_s`` raises
    ``subprocess.TimeoutExpired``.
    """
    command = nbgrader_command(*args)
    done = subprocess.run(command, cwd=course_root, env=nbgrader_environment(env), capture_output=True,
                          text=True, timeout=timeout_s, stdin=subprocess.DEVNULL, check=False)
    if check and done.returncode != 0:
        raise NbgraderError(describe_run(done))
    return done


def describe_run(done: subprocess.CompletedProcess[str]) -> str:
    """A finished nbgrader run as text: the command, its exit code, stdout and stderr."""
    command = done.args if isinstance(done.args, str) else " ".join(map(str, done.args))
    return (f"$ {command}\nexit code {done.returncode}\n--- stdout ---\n{done.stdout}"
            f"\n--- stderr ---\n{done.stderr}")
