"""autograder.release.publish: the release folder, its leak checks and its atomic write."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path, PurePosixPath

import nbformat
import pytest

import autograder.release.publish as publish
from autograder.assignment import Assignment, load_manifest
from autograder.kit_wheel import wheel_name
from autograder.release import (
    LeakError,
    ReleaseExistsError,
    ReleaseReport,
    SourceError,
    release_assignment,
    solution_source,
    stub_source,
)

from .helpers import copy_assignment, solution_lines

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MARKER_WORDS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
FIGURES = {"activations": {PurePosixPath("activations.png")},
           "vanishing": {PurePosixPath("vanishing_gradient.png")}}
"""The lecture figures each notebook shows, released beside it."""


def _files_on_disk(folder: Path) -> set[PurePosixPath]:
    return {PurePosixPath(p.relative_to(folder).as_posix()) for p in folder.rglob("*") if p.is_file()}


def _texts(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in folder.rglob("*")
            if p.is_file() and p.suffix not in (".png", ".whl")}


def _hidden_files(assignment: Assignment) -> set[str]:
    return {p.name for p in assignment.hidden_tests.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            and p.name not in ("conftest.py", "__init__.py")}


# --------------------------------------------------------------------------
# What a release holds


def test_release_holds_stub_notebook_and_public_tests(assignment: Assignment, released: ReleaseReport) -> None:
    folder = released.folder
    assert folder.name == assignment.id and released.assignment_id == assignment.id
    public = {PurePosixPath("tests", p.relative_to(assignment.public_tests).as_posix())
              for p in assignment.public_tests.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    expected = {PurePosixPath(f"{assignment.module}.py"), PurePosixPath(f"{assignment.module}.ipynb"),
                PurePosixPath("POINTS.md"), PurePosixPath("README.md"), PurePosixPath("assignment.toml"),
                PurePosixPath("tests/conftest.py"), PurePosixPath("wheels", wheel_name())} | public
    expected |= FIGURES.get(assignment.id, set())
    assert set(released.files) == expected
    assert _files_on_disk(folder) == expected
    for relative in public:
        source = assignment.public_tests / Path(*relative.parts[1:])
        assert (folder / relative).read_bytes() == source.read_bytes(), relative
    assert (folder / f"{assignment.module}.py").read_text() == stub_source(assignment)
    scheme = (folder / "POINTS.md").read_text()
    assert all(f"| `{s.name}` |" in scheme for s in assignment.credit.skills)


def test_released_figures_are_the_pngs_the_notebook_shows(assignment: Assignment,
                                                          released: ReleaseReport) -> None:
    notebook = nbformat.read(released.folder / f"{assignment.module}.ipynb", as_version=4)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    for figure in FIGURES.get(assignment.id, set()):
        assert f"]({figure})" in markdown
        data = (released.folder / figure).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000


def test_release_has_no_marker_anywhere(released: ReleaseReport) -> None:
    for name, text in _texts(released.folder).items():
        for word in MARKER_WORDS:
            assert word not in text, f"{name} contains {word!r}"


def test_release_has_no_hidden_test_file(assignment: Assignment, released: ReleaseReport) -> None:
    hidden = _hidden_files(assignment)
    assert hidden, "the assignment has no hidden tests"
    assert not hidden & {p.name for p in released.folder.rglob("*")}
    for name, text in _texts(released.folder).items():
        for hidden_name in hidden:
            assert hidden_name not in text, f"{name} mentions {hidden_name}"


def test_release_has_no_solution_or_hidden_test_line(assignment: Assignment, released: ReleaseReport) -> None:
    secret = solution_lines(assignment.source_path.read_text(encoding="utf-8"))
    assert secret, "no distinctive solution lines found: is the source empty?"
    for name, text in _texts(released.folder).items():
        leaked = secret & {line.strip() for line in text.split("\n")}
        # The .ipynb stores sources as JSON strings: check its decoded cells too.
        if name.endswith(".ipynb"):
            notebook = nbformat.reads(text, as_version=4)
            leaked |= secret & {line.strip() for c in notebook.cells for line in c.source.split("\n")}
        assert not leaked, f"{name} holds solution lines {sorted(leaked)[:3]}"


def test_released_stub_imports_and_every_function_raises(assignment: Assignment, released: ReleaseReport) -> None:
    module = types.ModuleType(assignment.module)
    path = released.folder / f"{assignment.module}.py"
    exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    for name in assignment.functions:
        with pytest.raises(NotImplementedError):
            getattr(module, name)(*[None] * getattr(module, name).__code__.co_argcount)


def test_released_notebook_is_valid_nbformat(assignment: Assignment, released: ReleaseReport) -> None:
    notebook = nbformat.read(released.folder / f"{assignment.module}.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["language"] == "python"


def test_released_notebook_carries_nbgraders_checksums_and_locks(assignment: Assignment,
                                                                released: ReleaseReport) -> None:
    """As nbgrader's generate_assignment writes it: every grade, solution and locked cell has the
    checksum nbgrader's own compute_checksum gives, and its LockCells would change nothing."""
    import copy

    pytest.importorskip("nbgrader", reason="nbgrader is not installed")
    from nbgrader.preprocessors import LockCells
    from nbgrader.utils import compute_checksum, is_grade, is_locked, is_solution

    notebook = nbformat.read(released.folder / f"{assignment.module}.ipynb", as_version=4)
    tracked = [c for c in notebook.cells if is_grade(c) or is_solution(c) or is_locked(c)]
    assert any(is_grade(c) for c in tracked) and any(is_locked(c) and not is_grade(c) for c in tracked)
    for cell in tracked:
        assert cell.metadata["nbgrader"]["checksum"] == compute_checksum(cell), cell.metadata["nbgrader"]["grade_id"]
    locked, _ = LockCells().preprocess(copy.deepcopy(notebook), {})
    assert [c.metadata for c in locked.cells] == [c.metadata for c in notebook.cells]
    assert all(c.metadata["editable"] is False and c.metadata["deletable"] is False
               for c in tracked if is_locked(c))


# --------------------------------------------------------------------------
# Leak detection on doctored sources


def test_a_public_test_quoting_the_solution_is_refused(toy_assignment: Assignment, tmp_path: Path) -> None:
    public = toy_assignment.public_tests / "test_toy_public.py"
    public.write_text("def test_copy():\n    doubled_value = np.multiply(x, 2.0)\n")
    with pytest.raises(LeakError, match="doubled_value"):
        release_assignment(toy_assignment, tmp_path / "out")
    assert not (tmp_path / "out" / "toy").exists()


def test_a_public_file_named_like_a_hidden_one_is_refused(toy_assignment: Assignment, tmp_path: Path) -> None:
    (toy_assignment.public_tests / "test_toy_secret_suite.py").write_text("def test_x():\n    pass\n")
    with pytest.raises(LeakError, match="hidden test file"):
        release_assignment(toy_assignment, tmp_path / "out")


def test_a_marker_in_a_public_file_is_refused(toy_assignment: Assignment, tmp_path: Path) -> None:
    (toy_assignment.public_tests / "notes.txt").write_text("see the END HIDDEN TESTS part\n")
    with pytest.raises(LeakError, match="END HIDDEN TESTS"):
        release_assignment(toy_assignment, tmp_path / "out")


def test_find_leaks_reports_each_trace(toy_assignment: Assignment) -> None:
    files = {PurePosixPath("a.py"): b"halved_value = np.divide(x, 2.0)\n",
             PurePosixPath("b.py"): b"### BEGIN SOLUTION\n",
             PurePosixPath("c.py"): b"assert halve(4.0) == 2.0 and double(-1.5) == -3.0\n",
             PurePosixPath("fine.py"): b"import numpy as np\nreturn x\n"}
    leaks = publish.find_leaks(toy_assignment, files)
    assert [leak.split(":")[0] for leak in leaks] == ["a.py", "b.py", "c.py"]


def test_the_toy_release_is_as_expected(toy_assignment: Assignment, tmp_path: Path) -> None:
    report = release_assignment(toy_assignment, tmp_path / "out")
    stub = (report.folder / "toy.py").read_text()
    assert "doubled_value" not in stub and "halved_value" not in stub
    assert '    if x is None:\n        raise TypeError("x")\n    # YOUR CODE HERE\n' in stub
    notebook = nbformat.read(report.folder / "toy.ipynb", as_version=4)
    assert notebook.cells[-1].source == "assert double(1.0) == 2.0"


# --------------------------------------------------------------------------
# Writing: refuse, overwrite, never half-written


def test_an_existing_non_empty_release_is_refused_unless_overwrite(toy_assignment: Assignment,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = release_assignment(toy_assignment, out)
    (first.folder / "student-notes.txt").write_text("mine")
    with pytest.raises(ReleaseExistsError, match="overwrite"):
        release_assignment(toy_assignment, out)
    assert (first.folder / "student-notes.txt").exists()
    second = release_assignment(toy_assignment, out, overwrite=True)
    assert second.folder == first.folder
    assert not (second.folder / "student-notes.txt").exists()
    assert sorted(p.name for p in out.iterdir()) == ["toy"]  # no staging or retired folders left


def test_an_existing_empty_folder_is_filled(toy_assignment: Assignment, tmp_path: Path) -> None:
    (tmp_path / "out" / "toy").mkdir(parents=True)
    report = release_assignment(toy_assignment, tmp_path / "out")
    assert (report.folder / "toy.py").is_file()


def test_a_failed_write_leaves_nothing_behind(toy_assignment: Assignment, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def half_write(root: Path, files: dict) -> None:
        (root / "toy.py").write_text("partial")
        raise OSError("disk full")

    monkeypatch.setattr(publish, "_write_tree", half_write)
    with pytest.raises(OSError, match="disk full"):
        release_assignment(toy_assignment, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_failed_overwrite_keeps_the_previous_release(toy_assignment: Assignment, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    first = release_assignment(toy_assignment, out)
    before = {p: (first.folder / p).read_bytes() for p in first.files}
    real_rename = os.rename

    def failing_rename(src: os.PathLike, dst: os.PathLike) -> None:
        if Path(src).name.startswith(".toy.release-"):  # moving the new release into place
            raise OSError("rename failed")
        real_rename(src, dst)

    monkeypatch.setattr(publish.os, "rename", failing_rename)
    with pytest.raises(OSError, match="rename failed"):
        release_assignment(toy_assignment, out, overwrite=True)
    monkeypatch.undo()
    assert {p: (first.folder / p).read_bytes() for p in first.files} == before
    assert sorted(p.name for p in out.iterdir()) == ["toy"]


def test_a_broken_source_writes_nothing(assignment: Assignment, tmp_path: Path) -> None:
    root = copy_assignment(assignment, tmp_path / "src")
    source = root / "source.py"
    source.write_text(source.read_text().replace("### END SOLUTION", "", 1))
    with pytest.raises(SourceError, match="never closed|inside"):
        release_assignment(load_manifest(root), tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


# --------------------------------------------------------------------------
# The public tests run in the release folder


def _pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT),
                                                                      os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_public_tests_run_in_the_release_folder(assignment: Assignment, released: ReleaseReport,
                                                tmp_path: Path) -> None:
    solution = tmp_path / f"{assignment.module}.py"
    solution.write_text(solution_source(assignment))
    passing = _pytest_in(released.folder, "--submission", str(solution), "tests/")
    assert passing.returncode == 0, passing.stdout[-3000:] + passing.stderr[-2000:]
    # Without --submission the conftest picks the stub next to tests/: everything fails.
    failing = _pytest_in(released.folder, "tests/")
    assert failing.returncode == 1, failing.stdout[-3000:] + failing.stderr[-2000:]
    assert " passed" not in failing.stdout.splitlines()[-1], failing.stdout[-1000:]
