"""A release a student can start from: README.md, assignment.toml, readable modes, and a
one-line message from pytest when the kit is missing."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import autograder.assignment as assignment_module
from autograder import __version__
from autograder.assignment import (
    COURSE_ENV,
    GRADING_ONLY_KEYS,
    MANIFEST_KEYS,
    Assignment,
    assignment_for_file,
    get_assignment,
    load_release,
)
from autograder.cli import main
from autograder.release import ReleaseError, ReleaseReport, release_assignment, solution_source
from autograder.release.readme import install_command, missing_kit_message


def test_readme_says_how_to_install_check_and_what_is_graded(assignment: Assignment,
                                                             released: ReleaseReport) -> None:
    readme = (released.folder / "README.md").read_text(encoding="utf-8")
    module = assignment.module
    assert readme.startswith(f"# {assignment.title}\n")
    wheel = f"wheels/dl_gradekit-{__version__}-py3-none-any.whl"
    assert f"```bash\npython3 -m pip install {wheel}\n```" in readme  # one command: the wheel it carries
    assert (released.folder / wheel).is_file() and "no package index needs to hold the kit" in readme
    assert f"autograder check {module}.py" in readme and f"autograder check {module}.ipynb" in readme
    assert "pytest tests/" in readme and f"--submission {module}.ipynb" in readme
    for rule in ("float64", "Never modify an input", "|x| <= 1000", "numpy"):
        assert rule in readme, rule
    assert all(f"| `{s.name}` |" in readme for s in assignment.credit.skills)
    assert f"{assignment.total_points:g} points" in readme and "POINTS.md" in readme
    assert all(f"`{name}`" in readme for name in assignment.functions)


def test_the_install_command_is_the_instructor_s_choice(toy_assignment: Assignment, tmp_path: Path) -> None:
    wheel = "dl_gradekit-0.1.0-py3-none-any.whl"
    folder = release_assignment(toy_assignment, tmp_path / "out", install=wheel).folder
    assert f"```bash\npython3 -m pip install {wheel}\n```" in (folder / "README.md").read_text()
    assert not (folder / "wheels").exists()  # --install SPEC: the instructor hands the kit out another way
    assert missing_kit_message(wheel) in (folder / "tests" / "conftest.py").read_text()
    assert install_command("dl-gradekit @ https://example.org/kit.whl") == \
        "python3 -m pip install 'dl-gradekit @ https://example.org/kit.whl'"


def test_the_release_manifest_is_what_check_reads(assignment: Assignment, released: ReleaseReport) -> None:
    found = assignment_for_file(released.folder / f"{assignment.module}.py")
    assert found == load_release(released.folder)
    assert found.released and found.public_tests == released.folder / "tests"
    assert (found.id, found.credit, found.limits) == (assignment.id, assignment.credit, assignment.limits)
    text = (released.folder / "assignment.toml").read_text(encoding="utf-8")
    assert set(tomllib.loads(text)) == set(MANIFEST_KEYS) - GRADING_ONLY_KEYS  # the manifest's keys, nothing added
    comments = {line for line in (assignment.root / "manifest.toml").read_text().splitlines() if line.startswith("#")}
    assert not comments & set(text.splitlines())  # the instructor's comments stay home


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_modes_follow_the_umask(toy_assignment: Assignment, tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        report = release_assignment(toy_assignment, tmp_path / "out")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(report.folder.stat().st_mode) == 0o777 & ~umask
    assert stat.S_IMODE((report.folder / "tests").stat().st_mode) == 0o777 & ~umask
    for path in report.files:
        assert stat.S_IMODE((report.folder / path).stat().st_mode) == 0o666 & ~umask, path


def test_a_release_is_not_released_again(released: ReleaseReport, tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match="is a student release"):
        release_assignment(load_release(released.folder), tmp_path)


@pytest.mark.parametrize("args", [(), ("tests/",), ("--submission", "toy.py", "tests/")],
                         ids=["pytest", "pytest-tests", "pytest-submission"])
def test_pytest_without_the_kit_says_in_one_line_what_to_install(toy_assignment: Assignment, tmp_path: Path,
                                                                 args: tuple[str, ...]) -> None:
    folder = release_assignment(toy_assignment, tmp_path / "out").folder
    # A Python where `import autograder` fails and no pytest plugin is registered by the kit.
    code = ("import sys; sys.modules['autograder'] = None; import pytest; "
            "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', *sys.argv[1:]]))")
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert lines == [f"ERROR: {missing_kit_message()}"]
    assert f"python3 -m pip install wheels/dl_gradekit-{__version__}-py3-none-any.whl" in lines[0]


def test_check_in_a_release_folder_needs_no_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assignment = get_assignment("vanishing")
    released = release_assignment(assignment, tmp_path / "out")
    folder = tmp_path / "my-homework"  # a student unzips it anywhere, under any name
    shutil.copytree(released.folder, folder)
    (folder / f"{assignment.module}.py").write_text(solution_source(assignment), encoding="utf-8")
    monkeypatch.chdir(folder)
    monkeypatch.delenv(COURSE_ENV, raising=False)
    monkeypatch.setattr(assignment_module, "_kit_clone_course", lambda: None)  # as a student's installed kit
    result = CliRunner(env={"COLUMNS": "400"}).invoke(main, ["check", f"{assignment.module}.py"])
    assert result.exit_code == 0, result.output
    assert "all public tests pass" in result.output and "✗" not in result.output
    result = CliRunner().invoke(main, ["release", "--assignment", assignment.id, "--out", str(tmp_path)])
    assert result.exit_code == 2 and "no course folder found" in result.output
