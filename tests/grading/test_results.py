"""``results.json``: Gradescope's format, a lossless round trip, and failing closed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from autograder.grading.results import (
    GRADER_ERROR,
    RESULTS_FORMAT_VERSION,
    from_gradescope,
    results_json,
    to_gradescope,
)
from tests.grading.builders import outcome, result

GRADESCOPE_TOP = {"score", "execution_time", "output", "tests"}
GRADESCOPE_TEST = {"name", "score", "max_score", "status", "output", "visibility"}


def mixed() -> Any:
    return result(
        outcome("sigmoid[x=0]", "sigmoid", 1.5),
        outcome("sigmoid[x=30]", "sigmoid", 1.5, passed=False, message="sigmoid(x=30): got nan, should be 1"),
        outcome("relu", "relu", 2.0, passed=False, message="ValueError: boom", kind="student"),
        warnings=("cell 1: skipped IPython-only line '%matplotlib inline'",),
        student_output="--- stdout ---\nhi\n")


def strict_loads(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"results.json holds {name}")
    return json.loads(text, parse_constant=refuse)


def test_score_is_the_sum_of_passed_tests() -> None:
    r = mixed()
    assert r.score == pytest.approx(1.5) and r.max_score == pytest.approx(5.0)
    assert r.group_scores() == {"sigmoid": pytest.approx((1.5, 3.0)), "relu": pytest.approx((0.0, 2.0))}
    assert r.summary() == "Score 1.5 / 5 (1 of 3 tests passed)"


def test_gradescope_document_has_the_spec_keys() -> None:
    document = to_gradescope(mixed())
    assert GRADESCOPE_TOP <= set(document)
    assert document["score"] == pytest.approx(1.5)
    assert document["execution_time"] == pytest.approx(1.235)
    assert document["output"] == "Score 1.5 / 5 (1 of 3 tests passed)"
    assert len(document["tests"]) == 3
    for test in document["tests"]:
        assert GRADESCOPE_TEST <= set(test)
        assert test["status"] in {"passed", "failed"} and test["visibility"] == "visible"
    first, second, third = document["tests"]
    assert (first["name"], first["status"], first["output"]) == ("sigmoid[x=0]", "passed", "")
    assert first["score"] == pytest.approx(1.5)
    assert second["status"] == "failed"
    assert (second["score"], second["max_score"]) == pytest.approx((0.0, 1.5))
    assert second["output"] == "sigmoid(x=30): got nan, should be 1"
    assert third["extra_data"] == {"group": "relu", "failure_kind": "student", "grader_detail": ""}


def test_extra_data_carries_the_kit_facts() -> None:
    extra = to_gradescope(mixed())["extra_data"]
    assert extra["format_version"] == RESULTS_FORMAT_VERSION
    assert (extra["student_id"], extra["assignment"], extra["sandbox"]) == ("alice", "activations", "bwrap")
    assert extra["groups"] == {"sigmoid": {"score": pytest.approx(1.5), "max_score": pytest.approx(3.0)},
                               "relu": {"score": pytest.approx(0.0), "max_score": pytest.approx(2.0)}}
    assert extra["warnings"] == ["cell 1: skipped IPython-only line '%matplotlib inline'"]
    assert extra["student_output"] == "--- stdout ---\nhi\n"


def test_results_json_round_trips() -> None:
    original = mixed()
    again = from_gradescope(strict_loads(results_json(original)))
    assert [(t.name, t.group, t.passed, t.message, t.kind) for t in again.tests] == \
           [(t.name, t.group, t.passed, t.message, t.kind) for t in original.tests]
    assert [t.max_score for t in again.tests] == pytest.approx([t.max_score for t in original.tests])
    assert (again.student_id, again.assignment_id, again.sandbox, again.error, again.error_kind) == \
           (original.student_id, original.assignment_id, original.sandbox, original.error, original.error_kind)
    assert again.warnings == original.warnings and again.student_output == original.student_output
    assert again.max_score == pytest.approx(original.max_score)
    assert again.score == pytest.approx(original.score)
    assert again.execution_time == pytest.approx(original.execution_time, abs=1e-3)


def test_an_errored_result_scores_zero_everywhere() -> None:
    """A result with an error fails closed, even if its tests say they passed."""
    errored = result(outcome("sigmoid[x=0]", "sigmoid", 2.0), outcome("relu", "relu", 1.0),
                     error=GRADER_ERROR, error_kind="grader", detail="relu has no points marker")
    assert errored.score == pytest.approx(0.0) and not errored.graded
    assert errored.group_scores() == {"sigmoid": pytest.approx((0.0, 2.0)), "relu": pytest.approx((0.0, 1.0))}
    assert errored.summary() == f"Score 0 / 3: {GRADER_ERROR}"
    assert "relu has no points marker" not in results_json(errored).split('"grader_detail"')[0]
    document = to_gradescope(errored)
    assert document["score"] == pytest.approx(0.0)
    assert [t["status"] for t in document["tests"]] == ["failed", "failed"]
    assert [t["score"] for t in document["tests"]] == pytest.approx([0.0, 0.0])
    assert [g["score"] for g in document["extra_data"]["groups"].values()] == pytest.approx([0.0, 0.0])
    assert from_gradescope(document).score == pytest.approx(0.0)


def test_a_submission_error_still_counts_as_graded() -> None:
    r = result(error="the submission could not be loaded: SyntaxError: ...", error_kind="submission",
               max_score=100.0)
    assert r.graded and r.score == pytest.approx(0.0)


def test_results_json_never_holds_nan_or_infinity() -> None:
    text = results_json(result(outcome(message="got nan, should be inf"), outcome("b", "b", 0.1 + 0.2)))
    strict_loads(text)
    assert text.endswith("\n")


def test_results_json_refuses_to_write_a_non_finite_number() -> None:
    with pytest.raises(ValueError):
        results_json(result(outcome(), max_score=float("nan")))
