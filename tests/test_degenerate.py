"""Submissions that do nothing keep each function's answer structure and nothing else."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograder.assignment import get_assignment
from autograder.degenerate import degenerate_submissions
from autograder.release import solution_source, stub_source

ACTIVATIONS = get_assignment("activations")


def namespace_of(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "degenerate"}
    exec(compile(source, "<degenerate>", "exec"), namespace)  # the kit's own solution, trusted
    return namespace


@pytest.fixture(scope="module")
def degenerates() -> dict[str, dict[str, Any]]:
    made = degenerate_submissions(ACTIVATIONS, solution_source(ACTIVATIONS), stub_source(ACTIVATIONS))
    return {d.name: namespace_of(d.source) for d in made}


def test_every_kind_is_built(degenerates: dict[str, dict[str, Any]]) -> None:
    assert set(degenerates) == {"zeros", "ones", "constant", "noise", "nan", "first-argument", "stub-return-x"}


@pytest.mark.parametrize(("name", "check"), [
    ("zeros", lambda out: np.all(out == 0.0)), ("ones", lambda out: np.all(out == 1.0)),
    ("constant", lambda out: np.all(out == 0.5)), ("nan", lambda out: np.all(np.isnan(out))),
    ("noise", lambda out: np.ptp(out) > 0 and np.all(np.abs(out) <= 1.0))])
def test_filled_answers_keep_the_shape(degenerates: dict[str, dict[str, Any]], name: str, check: Any) -> None:
    x = np.linspace(-2.0, 2.0, 6).reshape(2, 3)
    for function in ("sigmoid", "elu_derivative", "softmax"):
        out = degenerates[name][function](x.copy())
        assert out.shape == x.shape and out.dtype == np.float64 and check(out), (name, function)


@pytest.mark.parametrize("name", ["first-argument", "stub-return-x"])
def test_returning_the_input(degenerates: dict[str, dict[str, Any]], name: str) -> None:
    x = np.array([-1.0, 2.0])
    assert degenerates[name]["prelu"](x, 0.25) is x
    assert degenerates[name]["softmax_jacobian"](x) is x
