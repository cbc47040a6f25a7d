"""Hidden suite, part 1: activations by name, the MSE loss, the chain rule, the update rule.

Every expected value is ``derive(<reference function>, ...)`` at seeded inputs.

Non-mutation (``gradient_descent_step_returns_new_array``): the arrays are sent
READ-ONLY (``student.with_options(readonly_inputs=True)``), so an in-place
update (``w -= lr * grad``) raises "assignment destination is read-only" in the
sandbox and fails that test alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.suite import assert_close, assert_float_array_like, derive, fail
from reference import losses
from reference.activations import get_activation

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
KINKED = tuple(name for name in ACTIVATIONS if get_activation(name).kinks)
EDGE_AWAY_FROM_KINK = np.array([1e-9, -1e-9, 30.0, -30.0, 1000.0, -1000.0])
"""The edge points except the kink itself (0 is tested on its own, with the convention)."""

_rng = np.random.default_rng(20240611)
RANDOM_POINTS = _rng.uniform(-6.0, 6.0, size=24)
VALUE_POINTS = np.concatenate([EDGE_AWAY_FROM_KINK, RANDOM_POINTS])
"""Where activate and activate_derivative are compared with the reference (one call each)."""

STABILITY_POINTS = np.array([[-1000.0, -30.0, -1e-9, 0.0], [1e-9, 30.0, 700.0, 1000.0]])


# --------------------------------------------------------------------------
# activate / activate_derivative


@pytest.mark.points(5)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activate(student, activation):
    got = student.activate(VALUE_POINTS.copy(), activation)
    assert_close(got, derive(get_activation(activation), VALUE_POINTS),
                 call=f"activate(z=[edge and random points], {activation!r})",
                 hint="compare with the table in section 1; the sigmoid must not overflow at -1000")


@pytest.mark.points(5)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activate_derivative(student, activation):
    got = student.activate_derivative(VALUE_POINTS.copy(), activation)
    assert_close(got, derive(get_activation(activation).grad, VALUE_POINTS),
                 call=f"activate_derivative(z=[edge and random points], {activation!r})",
                 hint="sigmoid' = sigmoid (1 - sigmoid), tanh' = 1 - tanh^2, relu-family: 1 for z > 0")


@pytest.mark.points(3)
@pytest.mark.parametrize("activation", KINKED)
def test_activate_derivative_at_kink(student, activation):
    got = student.activate_derivative(np.float64(0.0), activation)
    assert_close(got, derive(get_activation(activation).grad, 0.0),
                 call=f"activate_derivative(z=0, {activation!r})",
                 hint="the z <= 0 branch owns the kink: relu'(0) = 0, leaky_relu'(0) = 0.01, elu'(0) = 1")


@pytest.mark.points(2)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activate_stable(strict_student, activation):
    """Shape (2, 4) in, float64 (2, 4) out, finite, no overflow/invalid/divide at |z| <= 1000."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values = strict_student.activate(STABILITY_POINTS.copy(), activation)
        slopes = strict_student.activate_derivative(STABILITY_POINTS.copy(), activation)
    assert_float_array_like(values, call=f"activate(z of shape (2, 4), {activation!r})", shape=(2, 4),
                            hint="work on np.asarray(z, dtype=np.float64); never exponentiate a large positive number")
    assert_float_array_like(slopes, call=f"activate_derivative(z of shape (2, 4), {activation!r})",
                            shape=(2, 4), hint="clip the argument of exp, or use exp(-|z|)")


# --------------------------------------------------------------------------
# int input gives float output


_INT_Z = np.array([-3, -1, 0, 2, 5])
_INT_Y, _INT_Y_HAT = np.array([1, 0, 2, 3]), np.array([0, 0, 1, 5])
_INT_W, _INT_GRAD = np.array([3, -2, 1]), np.array([1, 4, -2])


@pytest.mark.points(3)
@pytest.mark.parametrize("case", ["activate", "activate_derivative", "mse_loss_derivative",
                                  "gradient_descent_step"])
def test_int_input_gives_float(student, case):
    if case == "activate":
        got, want, call = student.activate(_INT_Z, "relu"), derive(get_activation("relu"), _INT_Z), \
            "activate(z=int array, 'relu')"
    elif case == "activate_derivative":
        got, want, call = (student.activate_derivative(_INT_Z, "leaky_relu"),
                           derive(get_activation("leaky_relu").grad, _INT_Z),
                           "activate_derivative(z=int array, 'leaky_relu')")
    elif case == "mse_loss_derivative":
        got, want, call = (student.mse_loss_derivative(_INT_Y, _INT_Y_HAT),
                           derive(losses.mse_gradient, _INT_Y, _INT_Y_HAT),
                           "mse_loss_derivative(y=int array, y_hat=int array)")
    else:
        got, want, call = (student.gradient_descent_step(_INT_W, _INT_GRAD, 0.5),
                           derive(losses.gradient_descent_step, _INT_W, _INT_GRAD, 0.5),
                           "gradient_descent_step(w=int array, grad=int array, lr=0.5)")
    assert_float_array_like(got, call=call, shape=np.shape(want.value),
                            hint="convert inputs with np.asarray(value, dtype=np.float64) first")
    assert_close(got, want, call=call)


# --------------------------------------------------------------------------
# mse_loss and its derivative


_mse_rng = np.random.default_rng(7301)
MSE_CASES = {
    "shape=()": (float(_mse_rng.normal()), float(_mse_rng.normal())),
    "shape=(7,)": (_mse_rng.normal(size=7), _mse_rng.normal(size=7)),
    "shape=(3,4)": (_mse_rng.normal(size=(3, 4)), _mse_rng.normal(size=(3, 4))),
    "y=scalar,y_hat=(5,)": (float(_mse_rng.normal()), _mse_rng.normal(size=5)),
}


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


@pytest.mark.points(4)
@pytest.mark.parametrize("case", MSE_CASES)
def test_mse_loss(student, case):
    y, y_hat = MSE_CASES[case]
    got = student.mse_loss(_copy(y), _copy(y_hat))
    assert_close(got, derive(losses.mse, y, y_hat), call=f"mse_loss({case})",
                 hint="mean over ALL elements of (y - y_hat)^2, returned as one float")


@pytest.mark.points(4)
@pytest.mark.parametrize("case", MSE_CASES)
def test_mse_loss_derivative(student, case):
    y, y_hat = MSE_CASES[case]
    want = derive(losses.mse_gradient, y, y_hat)
    got = student.mse_loss_derivative(_copy(y), _copy(y_hat))
    if np.shape(want.value) != () or type(got) is not float:  # a scalar may come back as a float
        assert_float_array_like(got, call=f"mse_loss_derivative({case})", shape=np.shape(want.value),
                                hint="one derivative per element of y_hat")
    assert_close(got, want, call=f"mse_loss_derivative({case})",
                 hint="2 (y_hat - y) / n, n = number of elements; mind the sign")


# --------------------------------------------------------------------------
# chain_rule and sum_over_paths


_chain_rng = np.random.default_rng(4410)
CHAIN_CASES = {
    "length=1": [float(v) for v in _chain_rng.uniform(-2, 2, size=1)],
    "length=2": [float(v) for v in _chain_rng.uniform(-2, 2, size=2)],
    "length=4": [float(v) for v in _chain_rng.uniform(-2, 2, size=4)],
    "length=5,sigmoid-sized": [float(v) for v in _chain_rng.uniform(0.0, 0.25, size=5)],
    "batch=(6,)": [_chain_rng.uniform(-2, 2, size=6) for _ in range(4)],
}


@pytest.mark.points(3)
@pytest.mark.parametrize("case", CHAIN_CASES)
def test_chain_rule(student, case):
    factors = CHAIN_CASES[case]
    got = student.chain_rule([_copy(f) for f in factors])
    assert_close(got, derive(losses.chain_rule, factors), call=f"chain_rule({case})",
                 hint="along one path the local derivatives multiply")


_paths_rng = np.random.default_rng(5521)
PATH_CASES = {
    "one path": [[float(v) for v in _paths_rng.uniform(-2, 2, size=4)]],
    "two paths of 4 (dL/dw1)": [[float(v) for v in _paths_rng.uniform(-2, 2, size=4)] for _ in range(2)],
    "three paths of lengths 2,3,5": [[float(v) for v in _paths_rng.uniform(-2, 2, size=n)]
                                      for n in (2, 3, 5)],
    "two paths, batch=(5,)": [[_paths_rng.uniform(-2, 2, size=5) for _ in range(4)] for _ in range(2)],
}


@pytest.mark.points(3)
@pytest.mark.parametrize("case", PATH_CASES)
def test_sum_over_paths(student, case):
    paths = PATH_CASES[case]
    got = student.sum_over_paths([[_copy(f) for f in path] for path in paths])
    assert_close(got, derive(losses.sum_over_paths, paths), call=f"sum_over_paths({case})",
                 hint="multiply along each path (chain_rule), then add the paths")


# --------------------------------------------------------------------------
# gradient_descent_step: sign, learning rate, a new array


_step_rng = np.random.default_rng(6632)
STEP_CASES = {
    "grad>0 lowers w": (_step_rng.normal(size=4), _step_rng.uniform(0.5, 2.0, size=4), 0.1),
    "grad<0 raises w": (_step_rng.normal(size=4), -_step_rng.uniform(0.5, 2.0, size=4), 0.1),
    "lr=0.01": (_step_rng.normal(size=4), _step_rng.normal(size=4), 0.01),
    "lr=1": (_step_rng.normal(size=4), _step_rng.normal(size=4), 1.0),
    "lr=3.5": (_step_rng.normal(size=4), _step_rng.normal(size=4), 3.5),
    "scalar w": (float(_step_rng.normal()), float(_step_rng.normal()), 0.25),
    "shape=(2,3)": (_step_rng.normal(size=(2, 3)), _step_rng.normal(size=(2, 3)), 0.3),
}


@pytest.mark.points(4)
@pytest.mark.parametrize("case", STEP_CASES)
def test_gradient_descent_step(student, case):
    w, grad, lr = STEP_CASES[case]
    got = student.gradient_descent_step(_copy(w), _copy(grad), lr)
    assert_close(got, derive(losses.gradient_descent_step, w, grad, lr),
                 call=f"gradient_descent_step({case}, lr={lr:g})",
                 hint="w_new = w_old - lr * grad: subtract, and scale by the learning rate")


_NEW_W, _NEW_GRAD = _step_rng.normal(size=5), _step_rng.normal(size=5)


@pytest.mark.points(1)
def test_gradient_descent_step_returns_new_array(student):
    w, grad = _NEW_W, _NEW_GRAD
    sent_w, sent_grad = w.copy(), grad.copy()
    for array in (sent_w, sent_grad):  # an in-place write (w -= ...) raises instead of passing silently
        array.setflags(write=False)
    got = student.with_options(readonly_inputs=True).gradient_descent_step(sent_w, sent_grad, 0.2)
    call = "gradient_descent_step(w, grad, lr=0.2)"
    assert_close(got, derive(losses.gradient_descent_step, w, grad, 0.2), call=call)
    if got is sent_w:
        fail(f"{call}: returned the caller's array w itself; return a new array")
    if not (np.array_equal(sent_w, w) and np.array_equal(sent_grad, grad)):
        fail(f"{call}: modified its inputs; compute w - lr * grad into a new array")
