"""The ``autograder`` command, through click's runner (and once as a real process).

Exit statuses, as documented by ``cli``/``views``/``batch``:

* ``grade``: 0 when the kit graded every submission (a student's unreadable or
  crashing file still counts as graded, with 0 points), 1 when some submission
  could not be graded by the kit (``error_kind == "grader"``), 2 for usage
  errors and a batch that cannot start (duplicate student ids);
* ``check``: 0 when every public test passes, 1 when some fail or the file does
  not load, 2 when the file or assignment cannot be determined;
* ``validate``: 0 when the assignment is valid, 1 otherwise.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from autograder.assignment import available_assignments, get_assignment
from autograder.cli import main
from autograder.grading import batch as batch_module
from autograder.grading.results import GradeResult
from autograder.release import solution_source, stub_source
from tests.grading.builders import TINY_SUITE, submission_file, tiny_assignment

REPO = Path(__file__).resolve().parent.parent
SAMPLES = get_assignment("activations").root / "samples"
KNOWN = ", ".join(available_assignments())
COURSE = REPO / "assignments"


def run(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "400"}).invoke(main, list(args), catch_exceptions=True)


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8")))
    return {row["student_id"]: row for row in rows}


def test_module_entry_point_runs_as_a_real_process() -> None:
    completed = subprocess.run([sys.executable, "-m", "autograder", "--help"], cwd=REPO,
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    for command in ("grade", "check", "release", "validate", "reference"):
        assert command in completed.stdout


@pytest.mark.parametrize("command", ["grade", "release", "validate"])
def test_unknown_assignment_is_a_usage_error_listing_known_ids(tmp_path: Path, command: str) -> None:
    existing = submission_file(tmp_path, "a.py", "x = 1\n")
    extra = {"grade": ["--out", str(tmp_path / "out"), str(existing)],
             "release": ["--out", str(tmp_path / "out")], "validate": []}[command]
    result = run(command, "--assignment", "nope", *extra)
    assert result.exit_code == 2
    assert "error: invalid value for --assignment" in result.output
    assert f"no assignment 'nope' in course {COURSE}; known: {KNOWN}" in result.output
    assert not (tmp_path / "out").exists()


def test_grade_needs_an_assignment_and_submissions(tmp_path: Path) -> None:
    assert run("grade", "--out", str(tmp_path), "x.py").exit_code == 2
    assert run("grade", "--assignment", "vanishing", "--out", str(tmp_path)).exit_code == 2


@pytest.mark.slow
def test_grade_two_samples_writes_every_file_and_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "graded"
    result = run("grade", "--assignment", "activations", "--out", str(out), "--jobs", "2",
                 str(SAMPLES / "correct.py"), str(SAMPLES / "partial.py"))
    assert result.exit_code == 0, result.output
    for student in ("correct", "partial"):
        assert (out / student / "results.json").is_file() and (out / student / "feedback.md").is_file()
    book = gradebook(out)
    assert float(book["correct"]["score"]) == pytest.approx(100.0)
    assert 0.0 < float(book["partial"]["score"]) < 100.0
    assert json.loads((out / "correct" / "results.json").read_text(encoding="utf-8"))["score"] == pytest.approx(100.0)
    assert "wrote" in result.output and "grades.csv" in result.output


def test_grade_counts_unreadable_submissions_as_graded_with_zero(tmp_path: Path) -> None:
    """A syntax error or undecodable bytes are the student's zero, not the kit's failure: exit 0."""
    broken = submission_file(tmp_path / "subs", "broken.py", "def activate(:\n")
    garbled = tmp_path / "subs" / "garbled.py"
    garbled.write_bytes(b"\xff\xfe\x00")
    out = tmp_path / "out"
    result = run("grade", "--assignment", "vanishing", "--out", str(out), "--jobs", "1",
                 str(garbled), str(broken))
    assert result.exit_code == 0, result.output
    assert "not UTF-8" in result.output
    assert "SyntaxError" in result.output
    book = gradebook(out)
    assert {(s, row["score"], row["status"]) for s, row in book.items()} == {
        ("garbled", "0", "error"), ("broken", "0", "error")}
    assert "not UTF-8" in (out / "garbled" / "feedback.md").read_text(encoding="utf-8")


def test_grade_of_a_mistyped_path_is_a_usage_error_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("grade", "--assignment", "vanishing", "--out", str(out), str(tmp_path / "ghost.py"))
    assert result.exit_code == 2 and "does not exist" in result.output
    assert not out.exists()


def test_grade_exits_1_when_the_kit_could_not_grade_a_submission(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def kit_failure(assignment, path, **_):  # type: ignore[no-untyped-def]
        return GradeResult(Path(path).stem, assignment.id, (), assignment.total_points, 0.0, "none",
                           error="grader: the sandbox is unavailable", error_kind="grader")

    monkeypatch.setattr(batch_module, "grade_submission", kit_failure)
    out = tmp_path / "out"
    submission = submission_file(tmp_path, "a.py", "x = 1\n")
    result = run("grade", "--assignment", "vanishing", "--out", str(out), "--jobs", "1", str(submission))
    assert result.exit_code == 1
    assert gradebook(out)["a"]["status"] == "grader-error"


def test_grade_with_duplicate_student_ids_exits_2_without_writing(tmp_path: Path) -> None:
    first = submission_file(tmp_path / "one", "alice.py", "x = 1\n")
    second = submission_file(tmp_path / "two", "alice.py", "x = 2\n")
    out = tmp_path / "out"
    result = run("grade", "--assignment", "vanishing", "--out", str(out), str(first), str(second))
    assert result.exit_code == 2
    assert "error:" in result.output and "both student 'alice'" in result.output
    assert not out.exists()


def test_grade_resume_reports_what_it_kept_and_regrades_a_changed_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ghost = submission_file(tmp_path, "ghost.py", "def activate(:\n")
    grade = ("grade", "--assignment", "vanishing", "--out", str(out), "--jobs", "1")
    assert run(*grade, str(ghost)).exit_code == 0
    result = run(*grade, "--resume", str(ghost))
    assert result.exit_code == 0 and "resumed 1 student already graded" in result.output
    ghost.write_text("def activate(x):\n    return x\n", encoding="utf-8")
    result = run(*grade, "--resume", str(ghost))
    assert result.exit_code == 0 and "resumed" not in result.output
    assert "graded 1 student again: the submission changed since it was graded (ghost)" in result.output
    assert "SyntaxError" not in (out / "ghost" / "feedback.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The activations stub and solution, saved as ``activations.py`` in two folders."""
    activations = get_assignment("activations")
    base = tmp_path_factory.mktemp("check")
    return {"stub": submission_file(base / "stub", "activations.py", stub_source(activations)),
            "solution": submission_file(base / "solution", "activations.py", solution_source(activations))}


def test_check_on_the_released_stub_exits_1_with_a_cross_per_failing_test(released: dict[str, Path]) -> None:
    result = run("check", str(released["stub"]))
    assert result.exit_code == 1, result.output
    crosses = [line for line in result.output.splitlines() if line.startswith("✗ ")]
    assert len(crosses) >= 1 and "✓" not in result.output
    assert "NotImplementedError" in result.output
    assert "some public tests fail" in result.output


def test_check_on_the_solution_exits_0(released: dict[str, Path]) -> None:
    result = run("check", "--assignment", "activations", str(released["solution"]))
    assert result.exit_code == 0, result.output
    assert "✗" not in result.output and "✓ " in result.output
    assert "all public tests pass" in result.output


def test_check_says_what_its_score_leaves_out(released: dict[str, Path], tmp_path: Path) -> None:
    """A full public score is not the assignment's: each skill no public test covers, and the
    question sheet, are named with their points (and none is named where every skill is covered)."""
    vanishing = get_assignment("vanishing")
    solution = submission_file(tmp_path, "vanishing.py", solution_source(vanishing))
    result = run("check", "--assignment", "vanishing", str(solution))
    assert result.exit_code == 0, result.output
    checked = {line.split(" (")[0][2:] for line in result.output.splitlines() if line.startswith("✓ ")}
    missing = [skill for skill in vanishing.credit.skills if skill.name not in checked]
    assert missing, "every vanishing skill has a public test now: pick an assignment whose skill has none"
    for skill in missing:
        assert f"· {skill.name} ({skill.points:g} points): no public test" in result.output
    assert f"· the question sheet ({vanishing.questions_points:g} points)" in result.output
    full = run("check", "--assignment", "activations", str(released["solution"]))
    assert "· " not in full.output and "no public test" not in full.output


def test_check_names_each_function_and_the_recognised_mistake(released: dict[str, Path], tmp_path: Path) -> None:
    solution = released["solution"].read_text(encoding="utf-8")
    wrong = submission_file(tmp_path, "activations.py", solution + '''

def sigmoid_derivative(x):
    return sigmoid(x)
''')
    result = run("check", str(wrong))
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    marks = [line for line in lines if line.startswith(("✓ ", "✗ "))]
    assert "✓ sigmoid (14/14)" in marks and any(m.startswith("✗ sigmoid_derivative (") for m in marks)
    assert len({line.split(" (")[0][2:] for line in marks}) == len(marks)  # one line per function
    assert any("Likely mistake (sigmoid-derivative-is-sigmoid)" in line for line in lines)


def test_check_of_a_file_that_does_not_load_exits_1(tmp_path: Path) -> None:
    path = submission_file(tmp_path, "vanishing.py", "def activate(:\n")
    result = run("check", str(path))
    assert result.exit_code == 1
    assert "✗ the submission could not be loaded: SyntaxError" in result.output


def test_check_cannot_guess_the_assignment_of_an_unknown_file_name(tmp_path: Path) -> None:
    path = submission_file(tmp_path, "homework.py", "x = 1\n")
    result = run("check", str(path))
    assert result.exit_code == 2
    assert "cannot tell the assignment from homework.py" in result.output and KNOWN in result.output


def test_check_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    for extra in (["--assignment", "vanishing"], []):
        result = run("check", *extra, str(tmp_path / "vanishing.py"))
        assert result.exit_code == 2 and f"cannot check: no such file: {tmp_path / 'vanishing.py'}" in result.output


def test_release_writes_the_student_folder(tmp_path: Path) -> None:
    result = run("release", "--assignment", "vanishing", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    folder = tmp_path / "vanishing"
    for name in ("vanishing.py", "vanishing.ipynb", "tests/conftest.py", "tests/test_vanishing_public.py"):
        assert (folder / name).is_file(), name
        assert name in result.output
    assert not (folder / "tests" / "test_vanishing.py").exists()  # the hidden suite stays home
    assert run("release", "--assignment", "vanishing", "--out", str(tmp_path), "--overwrite").exit_code == 0


def test_release_into_an_existing_folder_is_a_clean_error(tmp_path: Path) -> None:
    assert run("release", "--assignment", "vanishing", "--out", str(tmp_path)).exit_code == 0
    result = run("release", "--assignment", "vanishing", "--out", str(tmp_path))
    assert result.exit_code != 0 and "--overwrite" in result.output
    assert isinstance(result.exception, SystemExit)  # handled, not a crash


@pytest.mark.slow
def test_validate_a_bundled_assignment_exits_0() -> None:
    """The quick check here; tests/test_validate.py grades every chaff, wheat and floor submission."""
    result = run("validate", "--assignment", "activations", "--quick")
    assert result.exit_code == 0, result.output
    assert "✓ activations is valid" in result.output
    assert "solution 100/100, stub 0/100" in result.output


def test_validate_json_reports_the_trials(tmp_path: Path) -> None:
    assignment = tiny_assignment(tmp_path, hidden={"test_tiny": TINY_SUITE})
    catalog = assignment.root / "misconceptions.toml"
    catalog.write_text('''
[[misconception]]
id = "sigmoid-is-identity"
function = "sigmoid"
explanation = "sigmoid squashes x into (0, 1)."
source = "tests"
chaff = """
def sigmoid(x):
    return np.asarray(x, dtype=np.float64)
"""
''', encoding="utf-8")
    from autograder.validate import validate_assignment

    report = validate_assignment(assignment)
    document = report.as_json()
    chaff = next(t for t in document["trials"] if t["kind"] == "chaff")
    assert chaff["id"] == "sigmoid-is-identity" and chaff["ok"] and list(chaff["diagnosed"]) == ["sigmoid-is-identity"]
    assert document["mutation_score"] == 1.0
    assert {t["id"] for t in document["trials"] if t["kind"] == "degenerate"} >= {"zeros", "ones", "nan"}


# --------------------------------------------------------------------------
# A course folder of the instructor's own: --course DIR or AUTOGRADER_COURSE


def new_course(tmp_path: Path) -> Path:
    """A course folder outside the kit holding one assignment the kit has never seen:
    ``deep_chains``, the vanishing assignment under another id and module name."""
    course = tmp_path / "my-course"
    shutil.copytree(COURSE / "vanishing", course / "deep_chains", ignore=shutil.ignore_patterns("__pycache__"))
    manifest = course / "deep_chains" / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace('id = "vanishing"', 'id = "deep_chains"').replace('module = "vanishing"',
                                                                          'module = "deep_chains"')
    manifest.write_text(text, encoding="utf-8")
    return course


def test_the_course_option_is_global_and_checked(tmp_path: Path) -> None:
    assert "--course DIR" in run("--help").output
    result = run("--course", str(tmp_path / "missing"), "validate", "--assignment", "vanishing")
    assert result.exit_code == 2 and "does not exist" in result.output
    course = new_course(tmp_path)
    result = run("--course", str(course), "release", "--assignment", "vanishing", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert f"no assignment 'vanishing' in course {course}; known: deep_chains" in result.output


@pytest.mark.slow
def test_an_assignment_added_in_a_course_folder_works_with_every_command(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    course = new_course(tmp_path)
    assignment = get_assignment("deep_chains", course)
    assert assignment.module == "deep_chains" and assignment.root == course / "deep_chains"

    result = run("--course", str(course), "validate", "--assignment", "deep_chains", "--quick")
    assert result.exit_code == 0, result.output
    assert "✓ deep_chains is valid" in result.output

    monkeypatch.setenv("AUTOGRADER_COURSE", str(course))  # the environment variable instead of --course
    result = run("release", "--assignment", "deep_chains", "--out", str(tmp_path / "release"))
    assert result.exit_code == 0, result.output
    folder = tmp_path / "release" / "deep_chains"
    assert (folder / "deep_chains.py").is_file() and (folder / "README.md").is_file()
    assert "autograder check deep_chains.py" in (folder / "README.md").read_text(encoding="utf-8")

    (folder / "deep_chains.py").write_text(solution_source(assignment), encoding="utf-8")
    monkeypatch.delenv("AUTOGRADER_COURSE")
    result = run("check", str(folder / "deep_chains.py"))  # the release folder's assignment.toml
    assert result.exit_code == 0 and "all public tests pass" in result.output, result.output

    student = submission_file(tmp_path / "subs", "deep_chains.py", solution_source(assignment))
    result = run("--course", str(course), "grade", "--assignment", "deep_chains", "--out",
                 str(tmp_path / "graded"), "--jobs", "1", str(student))
    assert result.exit_code == 0, result.output
    assert gradebook(tmp_path / "graded")["deep_chains"]["score"] == f"{assignment.total_points:g}"
