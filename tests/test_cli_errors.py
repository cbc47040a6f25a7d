"""Every mistake a user makes with the ``autograder`` command ends in one ``error`` line and exit 2.

Each command runs through click's runner (the exception it ended with must be
the ``SystemExit`` of a handled error, never a traceback), and a real process
checks that output to a pipe is plain lines that never wrap.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner, Result

from autograder.cli import main

REPO = Path(__file__).resolve().parent.parent


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def assert_one_line_error(result: Result, *needles: str) -> None:
    """Exit 2, ended by a handled ``SystemExit``, one line of output naming every needle, no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_grade_out_naming_a_file(tmp_path: Path) -> None:
    carol = tmp_path / "carol.py"
    carol.write_text("x = 1\n", encoding="utf-8")
    result = run("grade", "--assignment", "activations", "--out", str(carol), str(carol))
    assert_one_line_error(result, "error:", f"--out {carol} is a file, not a folder")
    assert carol.read_text(encoding="utf-8") == "x = 1\n"


@pytest.mark.parametrize("where", ["/proc/nope", "/proc/nope/deeper"])
def test_grade_out_in_a_place_that_cannot_be_written(tmp_path: Path, where: str) -> None:
    carol = tmp_path / "carol.py"
    carol.write_text("x = 1\n", encoding="utf-8")
    result = run("grade", "--assignment", "activations", "--out", where, str(carol))
    assert_one_line_error(result, "error:", f"cannot write the results into {where}")


def test_grade_out_below_a_file(tmp_path: Path) -> None:
    carol = tmp_path / "carol.py"
    carol.write_text("x = 1\n", encoding="utf-8")
    result = run("grade", "--assignment", "activations", "--out", str(carol / "out"), str(carol))
    assert_one_line_error(result, "error:", "cannot write the results into", "Not a directory")


def test_release_out_naming_a_file(tmp_path: Path) -> None:
    target = tmp_path / "release.txt"
    target.write_text("keep me\n", encoding="utf-8")
    result = run("release", "--assignment", "vanishing", "--out", str(target))
    assert_one_line_error(result, "error:", f"--out {target} is a file, not a folder")
    assert target.read_text(encoding="utf-8") == "keep me\n"


def test_release_out_in_a_place_that_cannot_be_written() -> None:
    assert_one_line_error(run("release", "--assignment", "vanishing", "--out", "/proc/nope"),
                          "error:", "/proc/nope")


def test_release_into_an_existing_release(tmp_path: Path) -> None:
    assert run("release", "--assignment", "vanishing", "--out", str(tmp_path)).exit_code == 0
    result = run("release", "--assignment", "vanishing", "--out", str(tmp_path))
    assert_one_line_error(result, "error:")
    assert result.output.strip() == (f"error: {tmp_path / 'vanishing'} exists and is not empty; "
                                     "pass --overwrite to replace it")


@pytest.mark.parametrize("extra", [[], ["--assignment", "activations"]], ids=["guessed", "named"])
def test_check_of_a_missing_file_says_no_such_file(tmp_path: Path, extra: list[str]) -> None:
    missing = tmp_path / "activations.py"
    assert_one_line_error(run("check", *extra, str(missing)), f"cannot check: no such file: {missing}")


@pytest.mark.parametrize(("name", "content", "says"), [
    ("activations.py", "", "activations.py is empty"),
    ("activations.py", "\n\n   \n", "activations.py is empty"),
    ("activations.py", "# TODO: everything\n\n# later\n", "activations.py holds only comments, no code"),
    ("activations.ipynb", None, "activations.ipynb holds no code: its code cells are empty"),
    ("activations.txt", "x = 1\n", "activations.txt: submit a .py, .ipynb, a folder or a .zip"),
], ids=["empty", "blank-lines", "comments-only", "empty-notebook", "wrong-suffix"])
def test_check_of_a_file_without_code_says_so(tmp_path: Path, name: str, content: str | None,
                                              says: str) -> None:
    path = tmp_path / name
    if content is None:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Activations"),
                                                   nbformat.v4.new_code_cell("")])
        nbformat.write(notebook, str(path))
    else:
        path.write_text(content, encoding="utf-8")
    result = run("check", "--assignment", "activations", str(path))
    assert_one_line_error(result, f"cannot check: {says}")
    assert "does not define" not in result.output


def test_check_of_a_file_whose_name_names_no_assignment(tmp_path: Path) -> None:
    path = tmp_path / "homework.py"
    path.write_text("x = 1\n", encoding="utf-8")
    assert_one_line_error(run("check", str(path)), "cannot tell the assignment from homework.py",
                          "pass --assignment activations, --assignment backprop or --assignment vanishing")


def test_check_of_a_folder_naming_two_assignments_says_which_to_choose(tmp_path: Path) -> None:
    folder = tmp_path / "alice"
    folder.mkdir()
    for name in ("activations (1).py", "Backprop-final.py"):
        (folder / name).write_text("x = 1\n", encoding="utf-8")
    assert_one_line_error(run("check", str(folder)), "could be activations or backprop",
                          "pass --assignment activations or --assignment backprop")


def test_grade_of_duplicate_students(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "alice.py").write_text("x = 1\n", encoding="utf-8")
    result = run("grade", "--assignment", "activations", "--out", str(tmp_path / "out"),
                 str(tmp_path / "a" / "alice.py"), str(tmp_path / "b" / "alice.py"))
    assert_one_line_error(result, "error:", "both student 'alice'")


def test_output_to_a_pipe_is_plain_lines_that_never_wrap(tmp_path: Path) -> None:
    """Grading an empty file needs no sandbox; its table row and the long paths stay on one line each."""
    deep = tmp_path / ("a-rather-long-folder-name-for-a-course-" * 3) / "graded"
    empty = tmp_path / "an_empty_submission_with_a_long_name.py"
    empty.write_text("", encoding="utf-8")
    completed = subprocess.run([sys.executable, "-m", "autograder", "grade", "--assignment", "activations",
                                "--out", str(deep), "--jobs", "1", str(empty)],
                               cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
                               env={"PATH": "/usr/bin:/bin", "COLUMNS": "40", "TERM": "xterm"})
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    lines = completed.stdout.splitlines()
    assert f"wrote {deep}/<student>/results.json, feedback.md, feedback.html and {deep}/grades.csv" in lines
    assert any("an_empty_submission_with_a_long_name.py is empty; submit the file with your code in it" in line
               for line in lines)
    assert "\x1b[" not in completed.stdout
    assert "1 submission" in completed.stdout and "1 submissions" not in completed.stdout


def test_check_without_a_sandbox_component_says_what_to_install(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A kit installed without pyseccomp (or any sandbox component): ``check`` runs the file on
    the student's own machine and says so in one line; asked to insist on the sandbox, one line
    naming what is missing, what to install and which mode to use, never a traceback."""
    import importlib.util

    from autograder.sandbox import host
    from autograder.sandbox.isolation import OWN_MACHINE_NOTE
    from autograder.solution_cache import solution_source
    from tests.grading.builders import BUNDLED

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *rest: None if name == "pyseccomp" else real(name, *rest))
    host.host_paths.cache_clear()
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "fallback")
    submission = tmp_path / "activations.py"
    submission.write_text(solution_source(BUNDLED), encoding="utf-8")
    try:
        assert_one_line_error(run("check", "--isolation", "sandbox", str(submission)), "pyseccomp",
                              "pip install pyseccomp", "--isolation none")
        own = run("check", str(submission))
        assert own.exit_code == 0, own.output
        assert own.output.splitlines().count(OWN_MACHINE_NOTE) == 1
    finally:
        host.host_paths.cache_clear()


GRADE = ["grade", "--assignment", "activations", "--out", "{tmp}/out"]
NB_GRADE = ["nbgrader", "grade", "{tmp}/course", "--assignment", "activations"]
MISSING = "{tmp}/missing"
PARSER_ERRORS = [
    pytest.param(["grade", "--out", "{tmp}/out", "{tmp}/alice.py"], "missing option '--assignment'",
                 id="grade-missing-option"),
    pytest.param(["release", "--assignment", "vanishing"], "missing option '--out'", id="release-missing-option"),
    pytest.param(["nbgrader", "grade", "{tmp}/course"], "missing option '--assignment'",
                 id="nbgrader-grade-missing-option"),
    pytest.param(["gradescope", "build", "--out", "{tmp}/a.zip"], "missing option '--assignment'",
                 id="gradescope-build-missing-option"),
    pytest.param(GRADE, "missing argument 'SUBMISSIONS...'", id="grade-missing-argument"),
    pytest.param(["nbgrader", "place", "{tmp}/course", "--assignment", "activations"],
                 "missing argument 'PATHS...'", id="nbgrader-place-missing-argument"),
    pytest.param([*GRADE, "--executor", "spark", "{tmp}/alice.py"], "'spark' is not one of 'local', 'dask'",
                 id="grade-bad-choice"),
    pytest.param([*NB_GRADE, "--executor", "spark"], "'spark' is not one of 'local', 'dask'",
                 id="nbgrader-grade-bad-choice"),
    pytest.param([*GRADE, MISSING], f"'{MISSING}' does not exist", id="grade-no-such-file"),
    pytest.param(["report", MISSING], f"'{MISSING}' does not exist", id="report-no-such-folder"),
    pytest.param(["nbgrader", "collect", "{tmp}/course", MISSING, "--assignment", "activations"],
                 f"'{MISSING}' does not exist", id="nbgrader-collect-no-such-file"),
    pytest.param(["gradescope", "build", "--assignment", "activations", "--out", "{tmp}/a.zip", "--wheel", MISSING],
                 f"'{MISSING}' does not exist", id="gradescope-build-no-such-wheel"),
    pytest.param(["check", "--bogus", "{tmp}/alice.py"], "no such option '--bogus'", id="check-unknown-option"),
    pytest.param(["--bogus", "grade"], "no such option '--bogus'", id="top-unknown-option"),
    pytest.param(["nbgrader", "place", "--bogus"], "no such option '--bogus'", id="nbgrader-place-unknown-option"),
    pytest.param(["gradescope", "build", "--bogus"], "no such option '--bogus'",
                 id="gradescope-build-unknown-option"),
    pytest.param([*GRADE, "--jobs", "many", "{tmp}/alice.py"], "'many' is not a valid integer range",
                 id="grade-bad-int"),
    pytest.param([*GRADE, "--jobs", "0", "{tmp}/alice.py"], "0 is not in the range x>=1",
                 id="grade-int-out-of-range"),
    pytest.param([*NB_GRADE, "--jobs", "two"], "'two' is not a valid integer range", id="nbgrader-grade-bad-int"),
    pytest.param(["regrade"], "no such command 'regrade'", id="unknown-command"),
    pytest.param(["nbgrader", "autograde"], "no such command 'autograde'", id="nbgrader-unknown-command"),
]


@pytest.mark.parametrize(("args", "says"), PARSER_ERRORS)
def test_a_parser_error_is_one_error_line_and_exit_2(tmp_path: Path, args: list[str], says: str) -> None:
    """click's own errors (missing option or argument, bad choice, no such file, unknown option or
    command, bad int) are formatted by the kit: one ``error:`` line on stderr naming the mistake and
    the command's --help, no usage block, exit 2."""
    (tmp_path / "alice.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "course").mkdir()
    result = run(*(arg.format(tmp=tmp_path) for arg in args))
    assert_one_line_error(result, says.format(tmp=tmp_path), "--help`)")
    assert result.stderr.startswith("error: ")
    assert result.stdout == ""
    assert "Usage:" not in result.output


def test_a_parser_error_from_a_real_process_is_one_line() -> None:
    """The installed entry point formats click's errors too, not only click's test runner."""
    completed = subprocess.run([sys.executable, "-m", "autograder", "nbgrader", "grade", "--jobs", "x"],
                               cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.splitlines() == [completed.stderr.strip()]
    assert completed.stderr.startswith("error: ")


def test_help_and_version_still_exit_0() -> None:
    assert run("--help").exit_code == 0
    assert run("nbgrader", "grade", "--help").exit_code == 0
    version = run("--version")
    assert version.exit_code == 0 and version.output.startswith("autograder, version")
