"""``autograder nbgrader grade`` in a real nbgrader course: the issue's scenario, end to end.

A temporary course (``autograder nbgrader init``), the REAL ``nbgrader
generate_assignment``, a due date set with ``nbgrader db assignment add`` and
nbgrader's ``zero`` late penalty, six submissions placed with ``autograder
nbgrader place``:

* ``correct``: the course notebook, solutions in place;
* ``partly``: ``sigmoid_derivative`` returns sigmoid itself (a known misconception);
* ``stub``: the notebook nbgrader released;
* ``tamper``: ``partly`` plus ``builtins.abs`` replaced at import;
* ``late``: ``correct``, handed in a day after the due date;
* ``manual``: ``partly``, and a teaching assistant's manual grade and comment
  entered (through ``nbgrader.api.Gradebook``, as formgrader does) before it is
  graded again.

Then ``autograder nbgrader grade``, the REAL ``nbgrader export`` and
``nbgrader generate_feedback``; and, on a copy of the course, nbgrader's own
in-kernel ``autograde`` of the partly wrong notebook, for comparison. Every command is a subprocess with HOME and the
Jupyter folders in the test's temporary folder.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode

from autograder.assignment import Assignment, get_assignment
from autograder.grading.grade import grade_submission
from autograder.grading.results import results_json
from autograder.platforms.nbgrader_course import (
    CONFIG_NAME,
    GRADES_CSV_NAME,
    nbgrader_available,
    read_grades,
    release_notebook_path,
    run_nbgrader,
    source_notebook_path,
)
from tests.nbgrader.test_nbgrader_course import _isolated_env

needs_nbgrader = pytest.mark.skipif(not nbgrader_available(),
                                    reason="nbgrader is not installed: pip install -e '.[test]'")
STEP_TIMEOUT_S = 600.0
DUE = "2025-01-10 12:00:00 UTC"
LATE = "2025-01-11 12:00:00 UTC"
WRONG_DERIVATIVE = '''\
def sigmoid_derivative(x):
    """d sigmoid / dx, written wrong on purpose."""
    return sigmoid(x)
'''
TAMPER = "import builtins\nbuiltins.abs = lambda value: 0.0\n"


def _cell(notebook: NotebookNode, grade_id: str) -> NotebookNode:
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _variant(notebook: NotebookNode, *, derivative: str | None = None, prelude: str = "") -> NotebookNode:
    changed = copy.deepcopy(notebook)
    if derivative is not None:
        _cell(changed, "sigmoid_derivative").source = derivative
    if prelude:
        imports = next(c for c in changed.cells if c.cell_type == "code" and "nbgrader" not in c.metadata)
        imports.source = prelude + imports.source
    return changed


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=STEP_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)


class Course:
    def __init__(self, root: Path, assignment: Assignment, env: dict[str, str]) -> None:
        self.root, self.assignment, self.env = root, assignment, env
        self.runs: dict[str, subprocess.CompletedProcess[str]] = {}

    def nbgrader(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        done = run_nbgrader(self.root, *args, env=self.env, timeout_s=STEP_TIMEOUT_S, check=False)
        self.runs[name] = done
        assert done.returncode == 0, f"{name}:\n{done.stdout}\n{done.stderr}"
        return done

    def kit(self, name: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = _run(list(args), self.root.parent, self.env)
        self.runs[name] = done
        assert (done.returncode == 0) == ok, f"{name}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done

    def gradebook(self):  # type: ignore[no-untyped-def]
        from nbgrader.api import Gradebook

        return Gradebook("sqlite:///" + str(self.root / "gradebook.db"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Course:
    if not nbgrader_available():
        pytest.skip("nbgrader is not installed")
    assignment = get_assignment("activations")
    scratch = tmp_path_factory.mktemp("nbgrader-grade")
    (scratch / "tmp").mkdir()
    env = _isolated_env(scratch)
    env["AUTOGRADER_COURSE"] = str(assignment.root.parent)
    course = Course(scratch / "course", assignment, env)
    course.kit("init", "nbgrader", "init", str(course.root), "--assignment", "activations")
    with (course.root / CONFIG_NAME).open("a", encoding="utf-8") as config:
        config.write('c.LateSubmissionPlugin.penalty_method = "zero"\n')
    course.nbgrader("generate_assignment", "generate_assignment", "activations")
    course.nbgrader("duedate", "db", "assignment", "add", "activations", f"--duedate={DUE}")

    source = nbformat.read(source_notebook_path(course.root, assignment), as_version=4)
    partly = _variant(source, derivative=WRONG_DERIVATIVE)
    notebooks = {
        "correct": source, "partly": partly,
        "stub": nbformat.read(release_notebook_path(course.root, assignment), as_version=4),
        "tamper": _variant(partly, prelude=TAMPER), "manual": partly,
    }
    hand_in = scratch / "hand-in"
    hand_in.mkdir()
    for student, notebook in notebooks.items():
        nbformat.write(notebook, hand_in / f"{student}.ipynb")
    nbformat.write(source, hand_in / "late.ipynb")
    nbformat.write(partly, hand_in / "untampered.ipynb")  # graded alone below, never placed
    course.kit("place", "nbgrader", "place", str(course.root), "--assignment", "activations",
               *(str(hand_in / f"{s}.ipynb") for s in notebooks))
    course.kit("place-late", "nbgrader", "place", str(course.root), "--assignment", "activations",
               str(hand_in / "late.ipynb"), "--timestamp", LATE)

    course.kit("grade", "nbgrader", "grade", str(course.root), "--assignment", "activations", "--jobs", "2")
    with course.gradebook() as gb:  # a teaching assistant grades one cell by hand, and comments
        grade = gb.find_grade("test_sigmoid_derivative", "activations", "activations", "manual")
        grade.manual_score = 9.5
        comment = gb.find_comment("sigmoid_derivative", "activations", "activations", "manual")
        comment.manual_comment = "Close: sigma'(x) = sigma(x)(1 - sigma(x))."
        gb.db.commit()
    course.kit("regrade", "nbgrader", "grade", str(course.root), "--assignment", "activations",
               "--student", "manual", "--student", "late", "--jobs", "2")
    course.nbgrader("export", "export")
    course.nbgrader("feedback", "generate_feedback", "activations")
    course.untampered = grade_submission(assignment, hand_in / "untampered.ipynb")  # type: ignore[attr-defined]
    return course


def _kit_scores(course: Course) -> dict[str, dict[str, float]]:
    """The kit's per-skill scores, read back from the autograded notebooks' test cells via the gradebook."""
    with course.gradebook() as gb:
        scores = {}
        for submission in gb.assignment_submissions("activations"):
            notebook = submission.notebooks[0]
            scores[submission.student.id] = {g.name: g.auto_score for g in notebook.grades}
        return scores


@pytest.mark.slow
@needs_nbgrader
def test_export_holds_the_kits_scores(graded: Course) -> None:
    grades = read_grades(graded.root / GRADES_CSV_NAME)
    summary = graded.runs["grade"].stdout
    assert set(s for _, s in grades) == {"correct", "partly", "stub", "tamper", "late", "manual"}
    assert grades["activations", "correct"].score == pytest.approx(100.0)
    assert grades["activations", "stub"].score == 0.0
    assert all(g.max_score == 100.0 for g in grades.values())
    partly = grades["activations", "partly"].score
    assert 0 < partly < 100
    untampered = graded.untampered  # type: ignore[attr-defined]
    assert partly == pytest.approx(untampered.score, abs=1e-6)  # the kit's `grade` on the same notebook
    kit = {t["name"]: t["score"] for t in json.loads(results_json(untampered))["tests"]}
    assert _kit_scores(graded)["partly"] == pytest.approx({f"test_{s}": v for s, v in kit.items()}, abs=1e-6)
    assert "partly" in summary and "100/100" in summary
    lines = summary.splitlines()  # to a pipe: plain lines, each row of the table on one, never wrapped
    assert "\x1b[" not in summary and any(line.strip().endswith(": 6 submissions") for line in lines)
    assert any(" correct " in line and "100/100" in line for line in lines)
    assert any(" late " in line and "late by" in line for line in lines)


@pytest.mark.slow
@needs_nbgrader
def test_the_tampering_submission_gets_its_honest_score(graded: Course) -> None:
    grades = read_grades(graded.root / GRADES_CSV_NAME)
    untampered = graded.untampered  # type: ignore[attr-defined]
    assert grades["activations", "tamper"].score == pytest.approx(untampered.score, abs=1e-6)
    assert grades["activations", "tamper"].score < 100.0


@pytest.mark.slow
@needs_nbgrader
def test_the_late_submission_carries_nbgraders_penalty(graded: Course) -> None:
    with open(graded.root / GRADES_CSV_NAME, newline="", encoding="utf-8") as stream:
        import csv

        rows = {row["student_id"]: row for row in csv.DictReader(stream)}
    late = rows["late"]
    assert float(late["raw_score"]) == pytest.approx(100.0)
    assert float(late["late_submission_penalty"]) == pytest.approx(100.0)  # the "zero" method
    assert float(late["score"]) == 0.0
    assert late["timestamp"].startswith("2025-01-11 12:00:00")
    assert float(rows["correct"]["late_submission_penalty"]) == 0.0


@pytest.mark.slow
@needs_nbgrader
def test_a_manual_grade_and_comment_survive_regrading(graded: Course) -> None:
    with graded.gradebook() as gb:
        grade = gb.find_grade("test_sigmoid_derivative", "activations", "activations", "manual")
        assert grade.manual_score == 9.5
        assert grade.auto_score is not None and grade.auto_score < 14.0
        assert grade.score == 9.5
        comment = gb.find_comment("sigmoid_derivative", "activations", "activations", "manual")
        assert comment.manual_comment == "Close: sigma'(x) = sigma(x)(1 - sigma(x))."
    grades = read_grades(graded.root / GRADES_CSV_NAME)
    assert grades["activations", "manual"].score == pytest.approx(
        grades["activations", "partly"].score - grade.auto_score + 9.5, abs=1e-6)
    assert "manual grade kept" in graded.runs["regrade"].stdout


@pytest.mark.slow
@needs_nbgrader
def test_feedback_shows_the_kits_messages_and_no_hidden_test(graded: Course) -> None:
    feedback = graded.root / "feedback"
    pages = {p.parent.parent.name: p.read_text(encoding="utf-8") for p in feedback.glob("*/activations/*.html")}
    assert set(pages) == {"correct", "partly", "stub", "tamper", "late", "manual"}
    assert "sigmoid-derivative-is-sigmoid" in pages["partly"]
    assert "not implemented yet" in pages["stub"]
    hidden = graded.assignment.hidden_tests
    distinctive = [line.strip() for p in hidden.glob("*.py") for line in p.read_text().splitlines()
                   if line.strip().startswith(("EDGE =", "LARGE =", "SOFTMAX_HINT ="))]
    assert distinctive
    for page in pages.values():
        assert not any(line in page for line in distinctive)


@pytest.mark.slow
@needs_nbgrader
def test_grading_prints_no_checksum_warning(graded: Course) -> None:
    for name in ("grade", "regrade"):
        done = graded.runs[name]
        assert "has changed" not in done.stdout + done.stderr, done.stdout + done.stderr


@pytest.mark.slow
@needs_nbgrader
def test_nbgraders_in_kernel_route_agrees_on_an_honest_notebook(graded: Course, tmp_path: Path) -> None:
    """The same course, graded by nbgrader's own ``autograde`` (the notebook executed in a kernel, the
    test cells running the kit's hidden checks there): the partly wrong notebook scores what the kit
    gave it, and the checksums nbgrader stored at release are the ones it finds."""
    import shutil

    copy_root = tmp_path / "course"
    shutil.copytree(graded.root, copy_root)
    done = run_nbgrader(copy_root, "autograde", "activations", "--student", "partly", "--force",
                        env=graded.env, timeout_s=STEP_TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "has changed" not in done.stdout + done.stderr
    run_nbgrader(copy_root, "export", env=graded.env, timeout_s=STEP_TIMEOUT_S)
    in_kernel = read_grades(copy_root / GRADES_CSV_NAME)["activations", "partly"].score
    assert in_kernel == pytest.approx(read_grades(graded.root / GRADES_CSV_NAME)["activations", "partly"].score,
                                      abs=1e-6)
