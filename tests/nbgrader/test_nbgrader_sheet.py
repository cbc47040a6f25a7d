"""The vanishing assignment's question sheet through a REAL nbgrader course, one variant per student.

``autograder nbgrader init --roster`` (three students), the REAL ``nbgrader
generate_assignment``, three notebooks placed with ``autograder nbgrader place``:

* ``alice``: the course notebook (the code's solutions) with her own sheet's keys in the answers cell;
* ``bob``: the same with his own keys, and ``path_sum`` written as ``path_1 + path_2``;
* ``carol``: alice's notebook, handed in as hers.

then ``autograder nbgrader grade`` and the REAL ``nbgrader export``. Every command is a subprocess
with HOME and the Jupyter folders in the test's temporary folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from autograder.assignment import Assignment, get_assignment
from autograder.platforms.nbgrader_course import (
    GRADES_CSV_NAME,
    nbgrader_available,
    read_grades,
    release_notebook_path,
    run_nbgrader,
    source_notebook_path,
)
from autograder.platforms.nbgrader_sheet import SHEETS_NAME, sheet_points, student_key
from autograder.questions.answers import PYTHON_CELL
from autograder.questions.api import COPY_SHARE_LIMIT, load_config, student_sheet
from autograder.questions.graded import CONCEPT_SKILL, WORKED_SKILL
from autograder.questions.model import Question
from tests.nbgrader.test_nbgrader_course import _isolated_env

SECRET = "nbgrader sheet test's course secret"
STEP_TIMEOUT_S = 600.0
STUDENTS = ("alice", "bob", "carol")


def _sheet(assignment: Assignment, student: str) -> tuple[Question, ...]:
    return student_sheet(assignment, load_config(assignment), student, SECRET.encode())


def _python(key: Any) -> str:
    if isinstance(key, tuple):
        return json.dumps(list(key))
    return repr(key) if isinstance(key, (bool, float)) else json.dumps(key)


def _answers_cell(questions: tuple[Question, ...], overrides: dict[str, str] | None = None) -> str:
    lines = [f"{PYTHON_CELL} my answers"]
    lines += [f"{q.id} = {(overrides or {}).get(q.id, _python(q.key))}" for q in questions]
    return "\n".join(lines) + "\n"


def _with_answers(notebook: Any, answers: str) -> Any:
    changed = nbformat.from_dict(json.loads(json.dumps(notebook)))
    cell = next(c for c in changed.cells if c.cell_type == "code" and c.source.lstrip().startswith(PYTHON_CELL))
    cell.source = answers
    return changed


class Course:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, env
        self.runs: dict[str, subprocess.CompletedProcess[str]] = {}

    def kit(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "autograder", *args], cwd=self.root.parent, env=self.env,
                              capture_output=True, text=True, timeout=STEP_TIMEOUT_S, stdin=subprocess.DEVNULL,
                              check=False)
        self.runs[name] = done
        assert done.returncode == 0, f"{name}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done

    def nbgrader(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        done = run_nbgrader(self.root, *args, env=self.env, timeout_s=STEP_TIMEOUT_S, check=False)
        self.runs[name] = done
        assert done.returncode == 0, f"{name}:\n{done.stdout}\n{done.stderr}"
        return done

    def cells(self) -> dict[str, dict[str, Any]]:
        """Each student's grade cells as the gradebook holds them: (auto_score, max, needs_manual_grade)."""
        from nbgrader.api import Gradebook

        with Gradebook("sqlite:///" + str(self.root / "gradebook.db")) as gb:
            return {s.student.id: {g.name: (g.auto_score, g.max_score, g.needs_manual_grade)
                                   for g in s.notebooks[0].grades}
                    for s in gb.assignment_submissions("vanishing")}


@pytest.fixture(scope="module")
def vanishing() -> Assignment:
    return get_assignment("vanishing")


@pytest.fixture(scope="module")
def course(vanishing: Assignment, tmp_path_factory: pytest.TempPathFactory) -> Course:
    if not nbgrader_available():
        pytest.skip("nbgrader is not installed")
    scratch = tmp_path_factory.mktemp("nbgrader-sheet")
    (scratch / "tmp").mkdir()
    env = _isolated_env(scratch)
    env.update({"AUTOGRADER_COURSE": str(vanishing.root.parent), "AUTOGRADER_VARIANT_SECRET": SECRET})
    course = Course(scratch / "course", env)
    roster = scratch / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"{s},{s.title()}\n" for s in STUDENTS))
    course.kit("init", "nbgrader", "init", str(course.root), "--assignment", "vanishing", "--roster", str(roster))
    course.nbgrader("generate_assignment", "generate_assignment", "vanishing")

    source = nbformat.read(source_notebook_path(course.root, vanishing), as_version=4)
    alice = _with_answers(source, _answers_cell(_sheet(vanishing, "alice")))
    bob = _with_answers(source, _answers_cell(_sheet(vanishing, "bob"), {"path_sum": "path_1 + path_2"}))
    hand_in = scratch / "hand-in"
    hand_in.mkdir()
    for student, notebook in (("alice", alice), ("bob", bob), ("carol", alice)):
        nbformat.write(notebook, hand_in / f"{student}.ipynb")
    course.kit("place", "nbgrader", "place", str(course.root), "--assignment", "vanishing",
               *(str(hand_in / f"{s}.ipynb") for s in STUDENTS))
    course.kit("grade", "nbgrader", "grade", str(course.root), "--assignment", "vanishing", "--jobs", "2")
    course.nbgrader("export", "export")
    return course


@pytest.mark.slow
def test_the_release_carries_each_students_numbers_and_no_key(course: Course, vanishing: Assignment) -> None:
    released = release_notebook_path(course.root, vanishing)
    sheets = json.loads((released.parent / SHEETS_NAME).read_text())
    assert set(sheets["sheets"]) == {student_key("vanishing", s) for s in STUDENTS}
    prompts = {s: {q["id"]: q["prompt"] for q in sheets["sheets"][student_key("vanishing", s)]["questions"]}
               for s in STUDENTS}
    assert len({p["path_1"] for p in prompts.values()}) == 3  # every student their own numbers
    text = released.read_text() + (released.parent / SHEETS_NAME).read_text()
    assert SECRET not in text
    for student in STUDENTS:
        for q in _sheet(vanishing, student):
            if q.kind == "number":
                assert q.reason not in text
    notebook = nbformat.read(released, as_version=4)
    assert any(c.source.lstrip().startswith(PYTHON_CELL) for c in notebook.cells)
    assert any("show_sheet(" in c.source for c in notebook.cells)


@pytest.mark.slow
def test_export_holds_each_students_sheet_graded_against_their_own_variant(course: Course,
                                                                          vanishing: Assignment) -> None:
    grades = read_grades(course.root / GRADES_CSV_NAME)
    full = vanishing.total_points + vanishing.questions_points
    for student in ("alice", "bob"):
        assert grades["vanishing", student].max_score == pytest.approx(full)
        assert grades["vanishing", student].score == pytest.approx(full), student
    points = sheet_points(vanishing)
    cells = course.cells()
    for student in ("alice", "bob"):
        assert cells[student]["test_questions"][0] == pytest.approx(points[CONCEPT_SKILL])
        assert cells[student]["test_worked_numbers"][0] == pytest.approx(points[WORKED_SKILL])
        assert not cells[student]["test_worked_numbers"][2]


@pytest.mark.slow
def test_a_copied_notebook_scores_at_most_5_percent_of_the_numbers_and_is_flagged(course: Course,
                                                                                  vanishing: Assignment) -> None:
    points = sheet_points(vanishing)
    carol = course.cells()["carol"]
    assert carol["test_worked_numbers"][0] <= COPY_SHARE_LIMIT * points[WORKED_SKILL]
    assert carol["test_worked_numbers"][2]  # needs a manual look in formgrader
    assert read_grades(course.root / GRADES_CSV_NAME)["vanishing", "carol"].score < vanishing.total_points + \
        points[CONCEPT_SKILL] + COPY_SHARE_LIMIT * points[WORKED_SKILL] + 1e-9
    said = course.runs["grade"].stdout
    assert "alice's variant" in said.replace("\n", " ")
    assert "bob's variant" not in said
