"""Public checks for the vanishing assignment: one or two basic checks per function.

Run them with ``autograder check vanishing.py`` (or ``pytest --submission
vanishing.py tests/``). Passing them does not guarantee full marks: the graded
suite checks every activation, deeper chains, edge cases and numeric gradients.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.suite import assert_close, assert_equal_value, derive
from autograder.tolerances import TINY
from reference import network
from reference.activations import get_activation
from reference.guidance import recommended_activation

X = 0.8
WEIGHTS = np.array([1.2, -0.7, 0.9, 1.5])


@pytest.mark.skill("activations")
def test_activate(student):
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    assert_close(student.activate(z, "tanh"), derive(get_activation("tanh"), z),
                 call="activate(z=[-2, -0.5, 0, 0.5, 2], 'tanh')")


@pytest.mark.skill("activations")
def test_activate_derivative(student):
    z = np.array([-1.0, 0.0, 1.0])
    assert_close(student.activate_derivative(z, "sigmoid"), derive(get_activation("sigmoid").grad, z),
                 call="activate_derivative(z=[-1, 0, 1], 'sigmoid')", hint="sigmoid'(0) = 1/4")


@pytest.mark.skill("deep_chain_forward")
def test_deep_chain_forward(student):
    got = student.deep_chain_forward(X, WEIGHTS, "sigmoid")
    assert isinstance(got, (list, tuple)) and len(got) == 5, \
        "deep_chain_forward with 4 weights should return a list of 5 values [h_0, ..., h_4]"
    assert_close(np.array([float(v) for v in got]), derive(network.deep_chain_forward, X, WEIGHTS, "sigmoid"),
                 call="deep_chain_forward(x=0.8, weights=[1.2, -0.7, 0.9, 1.5], 'sigmoid')")


@pytest.mark.skill("deep_chain_gradients")
def test_deep_chain_gradients(student):
    assert_close(student.deep_chain_gradients(X, WEIGHTS, "sigmoid"),
                 derive(network.deep_chain_gradients, X, WEIGHTS, "sigmoid"), tol=TINY,
                 call="deep_chain_gradients(x=0.8, weights=[1.2, -0.7, 0.9, 1.5], 'sigmoid')",
                 hint="g[k] = d h_n / d w_(k+1); g[0] is the first layer")


@pytest.mark.skill("vanishing_bound")
def test_vanishing_bound(student):
    assert_close(student.vanishing_bound(X, WEIGHTS), derive(network.vanishing_bound, X, WEIGHTS), tol=TINY,
                 call="vanishing_bound(x=0.8, weights=[1.2, -0.7, 0.9, 1.5])")


@pytest.mark.skill("choose_activation")
def test_choose_activation(student):
    assert_equal_value(student.choose_activation("binary", "output"),
                       derive(recommended_activation, "binary", "output"),
                       call="choose_activation('binary', 'output')")
