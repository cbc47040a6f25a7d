"""``autograder.lms.download_layout``: which students a folder given to ``grade`` holds.

The layouts are those of the LMS downloads (names documented in the module); each is also graded
end to end through ``autograder grade DIR`` on the tiny assignment (about a second per student).
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from autograder.cli import main
from autograder.lms.download_layout import LayoutError, students_in, submissions_to_grade
from tests.grading.builders import GOOD, WRONG_RELU, source, submission_file, tiny_assignment

CANVAS = {"doejane_12345_67890_activations.py": GOOD,
          "smithbob_LATE_222_333_activations (1).py": WRONG_RELU}
MOODLE = {"Jane Doe_12345_assignsubmission_file_/activations.py": GOOD,
          "Bob Smith_222_assignsubmission_file_/activations.py": WRONG_RELU,
          "Bob Smith_222_assignsubmission_onlinetext_/onlinetext.html": "<p>see my file</p>"}
BLACKBOARD = {"A1_jdoe_attempt_2025-09-01-10-11-12_activations.py": "x = 1\n",
              "A1_jdoe_attempt_2025-09-01-10-11-12.txt": "Name: Jane Doe\n",
              "A1_jdoe_attempt_2025-09-02-10-11-12_activations.py": GOOD,
              "A1_jdoe_attempt_2025-09-02-10-11-12.txt": "Name: Jane Doe\n",
              "A1_bsmith_attempt_2025-09-01-09-00-00_activations.py": WRONG_RELU}
# Gradescope's "Export Submissions": the metadata file as Gradescope writes it (Ruby symbols as keys);
# the second submission is a group of two, the first submitter has no SIS id.
GRADESCOPE_METADATA = """\
submission_111:
  :submitters:
  - :name: Jane Doe
    :sid: ''
    :email: jane@uni.edu
  :created_at: 2025-09-01 10:11:12.000000000 -07:00
  :score: 0.0
submission_222:
  :submitters:
  - :name: Bob Smith
    :sid: 222
    :email: bob@uni.edu
  - :name: Cy Young
    :sid: '333'
    :email: cy@uni.edu
"""
GRADESCOPE = {"submission_111/activations.py": GOOD, "submission_222/activations.py": WRONG_RELU,
              "submission_metadata.yml": GRADESCOPE_METADATA}
BY_FOLDER = {"alice/activations.py": GOOD, "bob/work/activations.py": WRONG_RELU}
BY_FILE = {"alice.py": GOOD, "bob.py": WRONG_RELU}
# A value that is a dict is a zip of those members.
BY_ZIP = {"alice.zip": {"alice/activations.py": GOOD}, "bob.zip": {"activations.py": WRONG_RELU}}
MOODLE_ZIPPED = {"Jane Doe_12345_assignsubmission_file_/my work.zip": {"activations.py": GOOD},
                 "Bob Smith_222_assignsubmission_file_/activations.py": WRONG_RELU}


def folder_of(base: Path, files: dict[str, str] | dict[str, str | dict[str, str]]) -> Path:
    for name, text in files.items():
        if isinstance(text, dict):
            (base / name).parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(base / name, "w") as archive:
                for member, code in text.items():
                    archive.writestr(member, source(code))
        else:
            submission_file(base, name, text)
    return base


def run(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "400"}).invoke(main, list(args), catch_exceptions=True)


def ids(folder: Path) -> dict[str, str]:
    found = students_in(folder, "activations")
    assert found is not None
    return {student: path.name for student, path in found.by_id.items()}


def test_canvas_students_are_name_and_user_id_late_or_not(tmp_path: Path) -> None:
    assert ids(folder_of(tmp_path, CANVAS)) == {"doejane_12345": "doejane_12345_67890_activations.py",
                                                 "smithbob_222": "smithbob_LATE_222_333_activations (1).py"}


def test_canvas_student_with_helpers_is_graded_on_the_module_file(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, {**CANVAS, "doejane_12345_67891_helpers.py": "x = 1\n"})
    assert ids(folder)["doejane_12345"] == "doejane_12345_67890_activations.py"


def test_canvas_student_with_two_files_none_the_module_is_an_error(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, {"doejane_12345_67890_a.py": GOOD, "doejane_12345_67891_b.py": GOOD})
    with pytest.raises(LayoutError, match="several files of student doejane_12345"):
        students_in(folder, "activations")


def test_an_lms_download_holding_one_source_file_and_zips_is_still_a_batch(tmp_path: Path) -> None:
    """All but one student uploaded a zip: one source file in all, and still one student each."""
    assert ids(folder_of(tmp_path / "moodle", MOODLE_ZIPPED)) == {
        "Jane Doe_12345": "Jane Doe_12345_assignsubmission_file_",
        "Bob Smith_222": "Bob Smith_222_assignsubmission_file_"}
    canvas = folder_of(tmp_path / "canvas", {"doejane_12345_67890_activations.zip": {"activations.py": GOOD},
                                             "smithbob_222_333_activations.py": WRONG_RELU})
    assert ids(canvas) == {"doejane_12345": "doejane_12345_67890_activations.zip",
                           "smithbob_222": "smithbob_222_333_activations.py"}


def test_moodle_students_are_full_name_and_participant_id_file_folders_only(tmp_path: Path) -> None:
    assert ids(folder_of(tmp_path, MOODLE)) == {"Jane Doe_12345": "Jane Doe_12345_assignsubmission_file_",
                                                 "Bob Smith_222": "Bob Smith_222_assignsubmission_file_"}


def test_blackboard_students_are_usernames_graded_on_their_last_attempt(tmp_path: Path) -> None:
    assert ids(folder_of(tmp_path, BLACKBOARD)) == {
        "jdoe": "A1_jdoe_attempt_2025-09-02-10-11-12_activations.py",
        "bsmith": "A1_bsmith_attempt_2025-09-01-09-00-00_activations.py"}


def test_gradescope_export_students_are_their_submitters_a_group_each_member(tmp_path: Path) -> None:
    assert ids(folder_of(tmp_path, GRADESCOPE)) == {"jane@uni.edu": "submission_111", "222": "submission_222",
                                                     "333": "submission_222"}


@pytest.mark.parametrize("metadata, says", [
    ("submission_111:\n  :submitters: []\n", "names no submitter of submission_111"),
    ("{unclosed: [\n", "cannot be read"),
])
def test_a_gradescope_export_that_names_nobody_is_an_error(tmp_path: Path, metadata: str, says: str) -> None:
    folder = folder_of(tmp_path, {"submission_111/activations.py": GOOD, "submission_metadata.yml": metadata})
    with pytest.raises(LayoutError, match=says):
        students_in(folder, "activations")


def test_hand_made_folders_and_files_are_one_student_each(tmp_path: Path) -> None:
    assert ids(folder_of(tmp_path / "a", BY_FOLDER)) == {"alice": "alice", "bob": "bob"}
    assert ids(folder_of(tmp_path / "b", BY_FILE)) == {"alice": "alice.py", "bob": "bob.py"}


@pytest.mark.parametrize("files", [
    {"activations.py": GOOD, "helpers.py": "x = 1\n", "extra/notes.py": "y = 2\n"},
    {"work.ipynb": "{}", "helpers.py": "x = 1\n", "plots.py": "y = 2\n"},
    {"src/deep/mine.py": GOOD, "README.txt": "hi"},
    {"Activations_final.py": GOOD, "backup.zip": {"activations.py": GOOD}},
    {"my work.zip": {"activations.py": GOOD}},
], ids=["module-file", "notebook-and-helpers", "one-source-file", "source-and-its-backup-zip", "one-zip"])
def test_one_students_multi_file_folder_stays_one_student(tmp_path: Path,
                                                          files: dict[str, str] | dict[str, str | dict[str, str]]
                                                          ) -> None:
    assert students_in(folder_of(tmp_path, files), "activations") is None


def test_folders_per_student_where_the_others_uploaded_zips_are_each_a_student(tmp_path: Path) -> None:
    """One source file in all, but the other folders hold zips: a batch, not one student."""
    subs = folder_of(tmp_path, {"dave/my work.zip": {"activations.py": GOOD}, "erin/activations.py": WRONG_RELU})
    assert ids(subs) == {"dave": "dave", "erin": "erin"}
    todo, notes = submissions_to_grade(sorted(subs.iterdir()), "activations")  # grade subs/*
    assert todo == sorted(subs.iterdir()) and not notes


@pytest.mark.parametrize("files", [{**CANVAS, "doejane_12345_67891_helpers.py": "x = 1\n"}, MOODLE, BLACKBOARD,
                                   GRADESCOPE], ids=["canvas", "moodle", "blackboard", "gradescope"])
def test_a_download_the_shell_spread_reads_as_the_download(tmp_path: Path, files: dict[str, str]) -> None:
    """``grade subs/*`` of a download: the students ``grade subs`` finds, not one per entry (Moodle's
    online-text folder, Canvas's helper file) under the entry's whole name."""
    subs = folder_of(tmp_path / "subs", files)
    whole = students_in(subs, "activations")
    assert whole is not None
    todo, notes = submissions_to_grade(sorted(subs.iterdir()), "activations")
    assert todo == whole.by_id and notes == [f"{subs}/*: {whole.layout}, {len(whole.by_id)} students"]


def test_a_hostile_name_in_an_lms_layout_gets_a_safe_id(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, {"evil\x1b[2J_1_2_activations.py": GOOD, "ok_3_4_activations.py": GOOD})
    found = ids(folder)
    assert "ok_3" in found and len(found) == 2
    hostile = next(student for student in found if student != "ok_3")
    assert "\x1b" not in hostile and "~" in hostile  # derived by submission.safe_student_id


@pytest.mark.parametrize("files, says", [
    ({"alice/activations.py": GOOD, "bob.py": GOOD}, "both sub-folders and loose source files"),
    ({"a.ipynb": "{}", "b.ipynb": "{}", "c.py": GOOD}, ".py and .ipynb files"),
    ({"notes.txt": "hi", "data.csv": "1"}, "holds no submission"),
])
def test_an_ambiguous_folder_is_one_error_line_and_exit_2(tmp_path: Path, files: dict[str, str],
                                                         says: str) -> None:
    tiny_assignment(tmp_path / "course")
    subs = folder_of(tmp_path / "subs", files)
    result = run("--course", str(tmp_path / "course"), "grade", "--assignment", "activations",
                 "--out", str(tmp_path / "out"), "--jobs", "1", str(subs))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and says in lines[0], result.output
    assert "pass" in lines[0] or "no submission" in lines[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("layout, files", [("Canvas", CANVAS), ("Moodle", MOODLE), ("Blackboard", BLACKBOARD),
                                           ("Gradescope", GRADESCOPE)],
                         ids=["canvas", "moodle", "blackboard", "gradescope"])
def test_an_lms_download_still_zipped_is_one_error_line_not_one_student(tmp_path: Path, layout: str,
                                                                         files: dict[str, str]) -> None:
    """The zip an LMS hands out is several students: ``grade`` says to unzip it, and grades nobody."""
    tiny_assignment(tmp_path / "course")
    unpacked = folder_of(tmp_path / "unpacked", files)
    download = tmp_path / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        for path in sorted(unpacked.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(unpacked).as_posix())
    result = run("--course", str(tmp_path / "course"), "grade", "--assignment", "activations",
                 "--out", str(tmp_path / "out"), "--jobs", "1", str(download))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert f"is a {layout} download of 2 students" in lines[0] and "unzip" in lines[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("layout, files, expected", [
    ("Canvas", CANVAS, {"doejane_12345": "3", "smithbob_222": "2"}),
    ("Moodle", MOODLE, {"Jane Doe_12345": "3", "Bob Smith_222": "2"}),
    ("Blackboard", BLACKBOARD, {"jdoe": "3", "bsmith": "2"}),
    ("Moodle", MOODLE_ZIPPED, {"Jane Doe_12345": "3", "Bob Smith_222": "2"}),  # a student's folder holds a zip
    ("Gradescope", GRADESCOPE, {"jane@uni.edu": "3", "222": "2", "333": "2"}),
    ("one sub-folder per student", BY_FOLDER, {"alice": "3", "bob": "2"}),
    ("one file per student", BY_FILE, {"alice": "3", "bob": "2"}),
    ("one file per student", BY_ZIP, {"alice": "3", "bob": "2"}),
], ids=["canvas", "moodle", "blackboard", "moodle-zipped", "gradescope", "folders", "files", "zips"])
def test_grade_dir_grades_each_student_of_the_layout(tmp_path: Path, layout: str,
                                                    files: dict[str, str] | dict[str, str | dict[str, str]],
                                                    expected: dict[str, str]) -> None:
    tiny_assignment(tmp_path / "course")
    subs = folder_of(tmp_path / "subs", files)
    out = tmp_path / "out"
    result = run("--course", str(tmp_path / "course"), "grade", "--assignment", "activations",
                 "--out", str(out), "--jobs", "1", str(subs))
    assert result.exit_code == 0, result.output
    assert f"{layout}, {len(expected)} students" in result.output
    rows = csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8")))
    assert {row["student_id"]: row["score"] for row in rows} == expected
    assert all((out / student / "results.json").is_file() for student in expected)


def test_grade_dir_of_one_students_files_grades_one_student(tmp_path: Path) -> None:
    tiny_assignment(tmp_path / "course")
    alice = folder_of(tmp_path / "alice", {"activations.py": GOOD, "helpers.py": "x = 1\n"})
    out = tmp_path / "out"
    result = run("--course", str(tmp_path / "course"), "grade", "--assignment", "activations",
                 "--out", str(out), "--jobs", "1", str(alice))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"))))
    assert [(row["student_id"], row["score"]) for row in rows] == [("alice", "3")]
