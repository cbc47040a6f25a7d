"""``grades.csv``: one row per student, one column per test group."""

from __future__ import annotations

import csv
import io

from autograder.grading.gradebook import FIXED_COLUMNS, render_gradebook
from tests.grading.builders import outcome, result


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_header_has_fixed_columns_then_one_per_group_in_suite_order() -> None:
    text = render_gradebook([result(outcome("sigmoid[x=0]", "sigmoid"), outcome("relu", "relu"),
                                    outcome("tanh", "tanh"))])
    assert FIXED_COLUMNS == ("student_id", "score", "max_score", "status", "misconceptions")
    assert text.splitlines()[0] == "student_id,score,max_score,status,misconceptions,sigmoid,relu,tanh"


def test_rows_are_sorted_by_student_and_cells_hold_group_scores() -> None:
    text = render_gradebook([
        result(outcome("sigmoid[x=0]", "sigmoid", 1.5), outcome("relu", "relu", 2.0, passed=False),
               student_id="zoe"),
        result(outcome("sigmoid[x=0]", "sigmoid", 1.5), outcome("relu", "relu", 2.0), student_id="adam"),
    ])
    table = rows(text)
    assert [r["student_id"] for r in table] == ["adam", "zoe"]
    assert table[0] == {"student_id": "adam", "score": "3.5", "max_score": "3.5", "status": "graded",
                        "misconceptions": "", "sigmoid": "1.5", "relu": "2"}
    assert (table[1]["score"], table[1]["relu"]) == ("1.5", "0")


def test_a_student_whose_import_failed_has_zeros_in_every_group() -> None:
    text = render_gradebook([
        result(outcome("sigmoid[x=0]", "sigmoid"), outcome("relu", "relu"), student_id="bea"),
        result(student_id="carl", max_score=2.0, error="the submission could not be loaded: SyntaxError",
               error_kind="submission"),
    ])
    carl = rows(text)[1]
    assert carl == {"student_id": "carl", "score": "0", "max_score": "2", "status": "error",
                    "misconceptions": "", "sigmoid": "0", "relu": "0"}


def test_a_grader_failure_is_marked_as_such() -> None:
    text = render_gradebook([result(outcome(), error="grader: boom", error_kind="grader")])
    assert rows(text)[0]["status"] == "grader-error" and rows(text)[0]["score"] == "0"


def test_awkward_student_ids_are_quoted() -> None:
    text = render_gradebook([result(outcome(), student_id='smith, "jr"')])
    assert rows(text)[0]["student_id"] == 'smith, "jr"'


def test_an_empty_batch_has_only_the_header() -> None:
    assert render_gradebook([]) == "student_id,score,max_score,status,misconceptions\n"


def test_the_misconceptions_recognised_are_listed() -> None:
    text = render_gradebook([result(outcome("relu[values]", "relu", passed=False, misconception="relu-kink-is-one"),
                                    outcome("sigmoid[values]", "sigmoid", passed=False,
                                            misconception="sigmoid-precedence"))])
    assert rows(text)[0]["misconceptions"] == "relu-kink-is-one sigmoid-precedence"
