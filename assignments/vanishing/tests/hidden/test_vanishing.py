"""Hidden suite of the vanishing assignment.

Every expected value is ``derive(<reference function>, ...)`` at seeded inputs:
``reference.network`` (the deep chain h_k = f(w_k h_{k-1}) as a SymPy graph),
``reference.activations`` and ``reference.guidance``.

Chains are drawn from fixed seeds and kept only if every pre-activation
z_k = w_k h_{k-1} is at least KINK_MARGIN away from 0, so the relu-family
derivatives are unambiguous and central differences never straddle a kink.
ReLU chains use a positive input and positive weights (a negative z would make
every later z exactly 0); one extra ReLU case turns the last weight negative
(a dead output unit: every gradient is exactly 0).

Tiny gradients (deep sigmoid chains reach 1e-13) are compared with the purely
relative ``TINY`` tolerance, so returning 0 never passes for them.

The vanishing properties (``sigmoid_gradient_vanishes``, ``relu_gradient_does_not_vanish``)
are checked on the student's own gradients, independently of their exact
values: |g[0]| <= vanishing_bound (derived by the reference) and, for depth
10-20, |g[0]| at least ``ORDERS_OF_MAGNITUDE`` orders below |g[-1]| for the
sigmoid and not that far below for ReLU with positive weights. The module
checks at import that the reference's own gradients show both by a wide margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from autograder.gradcheck import compare_gradients, partial_derivatives
from autograder.suite import (
    as_float_array,
    assert_close,
    assert_equal_value,
    assert_float_array_like,
    assert_gradcheck,
    derive,
    fail,
)
from autograder.tolerances import KINK_MARGIN, TINY
from autograder.wording import a_type
from reference import network
from reference.activations import get_activation
from reference.guidance import LAYERS, TASKS, recommended_activation

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
KINKED = tuple(name for name in ACTIVATIONS if get_activation(name).kinks)
ORDERS_OF_MAGNITUDE = 3
"""What "orders of magnitude below" means here: |g[0]| <= 10**-3 |g[-1]|."""


# --------------------------------------------------------------------------
# Seeded chains


@dataclass(frozen=True)
class Chain:
    x: float
    weights: np.ndarray

    @property
    def depth(self) -> int:
        return int(self.weights.size)


def _chain(activation: str, depth: int, seed: int, *, positive: bool = False,
           dead_last: bool = False) -> Chain:
    rng = np.random.default_rng(seed)
    positive = positive or activation == "relu"
    while True:
        if positive:
            x, weights = float(rng.uniform(0.5, 1.5)), rng.uniform(0.6, 1.4, size=depth)
        else:
            x = float(rng.uniform(0.3, 1.5) * rng.choice([-1.0, 1.0]))
            weights = rng.uniform(0.5, 2.0, size=depth) * rng.choice([-1.0, 1.0], size=depth)
        if dead_last:
            weights[-1] = -weights[-1]
        h = np.asarray(network.deep_chain_forward(x, weights, activation), dtype=np.float64)
        if np.min(np.abs(weights * h[:-1])) >= KINK_MARGIN:
            return Chain(x, weights)


DEPTHS = (1, 5, 12)
CHAINS: dict[str, tuple[str, Chain]] = {}
for _i, _activation in enumerate(ACTIVATIONS):
    for _depth in DEPTHS:
        CHAINS[f"{_activation}-depth={_depth}"] = (_activation, _chain(_activation, _depth, 9000 + 10 * _i + _depth))
CHAINS["relu-depth=6-dead last unit"] = ("relu", _chain("relu", 6, 9100, dead_last=True))

GRADCHECK_CHAINS = {f"{act}-depth={depth}": (act, _chain(act, depth, 9200 + 10 * i + depth))
                    for i, act in enumerate(ACTIVATIONS) for depth in (2, 4)}

BOUND_CHAINS = {f"depth={depth}": _chain("tanh", depth, 9300 + depth) for depth in (1, 5, 12, 20)}
"""vanishing_bound takes any weights; these have both signs."""

DEEP = (10, 15, 20)
SIGMOID_DEEP = {f"depth={depth}": _chain("sigmoid", depth, 9400 + depth, positive=True) for depth in DEEP}
RELU_DEEP = {f"depth={depth}": _chain("relu", depth, 9500 + depth) for depth in DEEP}


def _check_scenarios() -> None:
    """The deep cases must show the lecture's claims in the reference itself, by a wide margin."""
    for chains, activation, vanishes in ((SIGMOID_DEEP, "sigmoid", True), (RELU_DEEP, "relu", False)):
        for chain in chains.values():
            g = np.abs(network.deep_chain_gradients(chain.x, chain.weights, activation))
            ratio = g[0] / g[-1]
            if vanishes != (ratio <= 10.0 ** -(ORDERS_OF_MAGNITUDE + 1)) or \
                    (not vanishes and ratio < 10.0 ** -(ORDERS_OF_MAGNITUDE - 1)):
                raise RuntimeError(f"scenario {activation} depth {chain.depth} does not show the claim "
                                   f"(|g[0]|/|g[-1]| = {ratio:.3g})")


_check_scenarios()


def _float_list(got: object, length: int, call: str) -> np.ndarray:
    """A list (or tuple) of ``length`` floats as a float64 vector; anything else fails."""
    __tracebackhide__ = True
    if not isinstance(got, (list, tuple)):
        fail(f"{call}: got {a_type(got)}, should be a list [h_0, h_1, ..., h_n]")
    if len(got) != length:
        fail(f"{call}: got a list of {len(got)} values, should be {length} (h_0 = x, then one per layer)")
    values = [as_float_array(v, call=f"{call}[{i}]") for i, v in enumerate(got)]
    for i, value in enumerate(values):
        if value.shape != ():
            fail(f"{call}[{i}]: got shape {value.shape}, should be a single float")
    return np.array(values, dtype=np.float64)


def _gradients(got: object, depth: int, call: str) -> np.ndarray:
    __tracebackhide__ = True
    return assert_float_array_like(got, call=call, shape=(depth,),
                                   hint="one gradient per weight: a float64 array of shape (n,)")


# --------------------------------------------------------------------------
# activate / activate_derivative


_rng = np.random.default_rng(8080)
VALUE_POINTS = np.concatenate([[1e-9, -1e-9, 30.0, -30.0, 1000.0, -1000.0], _rng.uniform(-6, 6, size=20)])
STABILITY_POINTS = np.array([[-1000.0, -30.0, -1e-9, 0.0], [1e-9, 30.0, 700.0, 1000.0]])


@pytest.mark.skill("activations")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activate(student, activation):
    assert_close(student.activate(VALUE_POINTS.copy(), activation), derive(get_activation(activation), VALUE_POINTS),
                 call=f"activate(z=[edge and random points], {activation!r})")


@pytest.mark.skill("activations")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activate_derivative(student, activation):
    assert_close(student.activate_derivative(VALUE_POINTS.copy(), activation),
                 derive(get_activation(activation).grad, VALUE_POINTS),
                 call=f"activate_derivative(z=[edge and random points], {activation!r})",
                 hint="sigmoid' = sigmoid (1 - sigmoid) <= 1/4")


@pytest.mark.skill("activations", weight=0.5)
@pytest.mark.parametrize("activation", KINKED)
def test_activate_derivative_at_kink(student, activation):
    assert_close(student.activate_derivative(np.float64(0.0), activation),
                 derive(get_activation(activation).grad, 0.0),
                 call=f"activate_derivative(z=0, {activation!r})",
                 hint="the z <= 0 branch owns the kink: relu'(0) = 0, leaky_relu'(0) = 0.01, elu'(0) = 1")


@pytest.mark.skill("activations")
@pytest.mark.contract
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activate_stable(strict_student, activation):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values = strict_student.activate(STABILITY_POINTS.copy(), activation)
        slopes = strict_student.activate_derivative(STABILITY_POINTS.copy(), activation)
    assert_float_array_like(values, call=f"activate(z of shape (2, 4), {activation!r})", shape=(2, 4))
    assert_float_array_like(slopes, call=f"activate_derivative(z of shape (2, 4), {activation!r})",
                            shape=(2, 4), hint="clip the argument of exp, or use exp(-|z|)")


# --------------------------------------------------------------------------
# deep_chain_forward / deep_chain_gradients against the reference


@pytest.mark.skill("deep_chain_forward")
@pytest.mark.parametrize("case", CHAINS)
def test_deep_chain_forward(student, case):
    activation, chain = CHAINS[case]
    call = f"deep_chain_forward(x={chain.x:.4g}, weights=[{chain.depth} weights], {activation!r})"
    got = _float_list(student.deep_chain_forward(chain.x, chain.weights.copy(), activation),
                      chain.depth + 1, call)
    assert_close(got, derive(network.deep_chain_forward, chain.x, chain.weights, activation), call=call,
                 hint="h_0 = x, h_k = f(w_k h_(k-1))")


@pytest.mark.skill("deep_chain_gradients")
@pytest.mark.parametrize("case", CHAINS)
def test_deep_chain_gradients(student, case):
    activation, chain = CHAINS[case]
    call = f"deep_chain_gradients(x={chain.x:.4g}, weights=[{chain.depth} weights], {activation!r})"
    got = _gradients(student.deep_chain_gradients(chain.x, chain.weights.copy(), activation), chain.depth, call)
    assert_close(got, derive(network.deep_chain_gradients, chain.x, chain.weights, activation), call=call,
                 tol=TINY, hint="g[k] = f'(z_(k+1)) h_k times w_j f'(z_j) for every later layer j; "
                                "g[0] is the FIRST layer")


@pytest.mark.skill("deep_chain_gradients")
@pytest.mark.contract  # against the student's own forward: a constant forward agrees with zeros
@pytest.mark.parametrize("case", GRADCHECK_CHAINS)
def test_deep_chain_gradcheck(student, case):
    activation, chain = GRADCHECK_CHAINS[case]
    names = [f"w{k}" for k in range(1, chain.depth + 1)]
    call = f"deep_chain_gradients(x={chain.x:.4g}, weights=[{chain.depth} weights], {activation!r})"

    def own_output(weights: dict[str, float]) -> float:
        values = student.deep_chain_forward(chain.x, np.array([weights[n] for n in names]), activation)
        return float(_float_list(values, chain.depth + 1, "deep_chain_forward")[-1])

    numeric = partial_derivatives(own_output, dict(zip(names, chain.weights.tolist())))
    got = _gradients(student.deep_chain_gradients(chain.x, chain.weights.copy(), activation), chain.depth, call)
    report = compare_gradients(got, np.array([numeric[n] for n in names]), labels=names)
    assert_gradcheck(report, call=f"{call} vs central differences of your deep_chain_forward",
                     hint="your gradients must be the derivatives of your own h_n")


@pytest.mark.skill("deep_chain_forward")
@pytest.mark.contract
def test_deep_chain_int_input(student):
    x, weights = 2, [1, -1, 2]
    call = "deep_chain_forward(x=2, weights=[1, -1, 2], 'tanh')"
    got = student.deep_chain_forward(x, weights, "tanh")
    values = _float_list(got, len(weights) + 1, call)
    for i, value in enumerate(got):
        if not (isinstance(value, float) or (type(value) is np.ndarray and value.dtype == np.float64)):
            fail(f"{call}[{i}]: got {a_type(value)}, should be a float")
    assert_close(values, derive(network.deep_chain_forward, x, weights, "tanh"), call=call)


@pytest.mark.skill("deep_chain_gradients")
@pytest.mark.contract
def test_deep_chain_does_not_modify_weights(student):
    """Read-only weights (sent read-only into the sandbox): an in-place write raises."""
    activation, chain = CHAINS["elu-depth=5"]
    sent = chain.weights.copy()
    sent.setflags(write=False)
    call = f"deep_chain_gradients(x={chain.x:.4g}, weights=[5 read-only weights], 'elu')"
    frozen = student.with_options(readonly_inputs=True)
    got = _gradients(frozen.deep_chain_gradients(chain.x, sent, activation), chain.depth, call)
    assert_close(got, derive(network.deep_chain_gradients, chain.x, chain.weights, activation),
                 call=call, tol=TINY)
    if not np.array_equal(sent, chain.weights):
        fail(f"{call}: modified the weights it was given")


LARGE_WEIGHTS = np.array([1000.0, -1000.0, 1000.0, -1000.0])


@pytest.mark.skill("deep_chain_gradients")
@pytest.mark.contract
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_deep_chain_stable(strict_student, activation):
    """Pre-activations of size 1000: finite values and gradients, no overflow/invalid/divide."""
    call = f"deep_chain_gradients(x=1, weights=[1000, -1000, 1000, -1000], {activation!r})"
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values = strict_student.deep_chain_forward(1.0, LARGE_WEIGHTS.copy(), activation)
        grads = strict_student.deep_chain_gradients(1.0, LARGE_WEIGHTS.copy(), activation)
    values = _float_list(values, 5, call.replace("gradients", "forward"))
    if not np.all(np.isfinite(values)):
        fail(f"{call.replace('gradients', 'forward')}: got non-finite values {values}")
    _gradients(grads, 4, call)


# --------------------------------------------------------------------------
# The vanishing gradient: the bound, and what depth does to sigmoid and ReLU


@pytest.mark.skill("vanishing_bound")
@pytest.mark.parametrize("case", BOUND_CHAINS)
def test_vanishing_bound(student, case):
    chain = BOUND_CHAINS[case]
    call = f"vanishing_bound(x={chain.x:.4g}, weights=[{chain.depth} weights])"
    assert_close(student.vanishing_bound(chain.x, chain.weights.copy()),
                 derive(network.vanishing_bound, chain.x, chain.weights), call=call, tol=TINY,
                 hint="|x| (1/4)^n times |w_k| for k >= 2 only (w_1 is the weight we differentiate by)")


@pytest.mark.skill("deep_chain_gradients")
@pytest.mark.contract
@pytest.mark.parametrize("case", SIGMOID_DEEP)
def test_sigmoid_gradient_vanishes(student, case):
    chain = SIGMOID_DEEP[case]
    call = f"deep_chain_gradients(x={chain.x:.4g}, weights=[{chain.depth} positive weights], 'sigmoid')"
    g = np.abs(_gradients(student.deep_chain_gradients(chain.x, chain.weights.copy(), "sigmoid"),
                          chain.depth, call))
    bound = derive(network.vanishing_bound, chain.x, chain.weights)
    if not g[0] <= bound.value:
        fail(f"{call}: |g[0]| = {g[0]:.4g} exceeds the bound |x| (1/4)^n prod|w_k| = {float(bound.value):.4g}"
              "\nHint: every sigmoid layer contributes a factor sigma'(z) <= 1/4")
    if not g[0] <= 10.0 ** -ORDERS_OF_MAGNITUDE * g[-1]:
        fail(f"{call}: |g[0]| = {g[0]:.4g} should be at least {ORDERS_OF_MAGNITUDE} orders of magnitude "
              f"below |g[-1]| = {g[-1]:.4g} at depth {chain.depth}"
              "\nHint: g[0] is the gradient of the FIRST layer's weight")


@pytest.mark.skill("deep_chain_gradients")
@pytest.mark.contract
@pytest.mark.parametrize("case", RELU_DEEP)
def test_relu_gradient_does_not_vanish(student, case):
    chain = RELU_DEEP[case]
    call = f"deep_chain_gradients(x={chain.x:.4g}, weights=[{chain.depth} positive weights], 'relu')"
    g = np.abs(_gradients(student.deep_chain_gradients(chain.x, chain.weights.copy(), "relu"),
                          chain.depth, call))
    if not (g[-1] > 0 and g[0] >= 10.0 ** -ORDERS_OF_MAGNITUDE * g[-1]):
        fail(f"{call}: |g[0]| = {g[0]:.4g} vs |g[-1]| = {g[-1]:.4g}; with positive weights every "
              "relu'(z) is 1, so the first layer's gradient should not vanish"
              "\nHint: relu'(z) = 1 for z > 0")


# --------------------------------------------------------------------------
# Which activation where


@pytest.mark.skill("choose_activation")
@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("task", TASKS)
def test_choose_activation(student, task, layer):
    assert_equal_value(student.choose_activation(task, layer), derive(recommended_activation, task, layer),
                       call=f"choose_activation({task!r}, {layer!r})",
                       hint="hidden layers: relu; output: sigmoid (binary), softmax (multiclass), "
                            "linear (regression)")
