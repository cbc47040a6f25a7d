"""Public checks for the backprop assignment: one or two basic checks per function.

Run them with ``autograder check backprop.py`` (or ``pytest --submission
backprop.py tests/``). Passing them does not guarantee full marks: the graded
suite checks more inputs, every activation, edge cases and numeric gradients.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.suite import assert_close, derive, spread
from reference import losses, network
from reference.activations import get_activation

PARAMS = {p: float(v) for p, v in zip(network.PARAMETERS, spread(len(network.PARAMETERS), -1.0, 1.0))}
X, Y = 0.7, 0.3


@pytest.mark.skill("activations")
def test_activate(student):
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    assert_close(student.activate(z, "sigmoid"), derive(get_activation("sigmoid"), z),
                 call="activate(z=[-2, -0.5, 0, 0.5, 2], 'sigmoid')")


@pytest.mark.skill("activations")
def test_activate_derivative(student):
    z = np.array([-1.0, 0.0, 1.0])
    assert_close(student.activate_derivative(z, "relu"), derive(get_activation("relu").grad, z),
                 call="activate_derivative(z=[-1, 0, 1], 'relu')", hint="relu'(0) = 0")


@pytest.mark.skill("mse")
def test_mse_loss(student):
    y, y_hat = np.array([1.0, 0.0, 0.5]), np.array([0.8, 0.1, 0.5])
    assert_close(student.mse_loss(y, y_hat), derive(losses.mse, y, y_hat),
                 call="mse_loss(y=[1, 0, 0.5], y_hat=[0.8, 0.1, 0.5])")


@pytest.mark.skill("mse")
def test_mse_loss_derivative(student):
    y, y_hat = np.array([1.0, 0.0, 0.5]), np.array([0.8, 0.1, 0.5])
    assert_close(student.mse_loss_derivative(y, y_hat), derive(losses.mse_gradient, y, y_hat),
                 call="mse_loss_derivative(y=[1, 0, 0.5], y_hat=[0.8, 0.1, 0.5])",
                 hint="2 (y_hat - y) / n")


@pytest.mark.skill("chain_rule")
def test_chain_rule(student):
    factors = [0.25, 0.15, 0.10, 0.05, 0.02]  # the lecture's example of a shrinking chain
    assert_close(student.chain_rule(factors), derive(losses.chain_rule, factors),
                 call="chain_rule([0.25, 0.15, 0.10, 0.05, 0.02])")


@pytest.mark.skill("two_paths")
def test_sum_over_paths(student):
    paths = [[0.5, 0.2, 0.3, 0.7], [0.5, -0.4, 0.1, 0.7]]
    assert_close(student.sum_over_paths(paths), derive(losses.sum_over_paths, paths),
                 call="sum_over_paths([[0.5, 0.2, 0.3, 0.7], [0.5, -0.4, 0.1, 0.7]])")


@pytest.mark.skill("update")
def test_gradient_descent_step(student):
    w, grad = np.array([1.0, -2.0]), np.array([0.5, -0.5])
    assert_close(student.gradient_descent_step(w, grad, 0.1),
                 derive(losses.gradient_descent_step, w, grad, 0.1),
                 call="gradient_descent_step(w=[1, -2], grad=[0.5, -0.5], lr=0.1)",
                 hint="w_new = w_old - lr * grad")


@pytest.mark.skill("forward")
def test_forward(student):
    got = student.forward(dict(PARAMS), X, "sigmoid")
    want = derive(network.forward, PARAMS, X, "sigmoid")
    for node in network.HIDDEN:
        assert_close(got[node], want.part(node), call=f"forward(params, x={X}, 'sigmoid')[{node!r}]")


@pytest.mark.skill("backward")
def test_backward(student):
    got = student.backward(dict(PARAMS), X, Y, "sigmoid")
    want = derive(network.backward, PARAMS, X, Y, "sigmoid")
    for param in network.PARAMETERS:
        assert_close(got[param], want.part(param),
                     call=f"backward(params, x={X}, y={Y}, 'sigmoid')[{param!r}]")


@pytest.mark.skill("train")
def test_train(student):
    new_params, history = student.train(dict(PARAMS), X, Y, lr=0.5, steps=10)
    assert len(history) == 10, f"train(..., steps=10) returned {len(history)} losses, should be 10"
    assert_close(history[0], derive(network.loss, PARAMS, X, Y, "sigmoid"),
                 call="train(params, x, y, lr=0.5, steps=10): losses[0]",
                 hint="losses[0] is the loss of the parameters you were given")
    assert history[-1] < history[0], "train(..., steps=10): the loss should go down"
