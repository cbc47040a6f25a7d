"""Public tests for the activations assignment: a few basic checks per function.

Run them in the release folder with ``pytest --submission activations.py tests/``
(or ``autograder check activations.py``). Passing them is a good sign, not a
guarantee: the grader also checks edge points, large inputs, integer input,
non-default parameters and numeric gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograder.suite import assert_close, derive, spread
from reference.activations import get_activation
from reference.softmax import jacobian, softmax

X = spread(9, -6.0, 6.0)
Z = spread(6, -4.0, 4.0).reshape(2, 3)

ELEMENTWISE = [  # (student function, activation, "value" or "dx", parameters)
    ("sigmoid", "sigmoid", "value", {}),
    ("sigmoid_derivative", "sigmoid", "dx", {}),
    ("tanh", "tanh", "value", {}),
    ("tanh_derivative", "tanh", "dx", {}),
    ("relu", "relu", "value", {}),
    ("relu_derivative", "relu", "dx", {}),
    ("leaky_relu", "leaky_relu", "value", {}),
    ("leaky_relu_derivative", "leaky_relu", "dx", {}),
    ("prelu", "prelu", "value", {"a": 0.25}),
    ("prelu_derivative", "prelu", "dx", {"a": 0.25}),
    ("elu", "elu", "value", {}),
    ("elu_derivative", "elu", "dx", {}),
]


def _call(student: Any, name: str, x: Any, params: dict[str, float]) -> Any:
    if "a" in params:
        return getattr(student, name)(x, params["a"])
    return getattr(student, name)(x, **params)


@pytest.mark.parametrize(("name", "activation", "kind", "params"),
                         [pytest.param(*case, id=case[0], marks=pytest.mark.skill(case[0])) for case in ELEMENTWISE])
def test_values(student: Any, name: str, activation: str, kind: str, params: dict[str, float]) -> None:
    act = get_activation(activation)
    want = derive(act.__call__ if kind == "value" else act.grad, X, **params)
    assert_close(_call(student, name, X.copy(), params), want, call=f"{name}(x=<9 points in [-6, 6]>)",
                 inputs=X)


@pytest.mark.skill("sigmoid_derivative")
@pytest.mark.parametrize("x", [0.0, -1000.0], ids=lambda v: f"x={v:g}")
def test_sigmoid_derivative_edges(student: Any, x: float) -> None:
    want = derive(get_activation("sigmoid").grad, x)
    assert_close(student.sigmoid_derivative(x), want, call=f"sigmoid_derivative(x={x:g})",
                 hint="sigmoid'(x) = sigmoid(x) (1 - sigmoid(x)); for x < 0 use e^x / (1 + e^x)")


@pytest.mark.skill("relu_derivative")
def test_relu_derivative_at_zero(student: Any) -> None:
    want = derive(get_activation("relu").grad, 0.0)
    assert_close(student.relu_derivative(0.0), want, call="relu_derivative(x=0)",
                 hint="the convention: relu'(0) = 0")


@pytest.mark.skill("prelu_grad_a")
def test_prelu_grad_a(student: Any) -> None:
    want = derive(get_activation("prelu").grad_param, "a", X, a=0.25)
    assert_close(student.prelu_grad_a(X.copy(), 0.25), want, call="prelu_grad_a(x=<9 points>, a=0.25)",
                 hint="d prelu / d a is x where x <= 0, else 0")


@pytest.mark.skill("softmax")
@pytest.mark.parametrize("axis", [-1, 0], ids=lambda a: f"axis={a}")
def test_softmax_batch(student: Any, axis: int) -> None:
    want = derive(softmax, Z, axis=axis)
    assert_close(student.softmax(Z.copy(), axis=axis), want, call=f"softmax(z=<(2, 3) batch>, axis={axis})")


LARGE_LOGITS = np.array([1000.0, 0.0, -1000.0])
"""The cheapest case that catches a softmax without the max shift: e^1000 overflows."""


@pytest.mark.skill("softmax")
def test_softmax_large_logits(student: Any) -> None:
    want = derive(softmax, LARGE_LOGITS)
    assert_close(student.softmax(LARGE_LOGITS.copy()), want, call="softmax(z=[1000, 0, -1000])",
                 hint="subtract the max first: np.exp(z - np.max(z, axis=axis, keepdims=True))")


@pytest.mark.skill("softmax_jacobian")
def test_softmax_jacobian(student: Any) -> None:
    want = derive(jacobian, Z[0])
    assert_close(student.softmax_jacobian(Z[0].copy()), want, call="softmax_jacobian(z=<3 logits>)",
                 hint="J = np.diag(s) - np.outer(s, s)")
