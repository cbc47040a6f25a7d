"""nbgrader's in-kernel student substitutes functions as the sandbox does: plain-data copies of
the grader's values, for the call only."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograder.platforms.kernel import KernelStudent
from autograder.sandbox import StudentRaised


def _namespace() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(
        "def mse_loss(y, y_hat):\n"
        "    raise TypeError('mse_loss is broken')\n"
        "def train(ys):\n"
        "    return [mse_loss(y, 2.0 * y) for y in ys]\n",
        namespace)
    return namespace


def _squared_error(y: Any, y_hat: Any) -> float:
    return float(np.mean((np.asarray(y, dtype=np.float64) - np.asarray(y_hat, dtype=np.float64)) ** 2))


def test_a_substituted_function_answers_for_the_call_only() -> None:
    namespace = _namespace()
    own = namespace["mse_loss"]
    student = KernelStudent(namespace)
    assert student.with_options(substitute={"mse_loss": _squared_error}).train([1.0, 2.0]) == pytest.approx([1.0, 4.0])
    assert namespace["mse_loss"] is own
    with pytest.raises(StudentRaised, match="mse_loss is broken"):
        student.train([1.0])


def test_a_refused_answer_raises_in_the_students_code() -> None:
    def raising(y: Any, y_hat: Any) -> float:
        raise KeyError("the grader's own detail")

    with pytest.raises(StudentRaised, match="SubstituteRefused") as raised:
        KernelStudent(_namespace()).with_options(substitute={"mse_loss": raising}).train([1.0])
    assert "the grader's own detail" not in str(raised.value)


def test_the_substituted_function_itself_is_not_called_through_it() -> None:
    with pytest.raises(ValueError, match="cannot substitute"):
        KernelStudent(_namespace()).with_options(substitute={"mse_loss": _squared_error}).mse_loss(1.0, 2.0)
