"""Reading submissions from disk: every accepted form, and every way one can be unreadable."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import pytest

from autograder.submission import (
    MAX_SOURCE_BYTES,
    SubmissionError,
    is_test_cell_to_skip,
    load_submission,
    notebook_to_source,
    student_id_of,
)

CODE = "def sigmoid(x):\n    return x\n"


def write_notebook(path: Path, *cells: Any) -> Path:
    """A v4 notebook of ``cells``: strings are code cells, dicts are ready-made cells."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(c) if isinstance(c, str) else c for c in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


def graded_test_cell(text: str) -> Any:
    """An nbgrader autograded-test cell (``grade: true, solution: false``)."""
    return nbformat.v4.new_code_cell(text, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 1, "grade_id": "t1"}})


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


# ------------------------------------------------------------------ .py files


def test_py_file_is_read_verbatim_with_its_stem_as_student_id(tmp_path: Path) -> None:
    path = tmp_path / "alice.py"
    path.write_text(CODE, encoding="utf-8")
    submission = load_submission(path)
    assert (submission.student_id, submission.source, submission.origin) == ("alice", CODE, path)
    assert submission.warnings == ()


def test_utf8_bom_is_accepted_and_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bob.py"
    path.write_bytes(b"\xef\xbb\xbf" + CODE.encode())
    assert load_submission(path).source == CODE


def test_non_utf8_bytes_name_the_offset_of_the_bad_byte(tmp_path: Path) -> None:
    data = b"x = 1\n# caf\xe9\n"
    path = tmp_path / "carol.py"
    path.write_bytes(data)
    with pytest.raises(SubmissionError) as err:
        load_submission(path)
    bad_offset = data.index(0xE9)
    assert f"bad byte at offset {bad_offset}" in str(err.value)
    assert "carol.py" in str(err.value) and "UTF-8" in str(err.value)


def test_oversized_py_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "dave.py"
    path.write_bytes(b"#" * (MAX_SOURCE_BYTES + 10))
    with pytest.raises(SubmissionError, match="limit"):
        load_submission(path)


def test_missing_path_is_a_submission_error(tmp_path: Path) -> None:
    with pytest.raises(SubmissionError, match="does not exist"):
        load_submission(tmp_path / "ghost.py")


@pytest.mark.parametrize("name", ["alice.txt", "alice.pdf", "alice"])
def test_wrong_suffix_says_what_to_submit(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(CODE, encoding="utf-8")
    with pytest.raises(SubmissionError, match=r"submit a \.py, \.ipynb, a folder or a \.zip"):
        load_submission(path)


# ------------------------------------------------------------------ notebooks


def test_notebook_code_cells_are_joined_and_markdown_dropped(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "erin.ipynb", "import numpy as np",
                          nbformat.v4.new_markdown_cell("# not code"), CODE)
    submission = load_submission(path)
    assert submission.student_id == "erin"
    assert "import numpy as np" in submission.source and "def sigmoid(x):" in submission.source
    assert "not code" not in submission.source
    compile(submission.source, "erin.py", "exec")


def test_magic_and_shell_lines_are_skipped_with_a_warning_each(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "frank.ipynb", "%matplotlib inline\nimport numpy as np",
                          "!pip install torch\n" + CODE)
    submission = load_submission(path)
    assert "%matplotlib" not in submission.source and "pip install" not in submission.source
    compile(submission.source, "frank.py", "exec")
    assert len(submission.warnings) == 2
    assert "cell 1" in submission.warnings[0] and "%matplotlib inline" in submission.warnings[0]
    assert "cell 2" in submission.warnings[1] and "!pip install torch" in submission.warnings[1]


def test_skipped_lines_keep_the_line_numbers_of_the_rest(tmp_path: Path) -> None:
    source, _ = notebook_to_source(json.dumps(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("%load_ext autoreload\nx = 1\ny = 2")])), name="n.ipynb")
    assert source.splitlines()[1:3] == ["x = 1", "y = 2"]


@pytest.mark.parametrize("cell", [
    pytest.param(graded_test_cell("assert sigmoid(0) == 99"), id="nbgrader-graded-test"),
    pytest.param(nbformat.v4.new_code_cell("assert sigmoid(0) == 99", metadata={"tags": ["tests"]}),
                 id="tagged-tests"),
])
def test_test_cells_are_left_out(tmp_path: Path, cell: Any) -> None:
    path = write_notebook(tmp_path / "gina.ipynb", CODE, cell)
    assert "assert sigmoid(0) == 99" not in load_submission(path).source


def test_graded_solution_cells_are_kept(tmp_path: Path) -> None:
    """``grade: true, solution: true`` is a manually graded answer cell, not a test cell."""
    cell = nbformat.v4.new_code_cell(CODE, metadata={"nbgrader": {"grade": True, "solution": True}})
    assert not is_test_cell_to_skip(cell)
    assert "def sigmoid" in load_submission(write_notebook(tmp_path / "h.ipynb", cell)).source


@pytest.mark.parametrize("text", ["{not json", '{"cells": 3}', ""], ids=["broken-json", "wrong-shape", "empty"])
def test_unreadable_notebook_is_a_submission_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "ivan.ipynb"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SubmissionError, match="ivan.ipynb is not a readable notebook"):
        load_submission(path)


# ------------------------------------------------------------------ folders


def test_folder_holding_one_file_uses_it_and_the_folder_name(tmp_path: Path) -> None:
    folder = tmp_path / "judy"
    folder.mkdir()
    (folder / "whatever_name.py").write_text(CODE, encoding="utf-8")
    submission = load_submission(folder, preferred="activations")
    assert (submission.student_id, submission.source) == ("judy", CODE)
    assert student_id_of(folder) == "judy"


def test_folder_with_several_sources_picks_the_module_file(tmp_path: Path) -> None:
    folder = tmp_path / "kim"
    folder.mkdir()
    (folder / "helpers.py").write_text("HELPER = 1\n", encoding="utf-8")
    (folder / "activations.py").write_text(CODE, encoding="utf-8")
    (folder / "test_mine.py").write_text("assert False\n", encoding="utf-8")
    assert load_submission(folder, preferred="activations").source == CODE


def test_folder_with_several_sources_and_no_module_file_names_them(tmp_path: Path) -> None:
    folder = tmp_path / "leo"
    folder.mkdir()
    for name in ("a.py", "b.py"):
        (folder / name).write_text(CODE, encoding="utf-8")
    with pytest.raises(SubmissionError) as err:
        load_submission(folder, preferred="activations")
    assert "a.py, b.py" in str(err.value) and "activations.py" in str(err.value)


def test_empty_folder_is_a_submission_error(tmp_path: Path) -> None:
    (tmp_path / "mia").mkdir()
    with pytest.raises(SubmissionError, match="holds no .py or .ipynb file"):
        load_submission(tmp_path / "mia")


@pytest.mark.parametrize("tool_folder", [".ipynb_checkpoints", "__pycache__", "__MACOSX", ".git"])
def test_sources_inside_hidden_or_tool_folders_are_ignored(tmp_path: Path, tool_folder: str) -> None:
    folder = tmp_path / "nora"
    write_notebook(folder / "my_work.ipynb", CODE)
    write_notebook(folder / tool_folder / "my_work-checkpoint.ipynb", "x = 'stale'")
    submission = load_submission(folder, preferred="activations")
    assert "def sigmoid" in submission.source and "stale" not in submission.source


def test_a_symlink_pointing_outside_the_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "instructor" / "secret.py"
    secret.parent.mkdir()
    secret.write_text("ANSWER = 42\n", encoding="utf-8")
    folder = tmp_path / "oscar"
    folder.mkdir()
    (folder / "activations.py").symlink_to(secret)
    with pytest.raises(SubmissionError, match="activations.py in oscar is a symbolic link"):
        load_submission(folder, preferred="activations")


def test_a_symlink_within_the_folder_is_refused_too(tmp_path: Path) -> None:
    folder = tmp_path / "paula"
    folder.mkdir()
    (folder / "real.txt").write_text(CODE, encoding="utf-8")
    (folder / "activations.py").symlink_to(folder / "real.txt")
    with pytest.raises(SubmissionError, match="symbolic link"):
        load_submission(folder, preferred="activations")


def test_a_file_reached_through_a_symlinked_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "instructor"
    outside.mkdir()
    (outside / "activations.py").write_text("ANSWER = 42\n", encoding="utf-8")
    folder = tmp_path / "quentin"
    folder.mkdir()
    (folder / "work").symlink_to(outside, target_is_directory=True)
    with pytest.raises(SubmissionError):
        load_submission(folder, preferred="activations")


# ------------------------------------------------------------------ zip archives


def test_zip_is_read_in_memory_and_named_by_its_stem(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "pat.zip", {"pat/activations.py": CODE.encode(),
                                            "pat/notes.txt": b"hello"})
    submission = load_submission(path, preferred="activations")
    assert (submission.student_id, submission.source) == ("pat", CODE)
    assert not (tmp_path / "pat").exists()  # nothing was extracted


def test_a_folder_holding_only_a_zip_is_read_as_that_zip(tmp_path: Path) -> None:
    """A Moodle student folder, or Gradescope's submission/, holding the archive the student uploaded."""
    folder = tmp_path / "Jane Doe_12345_assignsubmission_file_"
    folder.mkdir()
    write_zip(folder / "my work.zip", {"hw/activations.py": CODE.encode(), "hw/notes.txt": b"hi"})
    submission = load_submission(folder, preferred="activations")
    assert (submission.student_id, submission.source) == ("Jane Doe_12345_assignsubmission_file_", CODE)


def test_a_folder_with_a_source_file_and_a_zip_is_graded_on_the_source(tmp_path: Path) -> None:
    folder = tmp_path / "kim"
    folder.mkdir()
    write_zip(folder / "old.zip", {"activations.py": b"x = 1\n"})
    (folder / "activations.py").write_text(CODE, encoding="utf-8")
    assert load_submission(folder, preferred="activations").source == CODE


def test_a_folder_of_two_zips_and_no_source_is_not_guessed(tmp_path: Path) -> None:
    folder = tmp_path / "lee"
    folder.mkdir()
    write_zip(folder / "a.zip", {"activations.py": CODE.encode()})
    write_zip(folder / "b.zip", {"activations.py": CODE.encode()})
    with pytest.raises(SubmissionError, match="holds no .py or .ipynb file"):
        load_submission(folder, preferred="activations")


def test_zip_made_on_a_mac_ignores_its_resource_forks(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "rita.zip", {"rita/helpers.py": CODE.encode(),
                                             "__MACOSX/rita/._helpers.py": b"\x00\x05\x16\x07",
                                             "__MACOSX/rita/helpers.py": b"junk"})
    assert load_submission(path, preferred="activations").source == CODE


def test_zip_holding_a_notebook_is_converted(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "nb" / "activations.ipynb", "%precision 3\n" + CODE)
    path = write_zip(tmp_path / "quinn.zip", {"activations.ipynb": notebook.read_bytes()})
    submission = load_submission(path, preferred="activations")
    assert "def sigmoid" in submission.source and len(submission.warnings) == 1


@pytest.mark.parametrize("member", ["../evil.py", "/abs/evil.py", "dir/../../evil.py", "dir\\evil.py"])
def test_zip_with_unsafe_member_paths_is_rejected(tmp_path: Path, member: str) -> None:
    path = write_zip(tmp_path / "rob.zip", {member: CODE.encode(), "activations.py": CODE.encode()})
    with pytest.raises(SubmissionError, match="unsafe paths") as err:
        load_submission(path, preferred="activations")
    assert member in str(err.value)


def test_zip_member_that_unpacks_past_the_limit_is_rejected(tmp_path: Path) -> None:
    bomb = b" " * (MAX_SOURCE_BYTES * 2)  # compresses to a few kilobytes
    path = write_zip(tmp_path / "sam.zip", {"activations.py": bomb})
    assert path.stat().st_size < MAX_SOURCE_BYTES // 100
    with pytest.raises(SubmissionError, match="too large"):
        load_submission(path, preferred="activations")


def test_corrupt_zip_is_a_submission_error(tmp_path: Path) -> None:
    path = tmp_path / "tom.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(SubmissionError, match="not a readable zip archive"):
        load_submission(path)


def test_zip_with_non_utf8_member_names_the_member_and_offset(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "uma.zip", {"activations.py": b"\xff" + CODE.encode()})
    with pytest.raises(SubmissionError, match=r"activations\.py is not UTF-8 text \(bad byte at offset 0\)"):
        load_submission(path, preferred="activations")


def test_a_non_python_cell_magic_drops_the_whole_cell(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "vic.ipynb", CODE, "%%bash\nls -la\necho done")
    submission = load_submission(path)
    compile(submission.source, "vic.py", "exec")
    assert "def sigmoid" in submission.source and submission.warnings


# ------------------------------------------------------------------ student ids

@pytest.mark.parametrize("name", ["alice.py", "zoë o'brien.ipynb", "activations (1).py", "grades_csv.py",
                                  "x~short.py"])
def test_an_ordinary_name_is_the_student_id(name: str) -> None:
    assert student_id_of(Path("/subs") / name) == Path(name).stem


@pytest.mark.parametrize("name", [b"evil\xff.py", b"a\x1b[2Jb.py", b"abc\xe2\x80\xaegnp.py", b"tab\tbed.py",
                                  b"grades.csv.py", b"REPORT.html.py", b".hidden.py", b".py",
                                  b"x~0123456789abcdef.py", b"\xff" * 200 + b".py"])
def test_a_name_that_cannot_be_an_id_gets_a_safe_stable_one(name: bytes) -> None:
    path = Path(os.fsdecode(b"/subs/" + name))
    student = student_id_of(path)
    assert student == student_id_of(Path(os.fsdecode(b"/subs/" + name)))  # stable: --resume finds it again
    assert student.encode("utf-8") and student == " ".join(student.split())
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f or 0x202a <= ord(c) <= 0x202e for c in student)
    assert not student.startswith(".") and len(student.encode("utf-8")) < 255
    assert student_id_of(path) != student_id_of(Path(os.fsdecode(b"/subs/" + name.replace(b".py", b"_.py"))))
    assert student_id_of(Path(student + ".py")) != student  # no file can be named into another's id


def test_two_names_that_read_the_same_are_two_students() -> None:
    ids = {student_id_of(Path(os.fsdecode(b"/subs/evil" + byte + b".py"))) for byte in (b"\xff", b"\xfe", b"\x80")}
    assert len(ids) == 3 and all(i.startswith("evil\ufffd~") for i in ids)
