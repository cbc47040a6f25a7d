"""reference.losses: the losses and their SymPy derivatives against numpy by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from reference import losses
from reference.numeric import elementary
from reference.softmax import symbolic_softmax
from tests.reference.independent import central_difference, sigmoid

RNG = np.random.default_rng(11)
Y = RNG.normal(size=6)
Y_HAT = RNG.normal(size=6)


@pytest.mark.parametrize("n", [1, 2, 3, 4], ids=lambda v: f"n={v}")
def test_mse_derivative_is_two_residual_over_n(n):
    gradient = losses.mse_gradient_expression(n)
    _, ys, preds = losses.mse_expression(n)
    for g, yi, pi in zip(gradient, ys, preds):
        assert sp.simplify(g - 2 * (pi - yi) / n) == 0


def test_mse_matches_numpy():
    np.testing.assert_allclose(losses.mse(Y, Y_HAT), np.mean((Y - Y_HAT) ** 2), rtol=1e-14)
    np.testing.assert_allclose(losses.mse_gradient(Y, Y_HAT), 2 * (Y_HAT - Y) / Y.size, rtol=1e-14)


def test_mse_gradient_matches_central_differences():
    numeric = [central_difference(lambda t, i=i: losses.mse(Y, Y_HAT + t * np.eye(6)[i]),
                                  np.float64(0.0)) for i in range(6)]
    np.testing.assert_allclose(losses.mse_gradient(Y, Y_HAT), numeric, rtol=1e-6, atol=1e-9)


def test_mse_scalar_and_int_inputs():
    assert losses.mse(3, 1) == pytest.approx(4.0, rel=1e-15)
    out = losses.mse_gradient([1, 2], [2, 2])
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [1.0, 0.0], rtol=1e-15, atol=0)


def test_binary_cross_entropy_matches_numpy():
    t = np.array([1.0, 0.0, 1.0, 0.0])
    p = np.array([0.9, 0.2, 0.3, 0.6])
    by_hand = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(losses.binary_cross_entropy(t, p), by_hand, rtol=1e-14)
    grad = (-(t / p) + (1 - t) / (1 - p)) / t.size
    np.testing.assert_allclose(losses.binary_cross_entropy_gradient(t, p), grad, rtol=1e-14)


def test_binary_cross_entropy_stable_forms_equal_the_definition():
    """What the BCE evaluators compute is the defining loss and its sympy.diff."""
    loss = elementary(losses.BINARY_CROSS_ENTROPY_STABLE) - losses.BINARY_CROSS_ENTROPY
    assert sp.simplify(loss) == 0
    slope = losses.BINARY_CROSS_ENTROPY_SLOPE_STABLE - sp.diff(losses.BINARY_CROSS_ENTROPY, losses.p)
    assert sp.simplify(slope) == 0


def test_binary_cross_entropy_keeps_the_digits_of_a_tiny_p():
    # -log(1 - p) = p for p = 1e-10 to 1e-10 relative; log(1 - p) kept only ~6 digits.
    value = losses.binary_cross_entropy([0.0], [1e-10])
    np.testing.assert_allclose(value, 1e-10 + 0.5e-20, rtol=1e-15)


def test_binary_cross_entropy_is_finite_at_certain_mistakes():
    with np.errstate(all="raise"):
        value = losses.binary_cross_entropy([1.0, 0.0], [0.0, 1.0])
    assert np.isfinite(value) and value > 30


def test_bce_on_sigmoid_logit_gradient_is_s_minus_y():
    s = 1 / (1 + sp.exp(-losses.z))
    assert sp.simplify(losses.bce_logit_gradient_expression() - (s - losses.y)) == 0


@pytest.mark.parametrize("n", [2, 3, 4], ids=lambda v: f"n={v}")
def test_softmax_cross_entropy_gradient_is_s_minus_onehot(n):
    assert losses.cross_entropy_gradient_is_s_minus_onehot(n)


def test_cross_entropy_gradient_expression_for_one_target():
    gradient = losses.cross_entropy_gradient_expression(3, 1)
    s = symbolic_softmax(3)
    assert sp.simplify(gradient[1] - (s[1] - 1)) == 0
    assert sp.simplify(gradient[0] - s[0]) == 0


@pytest.mark.parametrize("axis", [0, -1], ids=lambda v: f"axis={v}")
def test_categorical_cross_entropy_matches_numpy(axis):
    logits = RNG.normal(size=(4, 3)) * 2
    labels = RNG.integers(0, 3, size=4)
    onehot = np.eye(3)[labels]
    if axis == 0:
        logits, onehot = logits.T, onehot.T
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    log_s = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    by_hand = -np.mean(np.sum(onehot * log_s, axis=axis))
    np.testing.assert_allclose(losses.categorical_cross_entropy(onehot, logits, axis), by_hand,
                               rtol=1e-13)
    grad = losses.categorical_cross_entropy_gradient(onehot, logits, axis)
    numeric = np.zeros_like(logits)
    for index in np.ndindex(logits.shape):
        step = np.zeros_like(logits)
        step[index] = 1.0
        numeric[index] = central_difference(
            lambda t, step=step: losses.categorical_cross_entropy(onehot, logits + t * step, axis),
            np.float64(0))
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_categorical_cross_entropy_keeps_the_digits_of_a_confident_right_answer():
    # CE = log(1 + e^-40) = 4.25e-18 and its gradient -(1 - s_0) = -4.25e-18: both were 0.
    logits, onehot = np.array([[0.0, -40.0]]), np.array([[1.0, 0.0]])
    tiny = math.exp(-40.0) / (1.0 + math.exp(-40.0))
    np.testing.assert_allclose(losses.categorical_cross_entropy(onehot, logits), math.log1p(math.exp(-40.0)),
                               rtol=1e-15)
    np.testing.assert_allclose(losses.categorical_cross_entropy_gradient(onehot, logits), [[-tiny, tiny]],
                               rtol=1e-15)


def test_categorical_cross_entropy_is_stable():
    logits = np.array([[1000.0, -1000.0, 0.0]])
    with np.errstate(all="raise"):
        value = losses.categorical_cross_entropy([[0.0, 1.0, 0.0]], logits)
    np.testing.assert_allclose(value, 2000.0, rtol=1e-12)


def test_gradient_descent_step_returns_a_new_array():
    w = np.array([1.0, -2.0, 3.0])
    grad = np.array([0.5, 0.5, -1.0])
    before = w.copy()
    out = losses.gradient_descent_step(w, grad, 0.1)
    np.testing.assert_allclose(out, before - 0.1 * grad, rtol=1e-15)
    np.testing.assert_array_equal(w, before)
    assert out is not w and out.dtype == np.float64


def test_gradient_descent_step_on_ints():
    out = losses.gradient_descent_step([1, 2], [1, 1], 1)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [0.0, 1.0], rtol=0, atol=0)


def test_chain_rule_and_sum_over_paths():
    factors = [0.25, 0.15, 0.10, 0.05, 0.02]  # the lecture's example chain
    np.testing.assert_allclose(losses.chain_rule(factors), np.prod(factors), rtol=1e-15)
    paths = [[2.0, 3.0], [4.0, 0.5]]
    np.testing.assert_allclose(losses.sum_over_paths(paths), 8.0, rtol=1e-15)
    a, b = sp.symbols("a b")
    assert losses.chain_rule([a, b]) == a * b
    assert losses.chain_rule([]) == 1 and losses.sum_over_paths([]) == 0


def test_sigmoid_independent_helper_sanity():
    np.testing.assert_allclose(sigmoid(np.array([0.0])), [0.5], rtol=1e-15)
