"""One hostile file cannot stop, corrupt or block the grading of the others.

Attacks: submit a file whose reading fails in a way the readers did not
foresee (``corpus.MALFORMED``: odd notebook metadata, encrypted or doctored
zips), or make a student's output folder unwritable. (A file named like the
gradebook, ``grades.csv.py``, is graded under a derived id: ``test_student_bytes``.) Each time
the rest of the batch must be graded and ``grades.csv`` written, and a rerun
with ``--resume`` must not fail the same way again.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from autograder.assignment import Assignment
from autograder.cli import main
from autograder.grading.batch import grade_batch

from .corpus import MALFORMED, write_submission

pytestmark = pytest.mark.slow


def _run(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "400"}).invoke(main, list(args), catch_exceptions=True)


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8")))
    return {row["student_id"]: row for row in rows}


def _malformed_folder(folder: Path) -> list[Path]:
    """Each malformed file as ``folder/<case name>.<suffix>`` (the name is the student id)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for broken in MALFORMED:
        path = folder / f"{broken.name}{Path(broken.filename).suffix}"
        path.write_bytes(broken.content)
        paths.append(path)
    return paths


def test_malformed_files_are_zeros_with_reasons_and_the_batch_goes_on(tmp_path: Path,
                                                                       base_source: str) -> None:
    paths = _malformed_folder(tmp_path / "subs")
    honest = write_submission(tmp_path / "subs", "honest", base_source)
    out = tmp_path / "out"

    first = _run("grade", "--assignment", "activations", "--out", str(out), "--jobs", "2",
                 *map(str, [*paths, honest]))
    assert first.exit_code == 0, first.output
    assert "Traceback" not in first.output
    book = _gradebook(out)
    assert set(book) == {broken.name for broken in MALFORMED} | {"honest"}
    assert book["honest"]["score"] == "100" and book["honest"]["status"] == "graded"
    for broken in MALFORMED:
        assert (book[broken.name]["score"], book[broken.name]["status"]) == ("0", "error")
        feedback = (out / broken.name / "feedback.md").read_text(encoding="utf-8")
        assert broken.error_mentions in feedback and "Traceback" not in feedback

    again = _run("grade", "--assignment", "activations", "--out", str(out), "--resume",
                 *map(str, [*paths, honest]))
    assert again.exit_code == 0, again.output
    assert f"resumed {len(MALFORMED) + 1} students already graded" in again.output


def test_a_name_like_the_gradebook_but_not_it_is_graded(tmp_path: Path, assignment: Assignment) -> None:
    """The honest twin of ``grades.csv.py`` (``test_student_bytes``): ``grades_csv.py`` is an ordinary student,
    its id its name."""
    path = write_submission(tmp_path, "grades_csv", "import numpy as np\n")
    report = grade_batch(assignment, [path], tmp_path / "out")
    assert [r.student_id for r in report.results] == ["grades_csv"]
    assert (tmp_path / "out" / "grades.csv").is_file()
    assert "grades_csv" in _gradebook(tmp_path / "out")


def test_a_student_whose_files_cannot_be_written_fails_alone(tmp_path: Path, assignment: Assignment) -> None:
    blocked = write_submission(tmp_path, "blocked", "raise RuntimeError('nope')\n")
    other = write_submission(tmp_path, "other", "raise RuntimeError('nope')\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "blocked").write_text("a file where the student's folder should be", encoding="utf-8")

    report = grade_batch(assignment, [blocked, other], out)
    results = {r.student_id: r for r in report.results}
    assert results["other"].graded and results["other"].error_kind == "submission"
    assert results["blocked"].error_kind == "grader" and "could not write" in results["blocked"].detail
    assert not report.all_graded
    book = _gradebook(out)
    assert book["blocked"]["status"] == "grader-error" and book["other"]["status"] == "error"
