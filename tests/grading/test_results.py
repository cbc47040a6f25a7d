"""``results.json``: Gradescope's format, a lossless round trip, and failing closed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from autograder.escaping import markdown_unescape
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


def test_gradescope_output_lists_the_notes_on_how_the_code_ran() -> None:
    output = to_gradescope(mixed())["output"]
    assert output.splitlines()[2] == "## Notes on how your code ran"
    assert output.splitlines()[-1] == "- cell 1: skipped IPython-only line '%matplotlib inline'"
    assert to_gradescope(result(outcome()))["output"] == "Score 1 / 1 (1 of 1 skills full marks)"


def test_score_is_the_sum_of_what_each_case_earned() -> None:
    r = mixed()
    assert r.score == pytest.approx(1.5) and r.max_score == pytest.approx(5.0)
    assert r.group_scores() == {"sigmoid": pytest.approx((1.5, 3.0)), "relu": pytest.approx((0.0, 2.0))}
    assert r.summary() == "Score 1.5 / 5 (0 of 2 skills full marks)"
    held_back = result(outcome("relu[values]", "relu", 0.8, passed=False),
                       outcome("relu_contract", "relu", 0.2, passed=True, earned=0.0))
    assert held_back.score == pytest.approx(0.0)


def test_gradescope_document_has_one_test_per_skill() -> None:
    document = to_gradescope(mixed())
    assert GRADESCOPE_TOP <= set(document)
    assert document["score"] == pytest.approx(1.5)
    assert document["execution_time"] == pytest.approx(1.235)
    assert document["output"].splitlines()[0] == "Score 1.5 / 5 (0 of 2 skills full marks)"
    assert [t["name"] for t in document["tests"]] == ["sigmoid", "relu"]
    for test in document["tests"]:
        assert GRADESCOPE_TEST <= set(test)
        assert test["status"] == "failed" and test["visibility"] == "visible"
    sigmoid, relu = document["tests"]
    assert (sigmoid["score"], sigmoid["max_score"]) == pytest.approx((1.5, 3.0))
    assert markdown_unescape(sigmoid["output"]) == "sigmoid[x=30]: sigmoid(x=30): got nan, should be 1"
    assert [c["name"] for c in sigmoid["extra_data"]["cases"]] == ["sigmoid[x=0]", "sigmoid[x=30]"]
    assert relu["extra_data"]["cases"][0]["failure_kind"] == "student"


def test_a_skill_output_summarises_many_failures_and_names_the_misconception() -> None:
    cases = [outcome(f"relu[{i}]", "relu", 0.25, passed=False, message=f"case {i} wrong",
                     misconception="relu-derivative-one-at-zero" if i == 0 else "") for i in range(5)]
    document = to_gradescope(result(*cases))
    (relu,) = document["tests"]
    assert markdown_unescape(relu["output"]).splitlines() == ["relu[0]: case 0 wrong", "relu[1]: case 1 wrong",
                                           "relu[2]: case 2 wrong", "... and 2 more failing checks"]
    assert relu["extra_data"]["misconceptions"] == ["relu-derivative-one-at-zero"]
    assert document["extra_data"]["misconceptions"] == ["relu-derivative-one-at-zero"]


def test_a_document_of_another_format_version_is_not_read_back() -> None:
    document = to_gradescope(mixed())
    document["extra_data"]["format_version"] = 1
    with pytest.raises(ValueError, match="format"):
        from_gradescope(document)


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
    assert again.tests == original.tests
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
