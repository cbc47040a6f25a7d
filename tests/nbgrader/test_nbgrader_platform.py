"""The pieces of ``autograder nbgrader``: the course notebook, the in-kernel checks, the test cells'
outputs as nbgrader reads them, and ``place``/``collect``.

nbgrader itself is the judge wherever it can be: its ``MetadataValidator``, its
``compute_checksum``, its ``LockCells`` preprocessor and its ``determine_grade``.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import pytest
from click.testing import CliRunner

from autograder.assignment import Assignment, available_assignments, get_assignment
from autograder.cli import main as cli
from autograder.platforms.kernel import AUTOGRADE, EXECUTION_ENV, ChecksFailed, check_skill
from autograder.platforms.nbgrader_course import CourseError, nbgrader_available
from autograder.platforms.nbgrader_place import collect, place
from autograder.platforms.nbgrader_source import CHECK_IMPORT, course_notebook, skill_grade_id
from autograder.release import release_assignment, solution_source
from autograder.release.nbgrader_cells import nbgrader_checksum
from autograder.release.regions import HIDDEN_TESTS
from tests.grading.builders import outcome, result

needs_nbgrader = pytest.mark.skipif(not nbgrader_available(), reason="nbgrader is not installed")


# -- the course notebook --------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=available_assignments())
def built(request: pytest.FixtureRequest) -> tuple[Assignment, nbformat.NotebookNode]:
    assignment = get_assignment(request.param)
    return assignment, course_notebook(assignment)


def _graded(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]


@needs_nbgrader
def test_course_notebook_metadata_is_valid_schema_3(built: tuple[Assignment, Any]) -> None:
    from nbgrader.nbgraderformat import MetadataValidator

    assignment, notebook = built
    MetadataValidator().validate_nb(notebook)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids))
    assert {c.metadata["nbgrader"]["schema_version"] for c in notebook.cells if "nbgrader" in c.metadata} == {3}


def test_one_test_cell_per_skill_worth_its_points(built: tuple[Assignment, Any]) -> None:
    """A cell per skill of the manifest, and per skill of the question sheet of an assignment that has
    one (their points add up to the manifest's questions_points)."""
    from autograder.questions.graded import SHEET_SKILLS

    assignment, notebook = built
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in _graded(notebook)}
    sheet = {skill_grade_id(s) for s in SHEET_SKILLS} if assignment.questions_points else set()
    assert set(cells) == {skill_grade_id(s.name) for s in assignment.credit.skills} | sheet
    assert sum(c.metadata["nbgrader"]["points"] for c in cells.values()) == pytest.approx(
        assignment.total_points + assignment.questions_points)
    for grade_id in sheet:
        call = f'check_sheet("{assignment.id}", "{grade_id.removeprefix("test_")}", globals())'
        assert call in cells[grade_id].source
    for skill in assignment.credit.skills:
        cell = cells[skill_grade_id(skill.name)]
        assert cell.metadata["nbgrader"]["points"] == skill.points
        assert CHECK_IMPORT in cell.source
        assert f'check_skill("{assignment.id}", "{skill.name}", globals())' in cell.source
    text = nbformat.writes(notebook)
    assert not any(word in text for word in HIDDEN_TESTS.words())


def test_each_check_comes_after_the_functions_it_calls() -> None:
    """Run top to bottom in a kernel, every check finds its functions: executed cell by cell
    with the solution, each test cell passes where it stands (the hidden suite, as autograde runs
    it; the other assignments go through nbgrader's own autograde in test_nbgrader_course)."""
    notebook = course_notebook(get_assignment("activations"))
    namespace: dict[str, Any] = {}
    previous = os.environ.get(EXECUTION_ENV)
    os.environ[EXECUTION_ENV] = AUTOGRADE
    try:
        for cell in notebook.cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, "<cell>", "exec"), namespace)  # noqa: S102
    finally:
        if previous is None:
            os.environ.pop(EXECUTION_ENV)
        else:
            os.environ[EXECUTION_ENV] = previous


@needs_nbgrader
def test_checksums_and_locks_are_nbgraders(built: tuple[Assignment, Any]) -> None:
    from nbgrader.preprocessors import LockCells
    from nbgrader.utils import compute_checksum

    _, notebook = built
    for cell in notebook.cells:
        if "checksum" in cell.metadata.get("nbgrader", {}):
            assert cell.metadata["nbgrader"]["checksum"] == compute_checksum(cell) == nbgrader_checksum(cell)
    locked, _ = LockCells().preprocess(copy.deepcopy(notebook), {})
    assert [c.metadata for c in locked.cells] == [c.metadata for c in notebook.cells]
    assert all(c.metadata.get("editable") is False and c.metadata.get("deletable") is False
               for c in _graded(notebook))


# -- the checks in a kernel -------------------------------------------------------------------------------

PARTLY = '''
def sigmoid_derivative(x):
    return sigmoid(x)
'''


@pytest.fixture(scope="module")
def release_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assignment = get_assignment("activations")
    out = tmp_path_factory.mktemp("release")
    release_assignment(assignment, out)
    folder = out / assignment.id
    (folder / "partly.py").write_text(solution_source(assignment) + PARTLY, encoding="utf-8")
    return folder


def _lines_of(text: str, skill: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"^[✓✗] {skill} \(", line))
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"^[✓✗] \S", lines[i])), len(lines))
    return [line.rstrip() for line in lines[start:end]]


def test_a_failing_cell_prints_what_check_prints(release_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1", "TERM": "dumb"}
    done = subprocess.run([sys.executable, "-m", "autograder", "check", "partly.py"], cwd=release_folder,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    namespace: dict[str, Any] = {}
    exec(compile((release_folder / "partly.py").read_text(), "partly.py", "exec"), namespace)  # noqa: S102
    monkeypatch.chdir(release_folder)
    monkeypatch.delenv(EXECUTION_ENV, raising=False)
    with pytest.raises(ChecksFailed) as failed:
        check_skill("activations", "sigmoid_derivative", namespace)
    assert str(failed.value).splitlines() == _lines_of(done.stdout, "sigmoid_derivative")
    assert check_skill("activations", "sigmoid", namespace) is None  # passing: no value, full marks


def test_under_autograde_the_hidden_checks_give_partial_credit(release_folder: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assignment = get_assignment("activations")
    namespace: dict[str, Any] = {}
    source = solution_source(assignment) + '''
def relu(x):
    return np.maximum(x, 0)  # ints stay ints: the int-input contract fails, the values are right
'''
    exec(compile(source, "partly.py", "exec"), namespace)  # noqa: S102
    monkeypatch.chdir(release_folder)  # the release's public suite is there; autograde must not use it
    monkeypatch.setenv(EXECUTION_ENV, AUTOGRADE)
    monkeypatch.setenv("AUTOGRADER_COURSE", str(assignment.root.parent))
    earned = check_skill("activations", "relu", namespace)
    assert earned is not None and 0 < earned < 6
    assert "accepts_int_input[relu" in capsys.readouterr().out
    with pytest.raises(ChecksFailed, match=r"✗ sigmoid_derivative \(0/14\)"):
        exec(compile(PARTLY, "partly.py", "exec"), namespace)  # noqa: S102
        check_skill("activations", "sigmoid_derivative", namespace)


def test_the_kernel_student_keeps_the_sandboxs_data_discipline() -> None:
    import numpy as np

    from autograder.platforms.kernel import KernelStudent
    from autograder.sandbox import InputChanged, StudentRaised

    def scale(x: Any) -> Any:
        x *= 2
        return x

    def boom(x: Any) -> Any:
        raise ValueError("kaboom")

    class Liar(float):
        def __eq__(self, other: object) -> bool:
            return True

    student = KernelStudent({"scale": scale, "boom": boom, "liar": lambda: Liar(1.0), "np": np})
    values = np.array([1.0, 2.0])
    assert student.scale(values).tolist() == [2.0, 4.0] and values.tolist() == [1.0, 2.0]  # a copy went in
    with pytest.raises(InputChanged):
        student.with_options(readonly_inputs=True).scale(values)
    with pytest.raises(StudentRaised, match="ValueError: kaboom"):
        student.boom(1)
    assert type(student.liar()) is float  # plain data only, never the student's object
    assert not student.has("missing") and not student.has("_private")


# -- the test cells' outputs, read by nbgrader ------------------------------------------------------------

@needs_nbgrader
def test_cell_outputs_are_read_by_nbgrader_as_the_kits_points() -> None:
    from nbgrader.utils import determine_grade

    from autograder.platforms.nbgrader_autograde import cell_outputs

    assignment = get_assignment("activations")
    full = outcome("sigmoid[values]", "sigmoid", 14.0)
    partial = [outcome("relu[values]", "relu", 4.8), outcome("accepts_int_input[relu]", "relu", 1.2,
                                                             passed=False, message="int stays int")]
    zero = outcome("elu[values]", "elu", 5.0, passed=False, message="wrong")
    graded = result(full, *partial, zero)

    def points(res: Any, skill: str, cell_points: float) -> float | None:
        cell = nbformat.v4.new_code_cell("check_skill(...)")
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": f"test_{skill}",
                                     "points": cell_points, "locked": True, "schema_version": 3}
        cell.outputs = cell_outputs(assignment, res, skill, cell_points)
        return determine_grade(cell)[0]

    assert points(graded, "sigmoid", 14.0) == 14.0
    assert points(graded, "relu", 6.0) == pytest.approx(4.8)
    assert points(graded, "relu", 12.0) == pytest.approx(9.6)  # scaled to the cell's points
    assert points(graded, "elu", 5.0) == 0
    assert points(result(error="SyntaxError: invalid syntax (line 3)", error_kind="submission"), "elu", 5.0) == 0
    assert points(result(full, error="kit", error_kind="grader"), "sigmoid", 14.0) == 0  # and flagged for review


# -- place and collect ------------------------------------------------------------------------------------

@pytest.fixture
def activations() -> Assignment:
    return get_assignment("activations")


def _notebook_bytes(marker: str) -> bytes:
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(f"# {marker}"))
    return nbformat.writes(notebook).encode()


def test_place_stores_each_notebook_under_the_gradebooks_name(tmp_path: Path, activations: Assignment) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "alice.ipynb").write_bytes(_notebook_bytes("alice"))
    folder = tmp_path / "in" / "bob"
    folder.mkdir()
    (folder / "Activations (1).ipynb").write_bytes(_notebook_bytes("bob"))
    (folder / "notes.txt").write_text("extra")
    (folder / ".ipynb_checkpoints").mkdir()
    course = tmp_path / "course"
    placed = place(course, activations, [tmp_path / "in" / "alice.ipynb", folder], timestamp="2025-01-11 12:00:00 UTC")
    assert [p.student for p in placed] == ["alice", "bob"]
    bob = course / "submitted" / "bob" / "activations"
    assert sorted(p.name for p in bob.iterdir()) == ["activations.ipynb", "notes.txt", "timestamp.txt"]
    assert (bob / "timestamp.txt").read_text() == "2025-01-11 12:00:00 UTC\n"
    assert "stored as activations.ipynb" in placed[1].notes[0]
    (tmp_path / "in" / "alice.ipynb").write_bytes(_notebook_bytes("alice, again"))
    with pytest.raises(CourseError, match="--force"):
        place(course, activations, [tmp_path / "in" / "alice.ipynb"])
    place(course, activations, [tmp_path / "in" / "alice.ipynb"], overwrite=True)
    assert b"again" in (course / "submitted" / "alice" / "activations" / "activations.ipynb").read_bytes()
    with pytest.raises(CourseError, match="student id"):
        place(course, activations, [tmp_path / "in" / "alice.ipynb"], student="../evil")
    if nbgrader_available():
        with pytest.raises(CourseError, match="timestamp"):
            place(course, activations, [folder], timestamp="next tuesday-ish", overwrite=True)
    (folder / "timestamp.txt").write_text("2020-01-01 00:00:00 UTC\n")  # the student's own: ignored
    place(course, activations, [folder], overwrite=True)
    assert not (bob / "timestamp.txt").exists()


def test_collect_unpacks_a_zip_of_students_and_refuses_what_could_escape(tmp_path: Path,
                                                                          activations: Assignment) -> None:
    archive = tmp_path / "subs.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("carol.ipynb", _notebook_bytes("carol"))
        bundle.writestr("dave/activations/activations.ipynb", _notebook_bytes("dave"))
        bundle.writestr("dave/activations/timestamp.txt", "2025-01-09 08:00:00 UTC\n")
        bundle.writestr("../evil/activations.ipynb", _notebook_bytes("evil"))
        bundle.writestr("/abs/activations.ipynb", _notebook_bytes("abs"))
        bundle.writestr("__MACOSX/carol.ipynb", b"junk")
    course = tmp_path / "course"
    placed = collect(course, activations, archive)
    assert [p.student for p in placed] == ["carol", "dave"]
    # dave's own timestamp.txt could say any time (dodging the late penalty): ignored unless kept
    assert not (course / "submitted" / "dave" / "activations" / "timestamp.txt").exists()
    assert any("timestamp.txt ignored" in note for note in placed[1].notes)
    collect(course, activations, archive, keep_timestamps=True, overwrite=True)
    assert (course / "submitted" / "dave" / "activations" / "timestamp.txt").read_text().startswith("2025-01-09")
    assert not (tmp_path / "evil").exists() and sorted(p.name for p in (course / "submitted").iterdir()) == \
        ["carol", "dave"]


def test_collect_with_an_lms_pattern(tmp_path: Path, activations: Assignment) -> None:
    archive = tmp_path / "moodle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("erin_1234_assignsubmission_file_/my work.ipynb", _notebook_bytes("erin"))
        bundle.writestr("frank_99_assignsubmission_file_/activations.ipynb", _notebook_bytes("frank"))
    runner = CliRunner()
    done = runner.invoke(cli, ["nbgrader", "collect", str(tmp_path / "course"), str(archive), "--assignment",
                               "activations", "--pattern", r"^(?P<student>[a-z]+)_\d+_assignsubmission"])
    assert done.exit_code == 0, done.output
    assert "erin" in done.output and "frank" in done.output
    assert (tmp_path / "course" / "submitted" / "erin" / "activations" / "activations.ipynb").is_file()
    done = runner.invoke(cli, ["nbgrader", "collect", str(tmp_path / "course"), str(archive), "--assignment",
                               "activations", "--pattern", r"(?P<who>x)"])
    assert done.exit_code == 2 and "student" in done.output  # a bad value: one error line, exit 2


@pytest.mark.parametrize("names, layout, students", [
    ({"doejane_12345_987_activations.ipynb": "jane", "doejane_12345_988_helpers.py": "",
      "smithbob_LATE_222_989_Activations-1.ipynb": "bob"}, "Canvas", ["doejane", "smithbob"]),
    ({"Jane Doe_101_assignsubmission_file_/my work.ipynb": "jane",
      "Bob Smith_222_assignsubmission_file_/activations.ipynb": "bob",
      "Bob Smith_222_assignsubmission_onlinetext_/onlinetext.html": ""}, "Moodle", ["101", "222"]),
], ids=["canvas", "moodle"])
def test_collect_refuses_an_lms_download_without_a_pattern_and_says_one_that_works(
        tmp_path: Path, names: dict[str, str], layout: str, students: list[str]) -> None:
    """Without --pattern, each file or folder name of a download would be a student
    (``doejane_12345_987_activations``): one line, exit 2, nothing placed; the pattern it names places
    each student once."""
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, marker in names.items():
            bundle.writestr(name, _notebook_bytes(marker) if name.endswith(".ipynb") else b"x = 1\n")
    runner = CliRunner()
    course = tmp_path / "course"
    done = runner.invoke(cli, ["nbgrader", "collect", str(course), str(archive), "--assignment", "activations"])
    assert done.exit_code == 2, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and f"is a {layout} download" in lines[0]
    assert not (course / "submitted").exists()
    suggested = re.search(r"--pattern '([^']+)'", lines[0])
    assert suggested is not None, lines[0]
    done = runner.invoke(cli, ["nbgrader", "collect", str(course), str(archive), "--assignment", "activations",
                               "--pattern", suggested.group(1)])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (course / "submitted").iterdir()) == students


# -- grading a course whose gradebook does not know the assignment yet ------------------------------------

PROBE = '''

@pytest.mark.skill("relu")
def test_relu_probe(student):
    if float(student.relu(np.array([3.0]))[0]) == 42.0:
        raise RuntimeError("a bug in the suite, not in the submission")
'''


@pytest.mark.slow
@needs_nbgrader
def test_grade_creates_the_assignment_and_leaves_kit_failures_to_people(tmp_path: Path) -> None:
    """With a tiny hidden suite: init, place, grade (no generate_assignment by hand), export. A
    submission the kit cannot grade gets no automatic score: its cells wait for a manual grade."""
    from nbgrader.api import Gradebook

    from autograder.platforms.nbgrader_course import read_grades, run_nbgrader, write_course
    from autograder.platforms.nbgrader_grade import grade_course
    from autograder.platforms.nbgrader_source import course_notebook as build
    from tests.grading.builders import TINY_POINTS, TINY_SUITE, tiny_assignment
    from tests.nbgrader.test_nbgrader_course import _isolated_env

    tiny = tiny_assignment(tmp_path / "kit", hidden={"test_tiny": TINY_SUITE + PROBE})
    (tmp_path / "tmp").mkdir()
    env = _isolated_env(tmp_path)
    root = tmp_path / "course"
    write_course([tiny], root, kit_course=tiny.root.parent)
    hand_in = tmp_path / "in"
    hand_in.mkdir()
    for student, relu in (("good", None), ("wrong-relu", "return x"), ("kit-fails", "return x * 0 + 42.0")):
        notebook = build(tiny)
        if relu is not None:
            cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "relu")
            cell.source = f"def relu(x):\n    {relu}\n"
        nbformat.write(notebook, hand_in / f"{student}.ipynb")
    place(root, tiny, sorted(hand_in.iterdir()))
    report = grade_course(root, tiny, jobs=1, env=env)
    scores = {s.student: s.score for s in report.students}
    assert scores["good"] == TINY_POINTS and scores["wrong-relu"] == TINY_POINTS - 0.5
    assert not report.all_graded and [s.student for s in report.students if not s.ok] == ["kit-fails"]
    assert (root / "release" / tiny.id / f"{tiny.module}.ipynb").is_file()  # generate_assignment ran
    with Gradebook("sqlite:///" + str(root / "gradebook.db")) as gb:
        grades = gb.find_submission_notebook(tiny.module, tiny.id, "kit-fails").grades
        tests = [g for g in grades if g.name.startswith("test_")]
        assert tests and all(g.auto_score is None and g.needs_manual_grade for g in tests)
    run_nbgrader(root, "export", env=env)
    exported = read_grades(root / "grades.csv")
    assert exported[tiny.id, "good"].score == TINY_POINTS and exported[tiny.id, "good"].max_score == TINY_POINTS
    assert json.loads((root / "autograded" / "good" / tiny.id / f"{tiny.module}.ipynb").read_text())["cells"]
