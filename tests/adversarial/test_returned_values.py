"""Whatever a function returns, a bad value is the student's failure, never the kit's.

The attack: ``relu`` returns ``10**400`` (an int no float can hold), hoping the
conversion error is filed as a grader failure, so the run exits 1 and the
student is regraded on every ``--resume``. The honest version of the same
class: ``relu`` returns ``x[x > 0]`` (the wrong shape), which once broke the
gradient check's central differences. Both must fail exactly their own tests
with a message, and leave every other test as the solution scores it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from autograder.assignment import Assignment
from autograder.grading.batch import grade_batch, written_result
from autograder.grading.results import GradeResult

from .conftest import pass_vector
from .corpus import write_submission

pytestmark = pytest.mark.slow

RETURNS = {
    "overflowing_int": "\ndef relu(x):\n    return 10**400\n",
    "filtered_array": "\ndef relu(x):\n    x = np.asarray(x, dtype=np.float64)\n    return x[x > 0]\n",
}


def _about_relu(name: str) -> bool:
    return "relu" in name and "leaky" not in name and "prelu" not in name


@pytest.fixture(scope="module")
def solution(tmp_path_factory: pytest.TempPathFactory, base_source: str,
             grade: Callable[[Path], GradeResult]) -> GradeResult:
    return grade(write_submission(tmp_path_factory.mktemp("solution"), "solution", base_source))


@pytest.mark.parametrize("returned", list(RETURNS), ids=str)
def test_a_bad_return_value_fails_only_the_students_relu_tests(
        returned: str, tmp_path: Path, base_source: str, assignment: Assignment,
        solution: GradeResult) -> None:
    path = write_submission(tmp_path, returned, base_source + RETURNS[returned])
    out = tmp_path / "out"
    report = grade_batch(assignment, [path], out)
    result = written_result(out, returned, assignment)  # case by case, with messages
    assert result is not None

    assert result.graded and report.all_graded, result.detail or [t.detail for t in result.tests]
    assert result.grader_failures == 0 and not result.error
    failed = [t for t in result.tests if not t.passed]
    assert failed and all(_about_relu(t.name) for t in failed), [t.name for t in failed]
    assert all(t.kind in ("assertion", "student") and t.message for t in failed)
    others = [(n, p) for n, p in pass_vector(result) if not _about_relu(n)]
    assert others == [(n, p) for n, p in pass_vector(solution) if not _about_relu(n)]

    again = grade_batch(assignment, [path], out, resume=True)
    assert again.resumed == (returned,)


WRONG_DERIVATIVE = "\ndef relu_derivative(x):\n    return np.ones_like(np.asarray(x, dtype=np.float64))\n"


def test_a_forward_of_the_wrong_shape_is_no_upstream_for_a_gradient_check(
        tmp_path: Path, base_source: str, grade: Callable[[Path], GradeResult]) -> None:
    """relu_derivative is wrong, so the suite asks whether it is the derivative of the student's own
    relu; that relu returns x[x > 0], which is no function to differentiate: a plain failure."""
    result = grade(write_submission(tmp_path, "filtered", base_source + RETURNS["filtered_array"]
                                    + WRONG_DERIVATIVE))
    assert result.grader_failures == 0 and not result.error
    check = next(t for t in result.tests if t.name == "relu_derivative[values]")
    assert not check.passed and check.kind == "assertion" and not check.consistent_with
    assert check.message.startswith("relu_derivative(x=") and "got [1., 1., 1." in check.message
