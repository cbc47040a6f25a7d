"""The question sheet in a notebook: the answers cell read as data, the student's own numbers from
``sheets.json`` in the kernel, the sheet's test cells, and the Gradescope bundle's roster."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import pytest

from autograder.assignment import Assignment, get_assignment
from autograder.grading.results import GradeResult
from autograder.platforms.kernel import AUTOGRADE, EXECUTION_ENV, CheckSetupError, ChecksFailed, check_sheet, show_sheet
from autograder.platforms.nbgrader_sheet import SHEETS_NAME, released_sheets, sheet_points, student_key
from autograder.questions.answers import (
    PYTHON_CELL,
    UNREADABLE,
    AnswersError,
    answers_toml,
    parse_answers,
    python_answers,
)
from autograder.questions.api import COPY_SHARE_LIMIT, load_config, student_sheet
from autograder.questions.graded import CONCEPT_SKILL, WORKED_SKILL, NoAnswers, find_answers, with_sheet
from autograder.questions.model import Question

SECRET = "notebook sheet tests' course secret"
ENV = "AUTOGRADER_VARIANT_SECRET"


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, SECRET)
    monkeypatch.delenv(EXECUTION_ENV, raising=False)


def sheet(assignment: Assignment, student: str) -> tuple[Question, ...]:
    return student_sheet(assignment, load_config(assignment), student, SECRET.encode())


def python_value(key: Any) -> str:
    if isinstance(key, tuple):
        return json.dumps(list(key))
    if isinstance(key, (bool, float)):
        return repr(key)
    return json.dumps(key)


def key_cell(questions: tuple[Question, ...]) -> str:
    """An answers cell holding every key, as a student would write it."""
    return f"{PYTHON_CELL} mine\n" + "".join(f"{q.id} = {python_value(q.key)}\n" for q in questions)


def notebook_with(tmp_path: Path, name: str, answers: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("def f(x):\n    return x\n"), nbformat.v4.new_code_cell(answers)]
    path = tmp_path / name
    nbformat.write(notebook, path)
    return path


# -- the answers cell, read as data ---------------------------------------------------------------------

def test_the_answers_cell_is_read_as_data_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    source = "\n".join([
        f"{PYTHON_CELL} x",
        "import os",
        f"os.system('touch {marker}')",
        "path_1 = 0.25 * 0.15",
        "path_2 = -(2 ** -3) / 4",
        "path_sum = path_1 + path_2",
        'zero_centred = ["tanh", "elu"]',
        "claim = True",
        'fastest = "relu"',
        "deep_bound = ...",
        "w1_updated = float(open('/etc/passwd').read())",
        "slope_max = 1e400",
        "chain_step = path_9 * 2",
        "exponential = [1, 2]",
        "chain_product = 10 ** 5000",
    ])
    answers = python_answers(source)
    assert not marker.exists()
    assert answers["path_1"] == pytest.approx(0.0375) and answers["path_2"] == pytest.approx(-0.03125)
    assert answers["path_sum"] == pytest.approx(0.0375 - 0.03125)
    assert answers["zero_centred"] == ["tanh", "elu"] and answers["claim"] is True and answers["fastest"] == "relu"
    assert "deep_bound" not in answers  # ... is a blank
    for unreadable in ("w1_updated", "slope_max", "chain_step", "exponential", "chain_product"):
        assert isinstance(answers[unreadable], dict) and UNREADABLE in answers[unreadable], unreadable
    assert parse_answers(answers_toml(answers)) == answers
    with pytest.raises(AnswersError, match="not valid Python"):
        python_answers(f"{PYTHON_CELL}\npath_1 = = 2\n")
    with pytest.raises(AnswersError, match="larger than"):
        python_answers("x = 1\n" * 20000)


def test_an_unreadable_answer_is_wrong_and_says_what_was_written(vanishing: Assignment, tmp_path: Path) -> None:
    questions = sheet(vanishing, "ada")
    path_1 = next(q for q in questions if q.id == "path_1")
    assert isinstance(path_1.key, float)
    cell = key_cell(questions).replace(f"path_1 = {path_1.key!r}", f"path_1 = abs({path_1.key!r})")
    graded = with_sheet(vanishing, code_result(vanishing, "ada"), notebook_with(tmp_path, "ada.ipynb", cell), "ada")
    case = next(t for t in graded.tests if t.name == "path_1")
    assert not case.passed and case.earned == 0 and "abs(" in case.message
    assert all(t.passed for t in graded.tests if t.name != "path_1")


def code_result(assignment: Assignment, student: str) -> GradeResult:
    return GradeResult(student, assignment.id, (), assignment.total_points, 0.0, "none")


def test_a_notebooks_answers_cell_is_graded_for_the_student_named(vanishing: Assignment, tmp_path: Path) -> None:
    ada = sheet(vanishing, "ada")
    path = notebook_with(tmp_path, "vanishing.ipynb", key_cell(ada))
    assert parse_answers(find_answers(vanishing, path))["path_1"] == pytest.approx(
        next(q.key for q in ada if q.id == "path_1"))
    graded = with_sheet(vanishing, code_result(vanishing, "ada"), path, "ada")
    assert graded.score == pytest.approx(vanishing.questions_points)
    copied = with_sheet(vanishing, code_result(vanishing, "ben"), path, "ben")  # ada's answers, ben's sheet
    worked = [t for t in copied.tests if t.group == WORKED_SKILL]
    assert sum(t.earned for t in worked) <= COPY_SHARE_LIMIT * sum(t.max_score for t in worked)
    broken = notebook_with(tmp_path, "broken.ipynb", f"{PYTHON_CELL}\npath_1 = (\n")
    with pytest.raises(NoAnswers, match="not valid Python"):
        find_answers(vanishing, broken)
    zero = with_sheet(vanishing, code_result(vanishing, "ada"), broken, "ada")
    assert zero.score == 0 and all("not valid Python" in t.message for t in zero.tests)
    deleted = notebook_with(tmp_path, "deleted.ipynb", "x = 1\n")  # the answers cell deleted
    with pytest.raises(NoAnswers, match=f"no answers cell in the notebook.*'{PYTHON_CELL}'"):
        find_answers(vanishing, deleted)


# -- the sheet in the course notebook and in the kernel -------------------------------------------------

def test_sheets_json_holds_each_students_public_sheet_and_no_key(vanishing: Assignment) -> None:
    data = released_sheets(vanishing, ["ada", "ben"], SECRET.encode())
    document = json.loads(data)
    assert set(document["sheets"]) == {student_key("vanishing", "ada"), student_key("vanishing", "ben")}
    assert SECRET not in data.decode()
    assert "s-70412" not in released_sheets(vanishing, ["s-70412"], SECRET.encode()).decode()  # filed by hash
    for student in ("ada", "ben"):
        shown = document["sheets"][student_key("vanishing", student)]["questions"]
        questions = sheet(vanishing, student)
        assert [q["prompt"] for q in shown] == [q.prompt for q in questions]
        assert all(set(q) == {"id", "kind", "points", "options", "prompt"} for q in shown)
        assert not any(q.reason in data.decode() for q in questions if q.kind == "number")
    prompts = {s: {q["id"]: q["prompt"] for q in document["sheets"][student_key("vanishing", s)]["questions"]}
               for s in ("ada", "ben")}
    assert prompts["ada"]["path_1"] != prompts["ben"]["path_1"]  # two students, two sets of numbers


def test_the_sheets_cells_are_worth_the_manifests_questions_points(vanishing: Assignment) -> None:
    points = sheet_points(vanishing)
    assert set(points) == {CONCEPT_SKILL, WORKED_SKILL}
    assert sum(points.values()) == pytest.approx(vanishing.questions_points)
    from autograder.platforms.nbgrader_source import skill_of_grade_id

    assert skill_of_grade_id(vanishing, "test_worked_numbers") == WORKED_SKILL
    assert skill_of_grade_id(get_assignment("activations"), "test_worked_numbers") is None


def test_the_kernel_shows_the_students_own_numbers_and_checks_form_only(vanishing: Assignment, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / SHEETS_NAME).write_bytes(released_sheets(vanishing, ["ada", "ben"], SECRET.encode()))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV)  # a student's kernel has no course secret
    ada, ben = sheet(vanishing, "ada"), sheet(vanishing, "ben")
    show_sheet("vanishing", {"my_student_id": "ada"})
    shown = capsys.readouterr().out
    assert all(q.prompt in shown for q in ada) and next(q.prompt for q in ben if q.id == "path_1") not in shown
    show_sheet("vanishing", {"my_student_id": "zoe"})
    assert "No questions were released for student id 'zoe'" in capsys.readouterr().out

    right = {"my_student_id": "ada", "In": ["", key_cell(ada)]}
    wrong = {"my_student_id": "ada", "In": ["", key_cell(ben)]}  # ben's answers: the same form
    for skill in (CONCEPT_SKILL, WORKED_SKILL):
        check_sheet("vanishing", skill, right)
        said_right = capsys.readouterr().out
        try:
            check_sheet("vanishing", skill, wrong)
        except ChecksFailed as err:  # an option of ben's list that is not on ada's
            said_wrong = str(err)
            assert "not among the options" in said_wrong or "is not one of the options" in said_wrong
        else:
            said_wrong = capsys.readouterr().out
            assert said_wrong == said_right  # nothing tells a right sheet from a wrong one
        assert "answered" in said_right and "0 to fix" in said_right
    with pytest.raises(ChecksFailed, match="path_1: write a number"):
        check_sheet("vanishing", WORKED_SKILL, {"my_student_id": "ada", "In": [f'{PYTHON_CELL}\npath_1 = "x"\n']})
    monkeypatch.setenv(EXECUTION_ENV, AUTOGRADE)
    with pytest.raises(CheckSetupError, match="autograder nbgrader grade"):
        check_sheet("vanishing", WORKED_SKILL, right)


def test_a_sheet_cell_keeps_its_points_when_the_code_does_not_load(vanishing: Assignment, tmp_path: Path) -> None:
    pytest.importorskip("nbgrader")
    from autograder.platforms.nbgrader_autograde import cell_outputs

    path = notebook_with(tmp_path, "vanishing.ipynb", key_cell(sheet(vanishing, "ada")))
    crashed = dataclasses.replace(code_result(vanishing, "ada"), error="SyntaxError: invalid syntax",
                                  error_kind="submission")
    graded = with_sheet(vanishing, crashed, path, "ada")
    points = sheet_points(vanishing)
    worked = cell_outputs(vanishing, graded, WORKED_SKILL, points[WORKED_SKILL])
    assert [o.output_type for o in worked] == ["stream"] and "✓ worked_numbers" in worked[0].text
    code = cell_outputs(vanishing, graded, "activations", 10.0)
    assert code[0].output_type == "error"


# -- Gradescope's roster -------------------------------------------------------------------------------

def test_the_bundle_carries_the_roster_beside_the_secret(vanishing: Assignment, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.platforms import gradescope

    wheel = tmp_path / "dl_gradekit-0.0.0-py3-none-any.whl"
    wheel.write_bytes(b"not really a wheel")
    monkeypatch.setattr(gradescope, "dependency_wheels", lambda kit, versions: [kit])
    bundle = gradescope.build_bundle(vanishing, tmp_path / "autograder.zip", wheel=wheel,
                                     roster=["s-042", "s-043"])
    with zipfile.ZipFile(bundle.path) as archive:
        assert archive.read(f"course/{gradescope.VARIANT_ROSTER_FILE}").decode().split() == ["s-042", "s-043"]
        assert archive.read(f"course/{gradescope.VARIANT_SECRET_FILE}").decode() == SECRET


# -- the secret never reaches the sandbox ---------------------------------------------------------------

def test_the_sandboxed_code_never_sees_the_course_secret(vanishing: Assignment, tmp_path: Path) -> None:
    """Graded with the secret in the grader's environment, a submission whose first statement raises
    when it can see it (or its value anywhere in its environment) does not raise (the kit runs the rest
    of a file whose statement raised, and says so in a warning), and earns the code's full marks."""
    from autograder.grading.grade import grade_submission
    from autograder.solution_cache import solution_source

    seen = f"({ENV!r} in _os.environ or any({SECRET!r} in _v for _v in _os.environ.values()))"
    probe = "import os as _os\nif {}:\n    raise RuntimeError('the course secret is visible')\n"
    folder = tmp_path / "ada"
    folder.mkdir()
    (folder / "vanishing.py").write_text(probe.format(seen) + solution_source(vanishing))
    result = grade_submission(vanishing, folder)
    assert result.graded and not any("secret is visible" in w for w in result.warnings), result.warnings
    assert result.score == pytest.approx(vanishing.total_points)
    (folder / "vanishing.py").write_text(probe.format(f"not {seen}") + solution_source(vanishing))
    assert any("secret is visible" in w for w in grade_submission(vanishing, folder).warnings)  # it can fail
