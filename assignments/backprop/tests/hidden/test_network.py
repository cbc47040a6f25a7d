"""Hidden suite, part 2: the lecture network's forward pass, backward pass and training.

Inputs: one parameter set per activation, drawn from a fixed seed and kept only
if every pre-activation of every sample is at least KINK_MARGIN away from 0
(so relu-family derivatives are unambiguous and central differences never
straddle a kink), for relu / leaky_relu / elu every node sees both signs over
the batch (both branches are exercised), at least one sample activates every
node (that sample is the scalar-x case) and the reference's own gradient
descent lowers the loss.

``backward`` is checked for every (activation, parameter) pair twice: against
the reference network, and against central differences of the student's OWN
``forward`` + ``mse_loss`` (so a wrong forward pass is not also charged here).

Non-mutation of ``train``'s input is checked on what crosses a process
boundary: the batch is sent read-only, the returned parameters differ from the
input, and a second call with the same input gives the same result (state kept
between calls would show up there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from autograder.gradcheck import compare_gradients, partial_derivatives
from autograder.suite import (
    as_float_array,
    assert_close,
    assert_float_array_like,
    assert_gradcheck,
    derive,
    fail,
)
from autograder.tolerances import KINK_MARGIN, VALUES
from reference import losses, network
from reference.activations import get_activation

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
PARAMETERS = network.PARAMETERS
NODES = network.HIDDEN
BATCH = 8
TRAIN_LR = 0.5
TRAIN_STEPS = 25


# --------------------------------------------------------------------------
# Seeded inputs


@dataclass(frozen=True)
class NetworkCase:
    params: dict[str, float]
    x: np.ndarray
    y: np.ndarray
    x_scalar: float
    y_scalar: float


def _pre_activations(params: dict[str, float], x: np.ndarray, activation: str) -> dict[str, np.ndarray]:
    out = network.forward(params, x, activation)
    return {
        "o1": params["w1"] * x + params["b1"],
        "o2_1": params["w2"] * out["o1"] + params["b2"],
        "o2_2": params["w3"] * out["o1"] + params["b3"],
        "o3": params["w4"] * out["o2_1"] + params["w5"] * out["o2_2"] + params["b4"],
    }


def _network_case(activation: str, seed: int) -> NetworkCase:
    rng = np.random.default_rng(seed)
    while True:
        params = {p: float(rng.uniform(-1.5, 1.5)) for p in PARAMETERS}
        x = rng.uniform(-2.0, 2.0, size=BATCH)
        y = rng.uniform(0.0, 1.0, size=BATCH)
        z = _pre_activations(params, x, activation)
        if any(np.min(np.abs(v)) < KINK_MARGIN for v in z.values()):
            continue
        kinked = bool(get_activation(activation).kinks)
        if kinked and not all(np.any(v > 0) and np.any(v < 0) for v in z.values()):
            continue
        all_active = np.all([v > 0 for v in z.values()], axis=0)
        if not np.any(all_active):
            continue
        _, history = network.train(params, x, y, TRAIN_LR, TRAIN_STEPS, activation)
        if not history[-1] < history[0]:
            continue
        return NetworkCase(params, x, y, float(x[np.argmax(all_active)]), float(y[0]))


CASES = {act: _network_case(act, seed) for act, seed in zip(ACTIVATIONS, (101, 202, 303, 404, 505))}


def _inputs(activation: str, batch: str) -> tuple[dict[str, float], object, object]:
    case = CASES[activation]
    if batch == "scalar":
        return dict(case.params), case.x_scalar, case.y_scalar
    return dict(case.params), case.x.copy(), case.y.copy()


def _checked_dict(got: object, keys: tuple[str, ...], call: str) -> dict:
    __tracebackhide__ = True
    if type(got) is not dict:
        fail(f"{call}: got a {type(got).__name__}, should be a dict with keys {', '.join(keys)}")
    if set(got) != set(keys):
        fail(f"{call}: got keys {sorted(got)}, should be {sorted(keys)}")
    return got


def _float_vector(got: object, call: str) -> np.ndarray:
    """A list/tuple of numbers or a 1-D array, as a float64 vector."""
    __tracebackhide__ = True
    if isinstance(got, (list, tuple)):
        return np.array([as_float_array(v, call=call) for v in got], dtype=np.float64).reshape(-1)
    array = as_float_array(got, call=call)
    if array.ndim != 1:
        fail(f"{call}: got shape {array.shape}, should be a list of floats")
    return array


def _train_result(got: object, call: str) -> tuple[dict, np.ndarray]:
    __tracebackhide__ = True
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        fail(f"{call}: should return a pair (new_params, losses), got {type(got).__name__}")
    new_params = _checked_dict(got[0], PARAMETERS, f"{call}[0]")
    return new_params, _float_vector(got[1], f"{call}[1]")


# --------------------------------------------------------------------------
# The two-path chain rule of the lecture, at a scalar x


def _lecture_paths(activation: str) -> list[list[float]]:
    """The local derivatives of dL/dw1's two paths (through o2_1 and o2_2), from the reference."""
    params, x, y = _inputs(activation, "scalar")
    slope = get_activation(activation).grad
    z = _pre_activations(params, np.float64(x), activation)
    o3 = network.forward(params, x, activation)["o3"]
    dL_do3 = float(losses.mse_gradient(y, o3))
    do1_dw1 = float(slope(z["o1"])) * x
    through_o2_1 = [dL_do3, float(slope(z["o3"])) * params["w4"], float(slope(z["o2_1"])) * params["w2"], do1_dw1]
    through_o2_2 = [dL_do3, float(slope(z["o3"])) * params["w5"], float(slope(z["o2_2"])) * params["w3"], do1_dw1]
    return [through_o2_1, through_o2_2]


@pytest.mark.points(5)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_two_path_dL_dw1(student, activation):
    params, x, y = _inputs(activation, "scalar")
    got = student.sum_over_paths(_lecture_paths(activation))
    assert_close(got, derive(network.backward, params, x, y, activation).part("w1"),
                 call=f"sum_over_paths(the two paths of dL/dw1, {activation!r})",
                 hint="dL/dw1 = (path through O2_1) + (path through O2_2), each a product of 4 factors")


# --------------------------------------------------------------------------
# forward


@pytest.mark.points(10)
@pytest.mark.parametrize("batch", ["scalar", "batch"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward(student, activation, batch):
    params, x, _ = _inputs(activation, batch)
    call = f"forward(params, x={batch}, {activation!r})"
    got = _checked_dict(student.forward(params, x, activation), NODES, call)
    want = derive(network.forward, params, x, activation)
    for node in NODES:
        assert_close(got[node], want.part(node), call=f"{call}[{node!r}]",
                     hint="o1 = f(w1 x + b1), o2_1 = f(w2 o1 + b2), o2_2 = f(w3 o1 + b3), "
                          "o3 = f(w4 o2_1 + w5 o2_2 + b4)")


@pytest.mark.points(1)
def test_forward_int_input(student):
    params = dict(CASES["tanh"].params)
    x = np.arange(-2, 3)
    call = "forward(params, x=int array, 'tanh')"
    got = _checked_dict(student.forward(params, x, "tanh"), NODES, call)
    want = derive(network.forward, params, x, "tanh")
    for node in NODES:
        assert_float_array_like(got[node], call=f"{call}[{node!r}]", shape=x.shape,
                                hint="convert x with np.asarray(x, dtype=np.float64)")
        assert_close(got[node], want.part(node), call=f"{call}[{node!r}]")


# --------------------------------------------------------------------------
# backward: against the reference, and against the student's own forward + mse_loss


@pytest.mark.points(20)
@pytest.mark.parametrize("param", PARAMETERS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward(student, activation, param):
    params, x, y = _inputs(activation, "batch")
    call = f"backward(params, x=batch of {BATCH}, y, {activation!r})"
    got = _checked_dict(student.backward(params, x, y, activation), PARAMETERS, call)
    assert_close(got[param], derive(network.backward, params, x, y, activation).part(param),
                 call=f"{call}[{param!r}]",
                 hint="dL/dp with L the MEAN over the batch; dL/dw1 and dL/db1 add the paths through o2_1 AND o2_2")


@pytest.mark.points(5)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_scalar_x(student, activation):
    params, x, y = _inputs(activation, "scalar")
    call = f"backward(params, x={x:.4g}, y={y:.4g}, {activation!r})"
    got = _checked_dict(student.backward(params, x, y, activation), PARAMETERS, call)
    want = derive(network.backward, params, x, y, activation)
    for param in PARAMETERS:
        assert_close(got[param], want.part(param), call=f"{call}[{param!r}]",
                     hint="one sample: dL/do3 = 2 (o3 - y); dL/dw1 and dL/db1 add the paths through o2_1 AND o2_2")


@pytest.mark.points(20)
@pytest.mark.parametrize("param", PARAMETERS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_gradcheck(student, activation, param):
    params, x, y = _inputs(activation, "batch")
    call = f"backward(params, x=batch of {BATCH}, y, {activation!r})[{param!r}]"

    def own_loss(changed: dict[str, float]) -> float:
        out = _checked_dict(student.forward({**params, **changed}, x, activation), NODES,
                            f"forward(params, x, {activation!r})")
        return float(as_float_array(student.mse_loss(y, out["o3"]), call="mse_loss(y, o3)"))

    numeric = partial_derivatives(own_loss, {param: params[param]})[param]
    got = _checked_dict(student.backward(params, x, y, activation), PARAMETERS, call)
    analytic = as_float_array(got[param], call=call)
    report = compare_gradients(analytic.reshape(1), np.array([numeric]),
                               labels=[f"{param}={params[param]:.6g}"])
    assert_gradcheck(report, call=f"{call} vs central differences of your forward + mse_loss",
                     hint="your backward must be the derivative of your own forward pass")


# --------------------------------------------------------------------------
# train


@pytest.mark.points(5)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_train_losses(student, activation):
    params, x, y = _inputs(activation, "batch")
    call = f"train(params, x, y, lr={TRAIN_LR}, steps={TRAIN_STEPS}, activation={activation!r})"
    _, got = _train_result(student.train(params, x, y, lr=TRAIN_LR, steps=TRAIN_STEPS,
                                         activation=activation), call)
    # The reference lists the loss after 0..k updates; k = steps - 1 gives the losses before each step.
    want = derive(network.train, params, x, y, TRAIN_LR, TRAIN_STEPS - 1, activation).part(1)
    assert_close(got, want, call=f"{call}: losses",
                 hint="losses[i] is the loss BEFORE step i; len(losses) == steps")


@pytest.mark.points(5)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_train_params(student, activation):
    params, x, y = _inputs(activation, "batch")
    call = f"train(params, x, y, lr={TRAIN_LR}, steps={TRAIN_STEPS}, activation={activation!r})"
    got, _ = _train_result(student.train(params, x, y, lr=TRAIN_LR, steps=TRAIN_STEPS,
                                         activation=activation), call)
    want = derive(network.train, params, x, y, TRAIN_LR, TRAIN_STEPS, activation).part(0)
    for param in PARAMETERS:
        assert_close(got[param], want.part(param), call=f"{call}: new_params[{param!r}]",
                     hint="each step: p <- p - lr * dL/dp for every parameter, all from the same backward")


@pytest.mark.points(5)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_train_lowers_loss(student, activation):
    params, x, y = _inputs(activation, "batch")
    call = f"train(params, x, y, lr={TRAIN_LR}, steps={TRAIN_STEPS}, activation={activation!r})"
    new_params, _ = _train_result(student.train(params, x, y, lr=TRAIN_LR, steps=TRAIN_STEPS,
                                                activation=activation), call)
    before = derive(network.loss, params, x, y, activation)
    after = derive(network.loss, {p: float(as_float_array(new_params[p], call=call)) for p in PARAMETERS},
                   x, y, activation)
    if not after.value < before.value:
        fail(f"{call}: the loss went from {before.value:.6g} to {after.value:.6g}; training should lower it"
              "\nHint: gradient DEscent subtracts lr * gradient")


@pytest.mark.points(2)
@pytest.mark.parametrize("steps", [1, 4, 9], ids=lambda steps: f"steps={steps}")
def test_train_len_losses(student, steps):
    params, x, y = _inputs("sigmoid", "batch")
    call = f"train(params, x, y, lr={TRAIN_LR}, steps={steps})"
    _, got = _train_result(student.train(params, x, y, lr=TRAIN_LR, steps=steps), call)
    if got.shape != (steps,):
        fail(f"{call}: returned {got.size} losses, should be {steps} (one before each step)")


@pytest.mark.points(3)
def test_train_defaults(student):
    params, x, y = _inputs("sigmoid", "batch")
    call = "train(params, x, y) with the defaults lr=0.5, steps=100, activation='sigmoid'"
    _, got = _train_result(student.train(params, x, y), call)
    want = derive(network.train, params, x, y, 0.5, 100 - 1, "sigmoid").part(1)
    assert_close(got, want, call=f"{call}: losses",
                 hint="keep the signature train(params, x, y, lr=0.5, steps=100, activation='sigmoid')")


@pytest.mark.points(2)
def test_train_does_not_mutate(student):
    params, x, y = _inputs("tanh", "batch")
    sent = dict(params)
    frozen = student.with_options(readonly_inputs=True)
    call = f"train(params, x, y, lr={TRAIN_LR}, steps=5, activation='tanh')"
    first_params, first_losses = _train_result(
        frozen.train(sent, x, y, lr=TRAIN_LR, steps=5, activation="tanh"), call)
    if first_params is sent or sent != params:
        fail(f"{call}: changed the caller's params dict; build a new dict for the result")
    first = _as_vector(first_params, call)
    if np.all(VALUES.close(first, _as_vector(params, call))):
        fail(f"{call}: returned the input parameters unchanged")
    second_params, second_losses = _train_result(
        frozen.train(dict(params), x, y, lr=TRAIN_LR, steps=5, activation="tanh"), call)
    same = (np.all(VALUES.close(as_float_array(second_losses, call=call),
                                as_float_array(first_losses, call=call)))
            and np.all(VALUES.close(_as_vector(second_params, call), first)))
    if not same:
        fail(f"{call}: a second call with the same input gave a different result; "
              "does train change its input or keep state between calls?")


def _as_vector(params: dict, call: str) -> np.ndarray:  # type: ignore[type-arg]
    """The parameters in PARAMETERS order as one float64 vector."""
    return np.array([float(as_float_array(params[p], call=call)) for p in PARAMETERS])