"""Every byte a student controls is data: it is graded or refused as theirs, never the kit's failure.

The attacks, each beside honest students in one batch:

* a file name that is not UTF-8 (``evil\\xff.py``): it once stopped ``grades.csv``
  with a ``UnicodeEncodeError`` (exit 1, no gradebook, no report, the same on every
  ``--resume``);
* control characters and bidi overrides in a file name (``cat grades.csv`` cleared the
  screen and printed a fake line);
* a file named like the kit's own output (``grades.csv.py``), which once refused the batch;
* a lone surrogate in an exception message or in a notebook cell (the student's 94 and
  99.7 became kit failures), and a notebook nested 100,000 levels deep (a ``RecursionError``).

Each hostile student gets a safe, stable id and the score of an honest twin, or a 0 with a
stated reason that is theirs (``error_kind`` "submission"); every honest student's
result is what it is without them.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from autograder.assignment import Assignment
from autograder.cli import main
from autograder.grading.batch import grade_batch
from autograder.grading.results import GradeResult
from tests.grading.builders import GOOD, TINY_POINTS, tiny_assignment

pytestmark = pytest.mark.slow

RAISING_RELU = GOOD + "\n\ndef relu(x):\n    raise ValueError({message!r})\n"
SCREEN_NAME = "mallory\x1b[2J\x1b[H\x1b[32mALL STUDENTS 100 of 100\x1b[0m\r\u202egnp\u2066x"
"""A file name that clears the screen, prints a fake line, and reverses what follows it."""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Assignment:
    return tiny_assignment(tmp_path_factory.mktemp("course"))


def _write(folder: Path, name: str | bytes, content: str | bytes) -> Path:
    """``folder/name`` holding ``content``; a ``bytes`` name is written as those bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else os.fsencode(name))
    with open(raw, "wb") as handle:
        handle.write(content if isinstance(content, bytes) else content.encode("utf-8"))
    return Path(os.fsdecode(raw))


def _notebook(*sources: str) -> str:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
              "source": text} for i, text in enumerate(sources)]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def _grade(tiny: Assignment, out: Path, paths: list[Path], *extra: str) -> Result:
    args = ["--course", str(tiny.root.parent), "grade", "--assignment", tiny.id, "--out", str(out),
            "--jobs", "1", *extra, *map(str, paths)]
    return CliRunner(env={"COLUMNS": "200"}).invoke(main, args, catch_exceptions=True)


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    text = (out / "grades.csv").read_bytes().decode("utf-8")  # strictly: the file is UTF-8
    return {row["student_id"]: row for row in csv.DictReader(io.StringIO(text))}


def _results(out: Path, student: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / student / "results.json").read_bytes().decode("utf-8"))
    return document


def _assert_batch_written(result: Result, out: Path) -> None:
    assert result.exit_code == 0, result.output
    for name in ("grades.csv", "report.html", "summary.json"):
        assert (out / name).is_file(), name


def _assert_plain(student_id: str) -> None:
    """An id any file, terminal or spreadsheet shows as it is: valid UTF-8, no control or bidi character."""
    student_id.encode("utf-8")
    assert not [c for c in student_id if ord(c) < 32 or 0x7f <= ord(c) <= 0x9f
                or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"]


def test_a_file_name_that_is_not_utf8_is_graded_under_a_safe_stable_id(tiny: Assignment, tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    honest = _write(subs, "honest.py", GOOD)
    evil = _write(subs, b"evil\xff.py", GOOD)
    other = _write(subs, b"evil\xfe.py", GOOD)  # a second bad byte is a second student, not a clash

    first = _grade(tiny, out, [honest, evil, other])
    _assert_batch_written(first, out)
    book = _gradebook(out)
    assert book["honest"]["score"] == f"{TINY_POINTS:g}" and book["honest"]["status"] == "graded"
    hostile = sorted(set(book) - {"honest"})
    assert len(hostile) == 2
    for student in hostile:
        _assert_plain(student)
        assert student.startswith("evil") and book[student]["score"] == f"{TINY_POINTS:g}"
        assert _results(out, student)["extra_data"]["student_id"] == student

    again = _grade(tiny, out, [honest, evil, other], "--resume")
    _assert_batch_written(again, out)
    assert "resumed 3 students already graded" in again.output
    assert sorted(_gradebook(out)) == sorted(book)  # the same ids: the grades are kept


def test_control_and_bidi_characters_never_reach_the_gradebook(tiny: Assignment, tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    paths = [_write(subs, f"{SCREEN_NAME}.py", GOOD), _write(subs, "zoë o'brien.py", GOOD)]

    result = _grade(tiny, out, paths)
    _assert_batch_written(result, out)
    text = (out / "grades.csv").read_text(encoding="utf-8")
    _assert_plain(text.replace("\n", ""))
    assert len(text.splitlines()) == 3  # the header and two students: no line the name made
    book = _gradebook(out)
    assert "zoë o'brien" in book  # the honest twin's id is its name, unchanged
    (hostile,) = set(book) - {"zoë o'brien"}
    assert hostile.startswith("mallory") and book[hostile]["score"] == f"{TINY_POINTS:g}"
    assert (out / hostile / "results.json").is_file()
    assert "\x1b" not in result.output and "\u202e" not in result.output


@pytest.mark.parametrize("name", ["grades.csv.py", "Summary.JSON.py", ".hidden.py"])
def test_a_name_like_the_kits_own_files_is_graded_under_a_safe_id(tiny: Assignment, tmp_path: Path,
                                                                  name: str) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    paths = [_write(subs, name, GOOD), _write(subs, "honest.py", GOOD)]

    result = _grade(tiny, out, paths)
    _assert_batch_written(result, out)
    book = _gradebook(out)  # grades.csv is the gradebook, not a student's folder
    assert book["honest"]["score"] == f"{TINY_POINTS:g}"
    (squatter,) = set(book) - {"honest"}
    assert squatter.casefold() not in {"grades", "grades.csv", "report.html", "summary.json"}
    assert not squatter.startswith(".") and Path(name).stem.lstrip(".") in squatter
    assert book[squatter]["score"] == f"{TINY_POINTS:g}" and book[squatter]["status"] == "graded"
    json.loads((out / "summary.json").read_text(encoding="utf-8"))


def _by_id(results: tuple[GradeResult, ...]) -> dict[str, GradeResult]:
    return {r.student_id: r for r in results}


def test_a_lone_surrogate_in_an_exception_message_is_the_students_text(tiny: Assignment, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    paths = [_write(subs, "mallory.py", RAISING_RELU.format(message="relu \ud800 broke")),
             _write(subs, "trent.py", RAISING_RELU.format(message="relu ? broke"))]

    report = grade_batch(tiny, paths, tmp_path / "out", jobs=1)
    results = _by_id(report.results)
    assert report.all_graded, [r.detail for r in report.results]
    assert results["mallory"].error_kind == "" and results["mallory"].score == results["trent"].score
    assert results["mallory"].score > 0
    feedback = (tmp_path / "out" / "mallory" / "feedback.md").read_bytes().decode("utf-8")
    assert "relu \ufffd broke" in feedback


def test_a_lone_surrogate_in_a_notebook_cell_is_the_students_text(tiny: Assignment, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    paths = [_write(subs, "mallory.ipynb", _notebook(GOOD, "note = 'half a pair: \ud83d'\n")),
             _write(subs, "trent.ipynb", _notebook(GOOD, "note = 'half a pair: ?'\n"))]

    report = grade_batch(tiny, paths, tmp_path / "out", jobs=1)
    results = _by_id(report.results)
    assert report.all_graded, [r.detail for r in report.results]
    assert results["mallory"].score == pytest.approx(TINY_POINTS)
    assert results["mallory"].score == results["trent"].score and not results["mallory"].error


@pytest.mark.parametrize("where", ["top", "metadata"])
def test_a_notebook_nested_too_deeply_is_the_students_load_failure(tiny: Assignment, tmp_path: Path,
                                                                   where: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    text = {"top": '{"cells": ' + deep + "}",
            "metadata": _notebook(GOOD).replace('"metadata": {}, "outputs"', f'"metadata": {{"x": {deep}}}, "outputs"')
            }[where]
    paths = [_write(tmp_path / "subs", "mallory.ipynb", text), _write(tmp_path / "subs", "honest.py", GOOD)]

    report = grade_batch(tiny, paths, tmp_path / "out", jobs=1)
    results = _by_id(report.results)
    assert report.all_graded and results["mallory"].error_kind == "submission", results["mallory"].detail
    assert results["mallory"].score == 0 and "nested" in results["mallory"].error
    assert results["honest"].score == pytest.approx(TINY_POINTS)
