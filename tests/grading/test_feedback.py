"""``feedback.md``: what a student reads about their result."""

from __future__ import annotations

from autograder.grading.feedback import MAX_CASES_SHOWN, render_feedback
from tests.grading.builders import outcome, result


def test_feedback_names_the_failing_group_case_values_and_hint() -> None:
    text = render_feedback(result(
        outcome("sigmoid[x=0]", "sigmoid", 1.0),
        outcome("sigmoid[x=-1000]", "sigmoid", 1.0, passed=False,
                message="sigmoid(x=-1000): got nan, should be 0\nHint: use e^x/(1+e^x) for x < 0"),
        outcome("relu", "relu", 2.0),
    ), "Activation functions")
    assert text.startswith("# Feedback: Activation functions (alice)\n")
    assert "**Score 3 / 4 (1 of 2 skills full marks)**" in text
    assert "### `sigmoid`: 1 / 2 (1 of 2 checks failed)" in text
    # "<" is Markdown-escaped like any message text (it renders as "x < 0")
    assert "- `sigmoid[x=-1000]`: sigmoid(x=-1000): got nan, should be 0\n  Hint: use e^x/(1+e^x) for x &lt; 0" in text
    assert "## Full marks\n\n`relu`" in text
    assert "Traceback" not in text


def test_feedback_uses_the_assignment_id_without_a_title() -> None:
    assert render_feedback(result(outcome())).startswith("# Feedback: activations (alice)")


def test_a_perfect_result_says_every_check_passed() -> None:
    text = render_feedback(result(outcome(), outcome("relu", "relu")))
    assert "Every check passed" in text
    assert "What to fix" not in text


def test_a_load_error_explains_the_zero_without_a_traceback() -> None:
    text = render_feedback(result(error="the submission could not be loaded: SyntaxError: invalid syntax "
                                        "(alice.py, line 3)", error_kind="submission", max_score=100.0))
    assert ("**Score 0 / 100: the submission could not be loaded: SyntaxError: invalid syntax "
            "(alice.py, line 3)**") in text
    assert "Nothing could be graded, so every test scores 0." in text
    assert "Traceback" not in text and "Every check passed" not in text


def test_an_errored_result_never_says_every_check_passed() -> None:
    text = render_feedback(result(outcome(), error="grader: x has no points marker", error_kind="grader"))
    assert "Every check passed" not in text and "Score 0" in text


def test_warnings_are_listed_as_notes_on_how_the_code_ran() -> None:
    text = render_feedback(result(outcome(), warnings=(
        "cell 2: skipped IPython-only line '!ls'",
        "cell 4, line 1: `f(x)` raised NameError: name 'f' is not defined; the rest of the notebook still ran")))
    assert "## Notes on how your code ran" in text
    assert "- cell 2: skipped IPython-only line '!ls'" in text
    assert "- cell 4, line 1: \\`f(x)\\` raised NameError: name 'f' is not defined; the rest" in text
    assert text.index("## Notes") < text.index("Every check passed")


def test_many_failures_of_one_group_are_summarised() -> None:
    failures = [outcome(f"relu[x={i}]", "relu", 0.5, passed=False, message=f"case {i} wrong") for i in range(8)]
    text = render_feedback(result(*failures))
    assert "### `relu`: 0 / 4 (8 of 8 checks failed)" in text
    shown = [line for line in text.splitlines() if line.startswith("- `relu[")]
    assert len(shown) == MAX_CASES_SHOWN
    assert f"- ... and {8 - MAX_CASES_SHOWN} more like these" in text


COLLECTION_ERROR = ("grader: could not collect test_x.py: ImportError while importing test module "
                    "'/srv/kit/assignments/activations/tests/hidden/test_x.py'.\nTraceback:\n"
                    "/srv/kit/assignments/activations/tests/hidden/test_x.py:3: in <module>\n"
                    "    SECRET_CASES = [0.7310585786]\nE   ModuleNotFoundError: No module named 'x'")


def test_a_grader_failure_shows_the_student_no_traceback_or_hidden_suite_source() -> None:
    text = render_feedback(result(outcome(), error=COLLECTION_ERROR, error_kind="grader",
                                  detail=COLLECTION_ERROR))
    assert "Score 0" in text
    assert "Traceback" not in text and "tests/hidden" not in text and "SECRET_CASES" not in text


def test_a_contract_check_held_back_by_wrong_values_is_explained() -> None:
    text = render_feedback(result(
        outcome("relu[values]", "relu", 0.8, passed=False, message="relu(x=...): got 1, should be 0"),
        outcome("finite_at_large_inputs[relu]", "relu", 0.2, passed=True, earned=0.0)))
    assert "### `relu`: 0 / 1 (1 of 2 checks failed)" in text
    assert "- `relu`: its contract checks (int input, shapes, no mutation, stability) earn only" in text


def test_scores_show_at_most_two_decimals() -> None:
    text = render_feedback(result(outcome("a", "sigmoid", 2 / 3), outcome("b", "sigmoid", 1 / 3, passed=False,
                                                                         message="wrong")))
    assert "**Score 0.67 / 1 (0 of 1 skills full marks)**" in text
    assert "### `sigmoid`: 0.67 / 1 (1 of 2 checks failed)" in text
