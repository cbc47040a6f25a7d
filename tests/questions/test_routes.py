"""The question sheet through the kit's ordinary routes: ``check answers.toml`` (form only),
``grade`` (the sheet as two skills, counted in the total, copies flagged), nbgrader's submitted
layout and notebook answers cells, and the Gradescope bundle's submitter id."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from autograder.assignment import Assignment, get_assignment, load_manifest
from autograder.cli import main
from autograder.grading.results import GradeResult
from autograder.questions.answers import ANSWERS_NAME, key_answers, toml_value
from autograder.questions.api import COPY_SHARE_LIMIT, load_config, student_sheet, validate_questions
from autograder.questions.form import SHEET_NAME
from autograder.questions.graded import (
    ANSWERS_CELL,
    CONCEPT_SKILL,
    WORKED_SKILL,
    NoAnswers,
    find_answers,
    with_sheet,
    without_student,
)
from autograder.questions.model import Key, Question
from autograder.questions.variant import Variant
from autograder.questions.worked_bank import deep_chain_numbers
from reference.network import deep_chain_gradients, vanishing_bound

SECRET = "route tests' course secret"
ENV = "AUTOGRADER_VARIANT_SECRET"


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, SECRET)


def key_file(assignment: Assignment, student: str) -> str:
    return key_answers(student_sheet(assignment, load_config(assignment), student, SECRET.encode()))


def wrong_answer(q: Question) -> Key:
    """A well-formed answer that is not ``q``'s key."""
    if isinstance(q.key, bool):
        return not q.key
    if isinstance(q.key, float):
        return q.key * 1.5 + 1.0
    if isinstance(q.key, tuple):
        return tuple(o for o in q.options if o not in q.key)
    return next(o for o in q.options if o != q.key)


def code_result(assignment: Assignment, student: str) -> GradeResult:
    """A code grade with no cases (what the sheet is added to)."""
    return GradeResult(student, assignment.id, (), assignment.total_points, 0.0, "none")


# -- the deep chain's worked numbers ---------------------------------------------------------------

@pytest.mark.parametrize("student", ["ada", "ben", "chen", "dora"])
def test_deep_chain_keys_are_the_float_oracles_and_stay_under_the_bound(student: str) -> None:
    d = deep_chain_numbers(Variant("vanishing", student, SECRET.encode()))
    weights = [float(w) for w in d.weights]
    assert 3 <= d.result.n == len(weights) <= 5
    oracle = float(deep_chain_gradients(float(d.x), weights)[0])
    assert float(d.result.gradient) == pytest.approx(oracle, rel=1e-12)
    assert float(d.result.bound) == pytest.approx(float(vanishing_bound(float(d.x), weights)), rel=1e-12)
    assert abs(d.result.gradient) <= d.result.bound
    exact = sp.Abs(sp.Rational(d.x)) * sp.Rational(1, 4) ** len(weights) * sp.Mul(
        *(abs(sp.Rational(w)) for w in d.weights[1:]))
    assert sp.Abs(d.result.bound - exact) <= exact * sp.Rational(1, 10**25)


def test_two_students_chains_differ() -> None:
    chains = {deep_chain_numbers(Variant("vanishing", s, SECRET.encode())).weights for s in ("ada", "ben", "chen")}
    assert len(chains) == 3


# -- the manifest decides the points ---------------------------------------------------------------

def test_questions_points_must_equal_the_sheets_points(vanishing: Assignment, tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(vanishing.root, course / "vanishing")
    manifest = course / "vanishing" / "manifest.toml"
    text = manifest.read_text()
    assert f"questions_points = {load_config(vanishing).total_points:g}" in text
    manifest.write_text(text.replace(f"questions_points = {load_config(vanishing).total_points:g}",
                                     "questions_points = 1", 1))
    changed = load_manifest(course / "vanishing")
    assert changed.questions_points == 1
    assert any("questions_points" in p for p in validate_questions(changed, samples=2).problems)
    done = CliRunner().invoke(main, ["--course", str(course), "grade", "--assignment", "vanishing",
                                     "--out", str(tmp_path / "out"), str(tmp_path)])
    assert done.exit_code == 2 and "questions_points" in done.output and "Traceback" not in done.output


def test_grade_refuses_without_the_secret(vanishing: Assignment, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV)
    (tmp_path / "alice").mkdir()
    done = CliRunner().invoke(main, ["grade", "--assignment", "vanishing", "--out", str(tmp_path / "out"),
                                     str(tmp_path / "alice")])
    assert done.exit_code == 2 and ENV in done.output and not (tmp_path / "out").exists()


def test_an_assignment_without_a_sheet_keeps_its_code_total() -> None:
    activations = get_assignment("activations")
    assert activations.questions_points == 0
    result = code_result(activations, "alice")
    assert with_sheet(activations, result, Path("/nonexistent"), "alice") is result


# -- where the answers are -------------------------------------------------------------------------

def test_answers_in_a_folder_a_zip_a_notebook_cell_and_nbgrader_layout(vanishing: Assignment,
                                                                       tmp_path: Path) -> None:
    folder = tmp_path / "alice"
    (folder / "work").mkdir(parents=True)
    (folder / "work" / ANSWERS_NAME).write_text("claim = true\n")
    assert find_answers(vanishing, folder) == b"claim = true\n"
    archive = shutil.make_archive(str(tmp_path / "alice"), "zip", folder)
    assert find_answers(vanishing, Path(archive)) == b"claim = true\n"
    (folder / ANSWERS_NAME).write_text("claim = false\n")
    with pytest.raises(NoAnswers, match="2 files named"):
        find_answers(vanishing, folder)
    notebook = tmp_path / "vanishing.ipynb"
    notebook.write_text(json.dumps({"cells": [{"cell_type": "code", "source": ["def f(x):\n", "    return x\n"]},
                                              {"cell_type": "raw", "source": [f"{ANSWERS_CELL}\n", "claim = true\n"]}],
                                    "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert find_answers(vanishing, notebook).strip() == b"claim = true"
    nbgrader = tmp_path / "submitted" / "bob" / "vanishing"
    nbgrader.mkdir(parents=True)
    (nbgrader / "vanishing.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                          "nbformat_minor": 5}))
    (nbgrader / ANSWERS_NAME).write_text("claim = false\n")
    assert find_answers(vanishing, nbgrader / "vanishing.ipynb") == b"claim = false\n"
    lone = tmp_path / "carol.py"
    lone.write_text("x = 1\n")
    (tmp_path / ANSWERS_NAME).write_text("claim = true\n")  # beside a lone file: not carol's
    with pytest.raises(NoAnswers, match="no answers.toml"):
        find_answers(vanishing, lone)


def test_with_sheet_grades_the_batch_student_and_counts_in_the_total(vanishing: Assignment,
                                                                    tmp_path: Path) -> None:
    folder = tmp_path / "download-folder-name"
    folder.mkdir()
    (folder / ANSWERS_NAME).write_text(key_file(vanishing, "s1234"))
    graded = with_sheet(vanishing, code_result(vanishing, "s1234"), folder, "s1234")
    sheet_points = load_config(vanishing).total_points
    assert graded.max_score == pytest.approx(vanishing.total_points + sheet_points)
    assert graded.score == pytest.approx(sheet_points)
    assert {t.group for t in graded.tests} == {CONCEPT_SKILL, WORKED_SKILL}
    assert all(t.passed for t in graded.tests)
    other = with_sheet(vanishing, code_result(vanishing, "s9999"), folder, "s9999")  # the wrong student
    worked = [t for t in other.tests if t.group == WORKED_SKILL]
    assert sum(t.earned for t in worked) <= COPY_SHARE_LIMIT * sum(t.max_score for t in worked)


def test_no_answers_scores_zero_with_the_reason_and_no_student_is_the_kits_failure(vanishing: Assignment,
                                                                                  tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    graded = with_sheet(vanishing, code_result(vanishing, "x"), tmp_path / "empty", "x")
    assert graded.score == 0 and graded.graded
    assert all("no answers.toml" in t.message for t in graded.tests)
    unknown = without_student(vanishing, code_result(vanishing, "x"), "no submitter")
    assert not unknown.graded and unknown.max_score == graded.max_score


# -- autograder check answers.toml -----------------------------------------------------------------

def test_check_answers_says_form_never_correctness(vanishing: Assignment, tmp_path: Path) -> None:
    done = CliRunner().invoke(main, ["release", "--assignment", "vanishing", "--out", str(tmp_path / "rel"),
                                     "--student", "alice", "--install", "dl-gradekit"])
    assert done.exit_code == 0, done.output
    folder = tmp_path / "rel" / "vanishing-sheets" / "alice"
    public = (folder / SHEET_NAME).read_text()
    questions = student_sheet(vanishing, load_config(vanishing), "alice", SECRET.encode())
    assert all(q.reason not in public for q in questions if q.kind == "number")
    assert "key" not in json.loads(public)["questions"][0]
    answers = folder / ANSWERS_NAME
    run = CliRunner()
    blank = run.invoke(main, ["check", str(answers)])
    assert blank.exit_code == 0 and f"{len(questions)} blank" in blank.output
    answers.write_text(key_file(vanishing, "alice"))
    right = run.invoke(main, ["check", str(answers)])
    answers.write_text("".join(f"{q.id} = {toml_value(wrong_answer(q))}\n" for q in questions))
    wrong = run.invoke(main, ["check", str(answers)])
    assert right.exit_code == wrong.exit_code == 0
    assert right.output == wrong.output  # nothing tells a right sheet from a wrong one
    answers.write_text('path_1 = "0.5"\nfastest = "gelu"\nclaim = 1\ntypo = true\n')
    bad = run.invoke(main, ["check", str(answers)])
    assert bad.exit_code == 1
    for expected in ("path_1: write a number", "fastest: \"gelu\" is not one of the options",
                     "claim: write true or false", "typo: no question of that id"):
        assert expected in bad.output
    answers.write_text("path_1 = \n")
    assert run.invoke(main, ["check", str(answers)]).exit_code == 1
    (folder / SHEET_NAME).unlink()
    missing = run.invoke(main, ["check", str(answers)])
    assert missing.exit_code == 2 and "sheet.json" in missing.output and "Traceback" not in missing.output


# -- Gradescope's submitter ------------------------------------------------------------------------

def test_submitter_id_from_submission_metadata(tmp_path: Path) -> None:
    from autograder.platforms.gradescope import submitter_id

    metadata = tmp_path / "submission_metadata.json"
    users = [{"email": "ada@example.edu", "id": 1234, "name": "Ada", "sid": "s-001"}]
    metadata.write_text(json.dumps({"id": 1, "users": users}))
    assert submitter_id(metadata) == "s-001"
    metadata.write_text(json.dumps({"id": 1, "users": [{"email": "ada@example.edu", "id": 1234}]}))
    assert submitter_id(metadata) == "ada@example.edu"
    metadata.write_text(json.dumps({"id": 1, "users": []}))
    with pytest.raises(ValueError, match="names no submitter"):
        submitter_id(metadata)


# -- end to end, in the sandbox --------------------------------------------------------------------

def _student(folder: Path, source: str, answers: str | None) -> Path:
    folder.mkdir(parents=True)
    (folder / "vanishing.py").write_text(source)
    if answers is not None:
        (folder / ANSWERS_NAME).write_text(answers)
    return folder


@pytest.mark.slow
def test_grade_batch_grades_each_sheet_against_its_student_and_flags_the_copy(vanishing: Assignment,
                                                                              tmp_path: Path) -> None:
    from autograder.solution_cache import solution_source

    source = solution_source(vanishing)
    subs = tmp_path / "subs"
    _student(subs / "alice", source, key_file(vanishing, "alice"))
    _student(subs / "bob", source, key_file(vanishing, "alice"))  # alice's sheet
    _student(subs / "carol", source, None)
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["grade", "--assignment", "vanishing", "--out", str(out), "--jobs", "1",
                                     str(subs)])
    assert done.exit_code == 0, done.output
    sheet_points = load_config(vanishing).total_points
    docs = {s: json.loads((out / s / "results.json").read_text()) for s in ("alice", "bob", "carol")}
    for doc in docs.values():
        assert doc["max_score"] == pytest.approx(vanishing.total_points + sheet_points)
    assert docs["alice"]["score"] == pytest.approx(vanishing.total_points + sheet_points)
    skills = {s: {t["name"]: t for t in d["tests"]} for s, d in docs.items()}
    worked_max = skills["bob"][WORKED_SKILL]["max_score"]
    assert skills["bob"][WORKED_SKILL]["score"] <= COPY_SHARE_LIMIT * worked_max
    assert any("alice's variant" in r for r in docs["bob"]["extra_data"]["needs_look"])
    assert not any("variant" in r for r in docs["alice"]["extra_data"]["needs_look"])
    assert skills["carol"][CONCEPT_SKILL]["score"] == skills["carol"][WORKED_SKILL]["score"] == 0
    assert "no answers.toml" in skills["carol"][CONCEPT_SKILL]["output"]
    assert docs["carol"]["score"] == pytest.approx(vanishing.total_points)
    cases = {c["name"] for c in skills["alice"][WORKED_SKILL]["extra_data"]["cases"]}
    assert {"path_sum", "deep_first_layer", "deep_bound"} <= cases
    gradebook = (out / "grades.csv").read_text().splitlines()
    assert CONCEPT_SKILL in gradebook[0] and WORKED_SKILL in gradebook[0]
    assert "alice's variant" in (out / "report.html").read_text().replace("&#x27;", "'")
    feedback = (out / "carol" / "feedback.md").read_text()
    assert CONCEPT_SKILL in feedback and "no answers.toml" in feedback


@pytest.mark.slow
def test_gradescope_run_grades_the_submitters_variant(vanishing: Assignment, tmp_path: Path) -> None:
    from autograder.platforms.gradescope import (
        COURSE_DIR,
        METADATA_NAME,
        VARIANT_ROSTER_FILE,
        VARIANT_SECRET_FILE,
        run,
    )
    from autograder.solution_cache import solution_source

    root = tmp_path / "autograder"
    shutil.copytree(vanishing.root, root / "source" / COURSE_DIR / "vanishing")
    (root / "source" / COURSE_DIR / VARIANT_SECRET_FILE).write_text(SECRET)
    (root / "source" / COURSE_DIR / VARIANT_ROSTER_FILE).write_text("s-041\ns-042\ns-043\n")
    _student(root / "submission", solution_source(vanishing), key_file(vanishing, "s-042"))
    (root / "results").mkdir()
    scores, looks = {}, {}
    for sid in ("s-042", "s-043"):  # s-043 hands in s-042's sheet
        (root / METADATA_NAME).write_text(json.dumps({"users": [{"sid": sid, "email": "x@y", "id": 7}]}))
        assert run(root, "vanishing") == 0
        document = json.loads((root / "results" / "results.json").read_text())
        scores[sid] = {t["name"]: t["score"] for t in document["tests"]}
        looks[sid] = document["extra_data"]["needs_look"]
        assert "variant" not in document["output"]  # the flag is the instructor's, not in what students read
    assert scores["s-042"][WORKED_SKILL] > 0
    assert scores["s-043"][WORKED_SKILL] <= COPY_SHARE_LIMIT * scores["s-042"][WORKED_SKILL]
    assert np.isclose(sum(scores["s-042"].values()), vanishing.total_points + load_config(vanishing).total_points)
    assert any("s-042's variant" in reason for reason in looks["s-043"])
    assert not any("variant" in reason for reason in looks["s-042"])


def test_the_batchs_scores_only_keep_the_sheet(vanishing: Assignment, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ANSWERS_NAME).write_text(key_file(vanishing, "a"))
    graded = with_sheet(vanishing, code_result(vanishing, "a"), tmp_path / "a", "a")
    kept = dataclasses.replace(graded, student_id="b").scores_only()
    assert kept.score == pytest.approx(graded.score)


def test_code_that_does_not_load_still_earns_its_sheet(vanishing: Assignment, tmp_path: Path) -> None:
    from autograder.grading.feedback import SHEET_ALONE, render_feedback
    from autograder.grading.results import from_gradescope, to_gradescope
    from autograder.report import render_feedback_html

    folder = tmp_path / "s1234"
    folder.mkdir()
    (folder / ANSWERS_NAME).write_text(key_file(vanishing, "s1234"))
    crashed = dataclasses.replace(code_result(vanishing, "s1234"), error="SyntaxError: invalid syntax (line 3)",
                                  error_kind="submission")
    graded = with_sheet(vanishing, crashed, folder, "s1234")
    sheet_points = load_config(vanishing).total_points
    assert graded.score == pytest.approx(sheet_points) and graded.graded
    assert graded.max_score == pytest.approx(vanishing.total_points + sheet_points)
    assert f"Score {sheet_points:g}" in graded.summary() and "SyntaxError" in graded.summary()
    document = to_gradescope(graded)
    assert document["score"] == pytest.approx(sheet_points)
    assert sum(t["score"] for t in document["tests"]) == pytest.approx(sheet_points)
    assert from_gradescope(json.loads(json.dumps(document))).score == pytest.approx(sheet_points)
    feedback = render_feedback(graded, vanishing.title)
    assert SHEET_ALONE in feedback and "Nothing could be graded" not in feedback
    page = render_feedback_html(graded, vanishing.title)
    assert "Nothing could be graded" not in page and CONCEPT_SKILL in page and WORKED_SKILL in page
    alone = render_feedback(crashed, vanishing.title)  # no sheet: nothing was graded
    assert "Nothing could be graded" in alone and crashed.score == 0


def test_the_sheets_skills_are_the_ones_a_load_failure_leaves_standing() -> None:
    from autograder.grading.results import SEPARATE_SKILLS
    from autograder.questions.graded import SHEET_SKILLS

    assert frozenset(SHEET_SKILLS) == SEPARATE_SKILLS
