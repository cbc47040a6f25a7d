"""``autograder export``: a graded batch in the CSV layouts Canvas and Moodle import, and a plain one.

One real batch is graded once (a Canvas download of three bundled samples on the tiny
assignment, about a second per student); every test exports it. Expected scores come from the
batch's own ``grades.csv``, never typed here.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from autograder.cli import main
from autograder.lms.grade_export import CANVAS_COLUMNS, MOODLE_COLUMNS, ExportError, read_roster
from tests.grading.builders import BUNDLED, tiny_assignment

SAMPLES = BUNDLED.root / "samples"
DOWNLOAD = {"doejane_12345_67890_activations.py": "correct.py",
            "smithbob_222_333_activations.py": "wrong_derivatives.py",
            "ghostgus_999_111_activations.py": "correct.py"}
"""A Canvas download: Jane (12345) and Bob (222) are on the roster, Gus (999) is not."""
ROSTER = ("Student,ID,SIS User ID,SIS Login ID,Section\n"
          "    Points Possible,,,,\n"
          '"Doe, Jane",12345,S-1,jdoe,A\n'
          '"Smith, Bob",222,S-2,bsmith,A\n'
          '"=HYPERLINK(""http://x""),Eve",777,S-3,@eve,B\n')
"""As Canvas's gradebook export has it (its Points Possible row too); Eve handed nothing in."""


def run(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "400"}).invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("export")
    tiny_assignment(base / "course")
    subs = base / "subs"
    subs.mkdir()
    for name, sample in DOWNLOAD.items():
        shutil.copy(SAMPLES / sample, subs / name)
    result = run("--course", str(base / "course"), "grade", "--assignment", "activations",
                 "--out", str(base / "graded"), "--jobs", "1", str(subs))
    assert result.exit_code == 0, result.output
    return base


def scores(batch: Path) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO((batch / "graded" / "grades.csv").read_text(encoding="utf-8")))
    return {row["student_id"]: row["score"] for row in rows}


def export(batch: Path, fmt: str, roster: str | None = ROSTER, *extra: str) -> tuple[Result, list[list[str]]]:
    out = batch / f"{fmt}.csv"
    out.unlink(missing_ok=True)
    args = ["export", "--format", fmt, "--out", str(out), *extra, str(batch / "graded")]
    if roster is not None:
        (batch / "roster.csv").write_bytes(roster.encode("utf-8") if isinstance(roster, str) else roster)
        args[1:1] = ["--roster", str(batch / "roster.csv")]
    result = run(*args)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8")))) if out.exists() else []
    return result, rows


def test_canvas_has_its_columns_the_points_possible_row_and_the_roster_in_order(batch: Path) -> None:
    result, rows = export(batch, "canvas", ROSTER, "--lms-id", "4711")
    assert result.exit_code == 0, result.output
    header, points, *students = rows
    assert tuple(header[:5]) == CANVAS_COLUMNS and len(header) == 6
    assert header[5] == f"{BUNDLED.title} (4711)"
    assert points[0] == "Points Possible" and float(points[5]) == pytest.approx(3.0)
    graded = scores(batch)
    assert [row[1] for row in students] == ["12345", "222", "777"]
    assert students[0][5] == graded["doejane_12345"] and students[1][5] == graded["smithbob_222"]


def test_canvas_fills_the_rosters_column_of_the_titled_assignment_and_warns_of_a_new_one(batch: Path) -> None:
    """Canvas's gradebook export as roster holds its assignments' columns, ``Title (id)``: ``--title``
    naming one fills it (Canvas's id from the column); a title that is none of them is said to become a
    new assignment in Canvas."""
    lines = ROSTER.splitlines()
    lines[0] += ",Midterm (41),HW 1 (4711)"
    roster = "\n".join(line + (",," if number else "") for number, line in enumerate(lines)) + "\n"
    result, rows = export(batch, "canvas", roster, "--title", "HW 1")
    assert result.exit_code == 0, result.output
    assert rows[0][5] == "HW 1 (4711)" and rows[2][5] == scores(batch)["doejane_12345"]
    assert "the column HW 1 (4711) of the roster is filled" in result.output
    result, rows = export(batch, "canvas", roster)
    assert rows[0][5] == BUNDLED.title
    said = [line for line in result.output.splitlines() if "new assignment" in line]
    assert len(said) == 1 and said[0].startswith("warning:") and "Midterm (41), HW 1 (4711)" in said[0]


def test_canvas_leaves_a_missing_students_cell_empty_and_names_the_unknown_one(batch: Path) -> None:
    result, rows = export(batch, "canvas")
    eve = rows[-1]
    assert eve[1] == "777" and eve[5] == ""
    assert "1 missing" in result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: ghostgus_999 is graded but not on the roster"]


def test_cells_cannot_be_formulas(batch: Path) -> None:
    _, rows = export(batch, "canvas")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert rows[-1][0].startswith("'=HYPERLINK") and rows[-1][3] == "'@eve"


def test_moodle_worksheet_has_its_columns_participants_and_a_missing_status(batch: Path) -> None:
    roster = ("Identifier,Full name,Email address\nParticipant 12345,Jane Doe,jane@uni.edu\n"
              "Participant 222,Bob Smith,bob@uni.edu\nParticipant 777,Eve,eve@uni.edu\n")
    result, rows = export(batch, "moodle", roster)
    assert result.exit_code == 0, result.output
    header, *students = rows
    assert tuple(header) == MOODLE_COLUMNS
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in students}
    assert set(by_id) == {"Participant 12345", "Participant 222", "Participant 777"}
    assert by_id["Participant 222"]["Grade"] == scores(batch)["smithbob_222"]
    assert by_id["Participant 777"]["Status"] == "missing" and by_id["Participant 777"]["Grade"] == ""
    assert all(float(row["Maximum Grade"]) == pytest.approx(3.0) for row in by_id.values())
    assert all(row["Last modified (grade)"] for row in by_id.values())


def test_plain_csv_and_the_long_per_skill_table(batch: Path) -> None:
    long_out = batch / "long.csv"
    result, rows = export(batch, "csv", ROSTER, "--long", str(long_out))
    assert result.exit_code == 0, result.output
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert {row["student_id"]: row["score"] for row in table if row["student_id"]} == {
        k: v for k, v in scores(batch).items() if k != "ghostgus_999"}
    assert [row["status"] for row in table] == ["graded", "graded", "missing"]
    long_rows = list(csv.DictReader(io.StringIO(long_out.read_text(encoding="utf-8"))))
    assert {row["skill"] for row in long_rows} == {"sigmoid", "relu"}
    for student, score in scores(batch).items():  # every graded student, on the roster or not
        own = [row for row in long_rows if row["student_id"] == student]
        assert sum(float(row["points"]) for row in own) == pytest.approx(float(score))


def test_a_roster_by_login_matches_students_named_by_login(batch: Path) -> None:
    roster = "login,name\ndoejane_12345,Jane\nsomeone,Other\n"
    result, rows = export(batch, "csv", roster)
    assert result.exit_code == 0, result.output
    assert [row[rows[0].index("status")] for row in rows[1:]] == ["graded", "missing"]
    assert result.output.count("warning:") == 2  # Bob and Gus


@pytest.mark.parametrize("roster, says", [
    ("name,section\nJane,A\n", "none of the columns a student is matched on"),
    ("ID,Student\n12345,Jane\n12345,Jane again\n", "is on line 2 and line 3"),
    ("ID,Student\n", "lists no student"),
    ("", "is empty"),
    (b"ID,Student\n12345,J\xe9r\xf4me\n", "not UTF-8"),
    ("login,Student\njdoe,Jane\n", "needs a roster column ID"),
], ids=["no-key-column", "duplicate-id", "no-students", "empty", "not-utf8", "moodle-needs-id"])
def test_a_bad_roster_is_one_error_line_and_exit_2(batch: Path, roster: str | bytes, says: str) -> None:
    result, rows = export(batch, "moodle", roster)  # type: ignore[arg-type]
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and says in lines[0], result.output
    assert rows == []


def test_canvas_and_moodle_need_a_roster(batch: Path) -> None:
    result, _ = export(batch, "canvas", None)
    assert result.exit_code == 2 and "needs --roster" in result.output


def test_read_roster_takes_moodle_participant_ids(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("Identifier,Email address\nParticipant 42,a@b.c\n", encoding="utf-8")
    entry = read_roster(path).entries[0]
    assert entry.id == "42" and entry.keys()["email_local"] == "a"
    path.write_text("ID,ID\n1,2\n", encoding="utf-8")
    with pytest.raises(ExportError, match="two columns"):
        read_roster(path)
