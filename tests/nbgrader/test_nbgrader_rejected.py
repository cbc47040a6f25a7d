"""Notebooks nbgrader's autograde rejects never show a 0 they did not get, and ``place``/``grade``
use the kit's course folder that ``nbgrader init --course`` recorded.

A real nbgrader course, made by ``autograder --course COPY nbgrader init`` from a copy of the
clone's course folder whose manifest title differs (so the output shows which course was read),
then ``place`` and ``grade`` with no ``--course`` and no ``AUTOGRADER_COURSE``, outside the clone.
Three hand-ins nbgrader's own converter refuses or mangles:

* ``duplicate``: a test cell pasted twice (two cells with one ``grade_id``): nbgrader rejects it
  ("Cell with id ... exists multiple times", then "an old version of the nbgrader metadata");
* ``renamed``: partly wrong, and the ``grade_id`` of a solution cell changed: nbgrader's metadata
  check rejects it ("Notebook failed to validate");
* ``unmarked``: the nbgrader metadata of a test cell removed: autograde runs, but that cell's
  grade is never set.

Each gets the kit's score in ``nbgrader export``, and the command names the student and nbgrader's
error (not a bare ``Traceback (most recent call last):``).
"""

from __future__ import annotations

import copy
import re
import shutil

import nbformat
import pytest

from autograder.assignment import COURSE_ENV, get_assignment
from autograder.grading.grade import grade_submission
from autograder.platforms.nbgrader_course import GRADES_CSV_NAME, read_grades, recorded_kit_course, source_notebook_path
from tests.nbgrader.test_nbgrader_course import _isolated_env
from tests.nbgrader.test_nbgrader_grade import WRONG_DERIVATIVE, Course, _cell, _variant, needs_nbgrader

TITLE = "Activations of the recorded course"


def _flat(text: str) -> str:
    """The words of ``text`` with the table's box lines gone, so a wrapped note reads as one line."""
    return " ".join(re.sub(r"[\u2500-\u257f]", " ", text).split())


@pytest.fixture(scope="module")
def rejected(tmp_path_factory: pytest.TempPathFactory) -> Course:
    clone_assignment = get_assignment("activations")
    scratch = tmp_path_factory.mktemp("nbgrader-rejected")
    (scratch / "tmp").mkdir()
    kit_course = scratch / "my-course"
    shutil.copytree(clone_assignment.root, kit_course / "activations",
                    ignore=shutil.ignore_patterns("__pycache__", "samples"))
    manifest = kit_course / "activations" / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace(f'title = "{clone_assignment.title}"', f'title = "{TITLE}"', 1),
                        encoding="utf-8")
    assignment = get_assignment("activations", kit_course)
    assert assignment.title == TITLE
    env = {k: v for k, v in _isolated_env(scratch).items() if k != COURSE_ENV}
    course = Course(scratch / "course", assignment, env)
    course.kit("init", "--course", str(kit_course), "nbgrader", "init", str(course.root), "--assignment",
               "activations")
    assert recorded_kit_course(course.root) == kit_course.resolve()
    course.nbgrader("generate_assignment", "generate_assignment", "activations")

    source = nbformat.read(source_notebook_path(course.root, assignment), as_version=4)
    duplicate = copy.deepcopy(source)
    pasted = copy.deepcopy(_cell(duplicate, "test_sigmoid"))
    pasted.id = "pasted-again"
    duplicate.cells.append(pasted)
    renamed = _variant(source, derivative=WRONG_DERIVATIVE)
    _cell(renamed, "sigmoid_derivative").metadata.nbgrader["grade_id"] = "my_derivative"
    unmarked = copy.deepcopy(source)
    del _cell(unmarked, "test_sigmoid").metadata["nbgrader"]
    hand_in = scratch / "hand-in"
    hand_in.mkdir()
    for name, notebook in {"duplicate": duplicate, "renamed": renamed, "unmarked": unmarked}.items():
        nbformat.write(notebook, hand_in / f"{name}.ipynb")
    course.kit("place", "nbgrader", "place", str(course.root), "--assignment", "activations",
               *(str(p) for p in sorted(hand_in.glob("*.ipynb"))))
    course.kit("grade", "nbgrader", "grade", str(course.root), "--assignment", "activations", "--jobs", "2")
    course.nbgrader("export", "export")
    course.kit_results = {name: grade_submission(assignment, hand_in / f"{name}.ipynb")  # type: ignore[attr-defined]
                          for name in ("duplicate", "renamed", "unmarked")}
    return course


@pytest.mark.slow
@needs_nbgrader
def test_place_and_grade_read_the_course_init_recorded(rejected: Course) -> None:
    """No --course, no AUTOGRADER_COURSE: the title is the recorded copy's, not the clone's."""
    assert COURSE_ENV not in rejected.env
    assert f"{TITLE}: 3 submissions" in _flat(rejected.runs["grade"].stdout)


@pytest.mark.slow
@needs_nbgrader
def test_nbgrader_rejects_these_notebooks(rejected: Course) -> None:
    """The scenario is real: nbgrader's autograde refused two notebooks (it logged their errors)."""
    log = rejected.runs["grade"].stdout + rejected.runs["grade"].stderr
    flat = _flat(log)
    assert "exists multiple times" in flat and "failed to validate" in flat, log
    assert not (rejected.root / "autograded" / "duplicate" / "activations").exists()
    assert not (rejected.root / "autograded" / "renamed" / "activations").exists()


@pytest.mark.slow
@needs_nbgrader
def test_export_shows_the_kits_score_never_a_silent_zero(rejected: Course) -> None:
    grades = read_grades(rejected.root / GRADES_CSV_NAME)
    results = rejected.kit_results  # type: ignore[attr-defined]
    assert results["renamed"].score < results["renamed"].max_score  # partly wrong: not just "full marks"
    for student, result in results.items():
        exported = grades["activations", student]
        assert exported.score == pytest.approx(result.score, abs=0.01), student
        assert exported.max_score == result.max_score, student
    with rejected.gradebook() as gb:
        for student in ("duplicate", "renamed"):
            assert gb.find_submission("activations", student).needs_manual_grade, student  # flagged for review


@pytest.mark.slow
@needs_nbgrader
def test_the_command_names_each_student_and_nbgraders_error(rejected: Course) -> None:
    done = rejected.runs["grade"]
    flat = _flat(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nbgrader rejected the notebook of duplicate:" in flat
    assert "nbgrader rejected the notebook of renamed:" in flat
    assert "ValidationError: nbgrader cell does not have a grade_id" in flat  # the error itself, not its frames
    assert "site-packages" not in done.stdout
    assert "test cells missing from the notebook (test_sigmoid)" in flat
    for line in done.stdout.splitlines():
        assert not line.rstrip().endswith("Traceback (most recent call last):"), line
