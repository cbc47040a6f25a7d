"""The kit's assignments as an nbgrader course, checked with nbgrader's REAL command line.

The slow tests build one course folder per bundled assignment and run, as
subprocesses of this interpreter, in that folder (its ``nbgrader_config.py``
sets the course root and the gradebook)::

    python -m nbgrader generate_assignment <id> --force
    python -m nbgrader autograde <id> --force
    python -m nbgrader export

with two submissions in ``submitted/``: ``full-marks`` hands in the
course notebook (solutions in place), ``stub`` the notebook nbgrader
released (every solution is ``raise NotImplementedError()``). This is the
in-kernel route: nbgrader executes the notebooks, and their test cells run the
kit's hidden checks in the kernel. HOME and the Jupyter/IPython folders point
into the test's temporary folder, so nothing touches ``~``. The fast tests
check the folder-writing functions alone.
"""

from __future__ import annotations

import csv
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import CompletedProcess

import nbformat
import pytest
from nbformat import NotebookNode
from traitlets.config import Config

from autograder.assignment import Assignment, available_assignments, get_assignment
from autograder.platforms.nbgrader_course import (
    CONFIG_NAME,
    GRADEBOOK_NAME,
    GRADES_CSV_NAME,
    CourseError,
    autograded_path,
    describe_run,
    gradebook_url,
    graded_cell_points,
    nbgrader_available,
    nbgrader_command,
    nbgrader_environment,
    notebook_max_score,
    place_submission,
    read_grades,
    read_notebook,
    release_notebook_path,
    run_nbgrader,
    source_notebook_path,
    submission_path,
    write_course_config,
    write_course_source,
)
from autograder.platforms.nbgrader_source import course_notebook
from autograder.release import (
    instructor_notebook,
    solution_source,
    stub_source,
    student_notebook,
)
from autograder.release.clearing import clear_hidden_tests, clear_solutions
from autograder.release.regions import (
    ALL_MARKERS,
    HIDDEN_TESTS,
    SOLUTION,
    regions,
    remove_regions,
)

FULL, STUB = "full-marks", "stub"
STEP_TIMEOUT_S = 300.0
MIN_DISTINCTIVE_CHARS = 12

needs_nbgrader = pytest.mark.skipif(
    not nbgrader_available(),
    reason="nbgrader is not installed for this interpreter: pip install -e '.[test]' (or '.[nbgrader]') "
           "to run the nbgrader CLI tests")


# -- helpers ----------------------------------------------------------------------------------------

def _isolated_env(scratch: Path) -> dict[str, str]:
    """The environment with HOME, Jupyter's and IPython's folders inside ``scratch``."""
    home = scratch / "home"
    env = dict(os.environ)
    env.update({
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(scratch / "jupyter-runtime"),
        "IPYTHONDIR": str(home / ".ipython"),
        "JUPYTER_NO_CONFIG": "1",  # no ~/.jupyter or /etc/jupyter config: only <root>/nbgrader_config.py
        "TMPDIR": str(scratch / "tmp"),  # where JUPYTER_NO_CONFIG's blank config folder is made
        "PYTHONWARNINGS": "ignore",
    })
    return env


def _cells(notebook: NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.split("\n")}


def secret_lines(assignment: Assignment) -> set[str]:
    """Distinctive lines of the solutions and hidden tests, derived from the kit, not typed.

    Solution lines are those of ``solution_source`` missing from ``stub_source``;
    hidden-test lines are the bodies of the hidden regions. Lines that also
    appear outside every region of the instructor notebook, comments and short
    lines (``return s``) are left out: they are no evidence of a leak.
    """
    notebook = instructor_notebook(assignment)
    secret = _lines(solution_source(assignment)) - _lines(stub_source(assignment))
    visible: set[str] = set()
    for cell in notebook.cells:
        secret |= {line.strip() for r in regions(cell.source, HIDDEN_TESTS) for line in r.body}
        outside, _ = remove_regions(cell.source, SOLUTION)
        outside, _ = remove_regions(outside, HIDDEN_TESTS)
        visible |= _lines(outside)
    return {line for line in secret - visible
            if len(line) >= MIN_DISTINCTIVE_CHARS and not line.startswith("#")}


def _test_cells(notebook: NotebookNode) -> dict[str, str]:
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade")}


@dataclass
class CourseRun:
    """One course folder for one assignment and the nbgrader runs made in it, by step."""

    assignment: Assignment
    root: Path
    runs: dict[str, CompletedProcess[str]] = field(default_factory=dict)

    def succeeded(self, step: str) -> CompletedProcess[str]:
        """The run of ``step``, asserting that it happened and exited with 0."""
        assert step in self.runs, f"nbgrader {step} did not run: an earlier step failed ({list(self.runs)})"
        done = self.runs[step]
        assert done.returncode == 0, describe_run(done)
        return done


@pytest.fixture(scope="module", params=available_assignments())
def course(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> CourseRun:
    """A course folder for one assignment, taken through generate_assignment, autograde and export."""
    assignment = get_assignment(request.param)
    scratch = tmp_path_factory.mktemp(f"nbgrader-{assignment.id}")
    run = CourseRun(assignment, scratch / "course")
    env = _isolated_env(scratch)
    (scratch / "tmp").mkdir()
    write_course_source(assignment, run.root, kit_course=assignment.root.parent)

    def step(name: str, *args: str) -> bool:
        run.runs[name] = run_nbgrader(run.root, *args, env=env, timeout_s=STEP_TIMEOUT_S, check=False)
        return run.runs[name].returncode == 0

    if step("generate_assignment", "generate_assignment", assignment.id, "--force"):
        place_submission(run.root, assignment, FULL, source_notebook_path(run.root, assignment))
        place_submission(run.root, assignment, STUB, release_notebook_path(run.root, assignment))
        if step("autograde", "autograde", assignment.id, "--force"):
            step("export", "export")
    return run


# -- nbgrader's CLI ---------------------------------------------------------------------------------

@pytest.mark.slow
@needs_nbgrader
def test_generate_assignment_uses_the_course_config(course: CourseRun) -> None:
    done = course.succeeded("generate_assignment")
    assert release_notebook_path(course.root, course.assignment).is_file(), describe_run(done)
    assert "No nbgrader_config.py file found" not in done.stderr, describe_run(done)
    assert (course.root / GRADEBOOK_NAME).is_file()


@pytest.mark.slow
@needs_nbgrader
def test_released_notebook_has_no_solutions_or_hidden_tests(course: CourseRun) -> None:
    course.succeeded("generate_assignment")
    path = release_notebook_path(course.root, course.assignment)
    text = path.read_text(encoding="utf-8")
    for markers in ALL_MARKERS:
        for word in markers.words():
            assert word not in text, f"{path} still contains {word!r}"
    released = read_notebook(path)
    shown = _lines("\n".join(cell.source for cell in released.cells))
    secrets = secret_lines(course.assignment)
    assert secrets, "no distinctive solution or hidden-test line found: the leak check would be vacuous"
    leaked = sorted(secrets & shown)
    assert not leaked, f"{path} contains solution or hidden-test lines: {leaked}"


@pytest.mark.slow
@needs_nbgrader
def test_released_notebook_is_the_course_notebook_with_solutions_cleared(course: CourseRun) -> None:
    """nbgrader's release equals the kit's own clearing of the course notebook, cell for cell."""
    course.succeeded("generate_assignment")
    released = read_notebook(release_notebook_path(course.root, course.assignment))
    expected = clear_hidden_tests(clear_solutions(course_notebook(course.assignment)))
    assert _cells(released) == _cells(expected)
    # the solution cells are the kit's student notebook's, byte for byte
    solutions = {c.source for c in student_notebook(course.assignment).cells if c.cell_type == "code"}
    assert {c.source for c in released.cells if c.metadata.get("nbgrader", {}).get("solution")} <= solutions


@pytest.mark.slow
@needs_nbgrader
def test_autograde_keeps_the_test_cells_and_finds_every_checksum_unchanged(course: CourseRun) -> None:
    """The test cells hold no hidden test, so generate_assignment and autograde agree on every
    checksum: no "Attribute 'checksum' for cell ... has changed!" (jupyter/nbgrader#1961)."""
    done = course.succeeded("autograde")
    expected = _test_cells(course_notebook(course.assignment))
    assert expected
    for student in (FULL, STUB):
        graded = read_notebook(autograded_path(course.root, course.assignment, student))
        assert _test_cells(graded) == expected, student
    assert "has changed" not in done.stdout + done.stderr, describe_run(done)


@pytest.mark.slow
@needs_nbgrader
def test_export_gives_full_marks_to_the_solution_and_zero_to_the_stub(course: CourseRun) -> None:
    course.succeeded("export")
    csv_path = course.root / GRADES_CSV_NAME
    assert csv_path.is_file()
    grades = read_grades(csv_path)
    source = read_notebook(source_notebook_path(course.root, course.assignment))
    full_marks = sum(float(cell.metadata["nbgrader"]["points"]) for cell in source.cells
                     if cell.metadata.get("nbgrader", {}).get("grade"))
    assert full_marks > 0
    assert notebook_max_score(source) == full_marks
    a = course.assignment.id
    assert set(grades) == {(a, FULL), (a, STUB)}
    # the question sheet is graded by `autograder nbgrader grade` only: in the kernel its cells raise
    # (the course secret never enters a kernel running a student's code), nbgrader's 0
    in_kernel = full_marks - course.assignment.questions_points
    assert (grades[a, FULL].score, grades[a, FULL].max_score) == (in_kernel, full_marks)
    assert (grades[a, STUB].score, grades[a, STUB].max_score) == (0.0, full_marks)


# -- the course folder, without nbgrader ------------------------------------------------------------

@pytest.fixture
def activations() -> Assignment:
    return get_assignment("activations")


def test_write_course_source_uses_nbgraders_layout(tmp_path: Path, activations: Assignment) -> None:
    path = write_course_source(activations, tmp_path)
    assert path == tmp_path / "source" / "activations" / "activations.ipynb"
    written = read_notebook(path)
    nbformat.validate(written)
    assert written == course_notebook(activations)
    assert (tmp_path / CONFIG_NAME).is_file()
    assert notebook_max_score(written) == sum(graded_cell_points(written).values()) == activations.total_points
    beside = {p.relative_to(path.parent).as_posix() for p in path.parent.rglob("*") if p.is_file()}
    assert {"assignment.toml", "POINTS.md", "tests/conftest.py"} <= beside
    assert not any("hidden" in name for name in beside)
    # the figure the notebook shows sits beside it, so generate_assignment releases it too
    assert (path.parent / "activations.png").read_bytes().startswith(b"\x89PNG")


def test_write_course_source_refuses_a_different_notebook(tmp_path: Path, activations: Assignment) -> None:
    path = write_course_source(activations, tmp_path)
    original = path.read_bytes()
    assert write_course_source(activations, tmp_path) == path  # the same notebook: a no-op
    path.write_text(original.decode("utf-8").replace("Sigmoid", "Sigmoïd"), encoding="utf-8")
    with pytest.raises(CourseError, match="overwrite=True"):
        write_course_source(activations, tmp_path)
    assert path.read_bytes() != original  # left alone
    write_course_source(activations, tmp_path, overwrite=True)
    assert path.read_bytes() == original


def test_an_existing_config_is_kept(tmp_path: Path, activations: Assignment) -> None:
    mine = "c = get_config()\nc.CourseDirectory.course_id = 'dl101'\n"
    (tmp_path / CONFIG_NAME).write_text(mine)
    write_course_source(activations, tmp_path)
    assert (tmp_path / CONFIG_NAME).read_text() == mine


def test_the_config_points_nbgrader_at_its_own_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kit_course = tmp_path / "kit course's \"folder\""
    path = write_course_config(tmp_path / "course", kit_course)
    config = Config()
    namespace = {"c": config, "get_config": lambda: config, "__file__": str(path)}
    monkeypatch.setenv("AUTOGRADER_COURSE", "restored after the test")
    exec(compile(path.read_text(), str(path), "exec"), namespace, namespace)  # noqa: S102 (as traitlets loads it)
    root = os.path.dirname(os.path.abspath(path))
    assert config.CourseDirectory.root == root
    assert config.CourseDirectory.db_url == "sqlite:///" + os.path.join(root, GRADEBOOK_NAME)
    assert gradebook_url(tmp_path / "course") == "sqlite:///" + str((tmp_path / "course" / GRADEBOOK_NAME).resolve())
    assert os.environ["AUTOGRADER_COURSE"] == str(kit_course.resolve())  # what nbgrader's kernels inherit


def test_init_rewrites_only_its_own_config(tmp_path: Path) -> None:
    path = write_course_config(tmp_path, tmp_path / "one")
    write_course_config(tmp_path, tmp_path / "two")
    assert str(tmp_path / "one") in path.read_text()  # kept without overwrite
    write_course_config(tmp_path, tmp_path / "two", overwrite=True)
    assert str(tmp_path / "two") in path.read_text()
    path.write_text("c = get_config()\n")
    write_course_config(tmp_path, tmp_path / "three", overwrite=True)
    assert path.read_text() == "c = get_config()\n"  # the staff's own config is never replaced


@pytest.mark.parametrize("student", ["", ".", "..", "../x", "a/b", "-rf", "a b"])
def test_student_ids_must_be_plain_folder_names(tmp_path: Path, activations: Assignment, student: str) -> None:
    with pytest.raises(CourseError):
        submission_path(tmp_path, activations, student)


def test_place_submission_writes_where_autograde_reads(tmp_path: Path, activations: Assignment) -> None:
    path = place_submission(tmp_path, activations, "s-01", student_notebook(activations))
    assert path == tmp_path / "submitted" / "s-01" / "activations" / "activations.ipynb"
    assert read_notebook(path) == student_notebook(activations)
    with pytest.raises(CourseError):
        place_submission(tmp_path, activations, "s-01", instructor_notebook(activations))


def test_read_grades_reads_nbgraders_csv_columns(tmp_path: Path) -> None:
    path = tmp_path / GRADES_CSV_NAME
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name",
                         "email", "raw_score", "late_submission_penalty", "score", "max_score"])
        writer.writerow(["activations", "", "", "s1", "", "", "", "6.0", "0.0", "6.0", "8.0"])
    grades = read_grades(path)
    assert grades["activations", "s1"].score == 6.0 and grades["activations", "s1"].max_score == 8.0
    path.write_text("student,points\ns1,3\n")
    with pytest.raises(CourseError, match="score"):
        read_grades(path)


def test_nbgrader_runs_under_this_interpreter_with_its_scripts_on_path() -> None:
    assert nbgrader_command("export")[:3] == [sys.executable, "-m", "nbgrader"]
    env = nbgrader_environment({"PATH": "/usr/bin"})
    assert env["PATH"].split(os.pathsep) == [str(Path(sys.executable).parent), "/usr/bin"]


def test_init_command_writes_every_assignment(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from autograder.cli import main as cli

    runner = CliRunner()
    done = runner.invoke(cli, ["nbgrader", "init", str(tmp_path)])
    assert done.exit_code == 0, done.output
    for assignment_id in available_assignments():
        assert source_notebook_path(tmp_path, get_assignment(assignment_id)).is_file()
    assert "nbgrader generate_assignment" in done.output
    # Its next steps start with `cd COURSE_DIR`, so the commands after it name the course ".".
    said = next(line for line in done.output.splitlines() if line.startswith("next: "))
    assert said.startswith(f"next: cd {tmp_path} && ") and "autograder nbgrader grade . --assignment" in said
    assert said.count(str(tmp_path)) == 1, said
    done = runner.invoke(cli, ["nbgrader", "init", str(tmp_path), "--assignment", "no-such-assignment"])
    assert done.exit_code == 2 and "no-such-assignment" in done.output
    notebook = source_notebook_path(tmp_path, get_assignment("activations"))
    notebook.write_text(notebook.read_text().replace("Sigmoid", "Sigmoïd"))
    done = runner.invoke(cli, ["nbgrader", "init", str(tmp_path), "--assignment", "activations"])
    assert done.exit_code == 1 and "--force" in done.output
    assert "Sigmoïd" in notebook.read_text()  # nothing overwritten
    done = runner.invoke(cli, ["nbgrader", "init", str(tmp_path), "--assignment", "activations", "--force"])
    assert done.exit_code == 0 and "Sigmoïd" not in notebook.read_text()
