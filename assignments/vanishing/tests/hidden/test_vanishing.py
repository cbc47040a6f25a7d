"""Hidden suite of the vanishing assignment.

Every expected value is ``derive(<reference function>, ...)`` at seeded inputs:
``reference.network`` (the deep chain h_k = f(w_k h_{k-1}) as a SymPy graph),
``reference.activations`` and ``reference.guidance``.

Chains are drawn from fixed seeds and kept only if every pre-activation
z_k = w_k h_{k-1} is at least KINK_MARGIN away from 0, so the relu-family
derivatives are unambiguous and central differences never straddle a kink.
ReLU chains use a positive input and positive weights (a negative z would make
every later z exactly 0); one extra ReLU case turns the last weight negative
(a dead output unit: every gradient is exactly 0, so that case weighs 0.25).
Tiny gradients (deep sigmoid chains reach 1e-13) are compared with the purely
relative ``TINY`` tolerance, so returning 0 never passes for them.

Each case carries its manifest skill (``@pytest.mark.skill``); the credit model
(``autograder/grading/credit.py``) prices it.

VALUE checks:

* ``activations``: ``activate[<act>]`` and ``activate_derivative[<act>]``
  (edge points and 24 seeded points in one array), and
  ``activate_derivative_at_kink[<act>]`` (weight 0.5) at z = -1, 0, 1 in one
  array, so zeros cannot pass relu'(0) = 0.
* ``deep_chain_forward[<chain>]``: the list [h_0, ..., h_n] against the
  reference; or (one mistake costs once) the chain of the student's OWN
  ``activate`` while that is wrong here and not degenerate (credited to
  ``activations``).
* ``deep_chain_gradients[<chain>]`` (the chains above and depths 2 and 4):
  against the reference; or by consistency, credited only if the named
  upstream skill is wrong in its own checks:
  - central differences of the student's own deep_chain_forward's h_n in each
    weight, while that forward is wrong here, its h_n finite and changing with
    the weights (upstream ``deep_chain_forward``);
  - the notebook's backward sweep with the student's own h (deep_chain_forward,
    as it comes: a list that leaves out h_0 is what their gradients read too)
    and slopes (activate_derivative), while one of them is wrong here
    (upstream ``activations``, else ``deep_chain_forward``) and not degenerate
    (constant, a straight line, not a function of its input alone, not
    finite, gradients all zero).
  A wrong sigmoid derivative is thus charged to ``activations`` alone.
* ``vanishing_bound[depth=...]``: against the reference (weights of both signs).
* ``vanishing_property[depth=10|15|20]``: one case per depth for BOTH claims,
  so a constant cannot collect either: the student's gradients for a deep
  sigmoid chain (positive weights) obey |g[0]| <= the bound (derived by the
  reference) and lie at least ``ORDERS_OF_MAGNITUDE`` orders below |g[-1]|,
  and for a deep ReLU chain (positive weights) they do not. The gradients must
  be right (as in ``deep_chain_gradients``, consistency with a wrong upstream
  included); where the student's deep_chain_gradients is itself wrong (yet
  computed from the chain: finite, not all zero, of the chain's shape, the
  same on a second call, and moving when the chain's first or last weight
  moves by half as much again), the claims are judged on the reference
  chain's gradients instead, credited to ``deep_chain_gradients``: one
  mistake costs once (reversed gradients, z for h, a forgotten slope cost
  deep_chain_gradients alone). A stub, a crash, zeros or numbers made up
  from x and the depth (they do not move with the weights) earn nothing
  here. Zeros "vanish", which is why the property is never checked on the
  student's values alone.
  The module checks at import that the reference shows both claims by a wide margin.
* ``choose_activation[<task>]``: the hidden AND the output layer of a task in
  one case, so a constant "relu" passes none.

CONTRACT checks (``@pytest.mark.contract``, 20 % of their skill, earning only
as far as its value checks pass): stability under np.errstate(raise) for
pre-activations up to 1000, int input (float results equal to the student's
own results for the same numbers as floats; weights given as a list),
read-only inputs (an in-place write raises in the sandbox), result types, and
``choose_activation_rejects_unknown`` (a ValueError for an unknown task or layer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from autograder.gradcheck import compare_gradients, partial_derivatives
from autograder.suite import (
    as_float_array,
    assert_close,
    assert_equal_value,
    assert_float_array_like,
    assert_raises_value_error,
    derive,
    fail,
)
from autograder.suite.consistency import (
    credit_consistency,
    depends_on,
    elementwise_reason,
    reference_or_consistent,
)
from autograder.suite.network_upstreams import DEEP_CHAIN_FORWARD_UPSTREAMS, DEEP_CHAIN_GRADIENTS_UPSTREAMS
from autograder.suite.shared_tests import (
    ACTIVATIONS_BY_NAME,
    INT_POINTS,
    VALUE_POINTS,
    activate_kink_test,
    activate_rejects_unknown_test,
    activate_stable_test,
    activate_values_test,
    int_input_test,
    readonly_input_test,
    stable_test,
)
from autograder.suite.substitution import judged_again_with
from autograder.tolerances import KINK_MARGIN, TINY, VALUES
from autograder.wording import a_type
from reference import network
from reference.activations import get_activation
from reference.guidance import LAYERS, TASKS, recommended_activation

ACTIVATIONS = ACTIVATIONS_BY_NAME
ORDERS_OF_MAGNITUDE = 3
"""What "orders of magnitude below" means here: |g[0]| <= 10**-3 |g[-1]|."""
MOVED_WEIGHT = 1.5
"""The factor on the first or the last weight of a moved chain, which wrong gradients must follow
to be the chain's (see ``_own_claim``)."""
MOVE_SHARE = 0.25
"""Wrong gradients must move with a weight by at least this share of the chain's own largest move
(in orders of magnitude). On the held-out wrong sweeps the better of the two moves is 0.66 to 1.7
times the chain's; numbers made up from x, the depth and a sum of the weights move 0 to 0.1."""

GRADIENT_HINT = "g[k] = f'(z_(k+1)) h_k times w_j f'(z_j) for every later layer j; g[0] is the FIRST layer"


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
DEAD = "relu-depth=6-dead last unit"
CHAINS: dict[str, tuple[str, Chain]] = {}
for _i, _activation in enumerate(ACTIVATIONS):
    for _depth in DEPTHS:
        CHAINS[f"{_activation}-depth={_depth}"] = (_activation, _chain(_activation, _depth, 9000 + 10 * _i + _depth))
CHAINS[DEAD] = ("relu", _chain("relu", 6, 9100, dead_last=True))

SHORT_CHAINS = {f"{act}-depth={depth}": (act, _chain(act, depth, 9200 + 10 * i + depth))
                for i, act in enumerate(ACTIVATIONS) for depth in (2, 4)}
"""More gradient cases, at depths 2 and 4."""
GRADIENT_CHAINS = {**CHAINS, **SHORT_CHAINS}

BOUND_CHAINS = {f"depth={depth}": _chain("tanh", depth, 9300 + depth) for depth in (1, 5, 12, 20)}
"""vanishing_bound takes any weights; these have both signs."""

DEEP = (10, 15, 20)
SIGMOID_DEEP = {depth: _chain("sigmoid", depth, 9400 + depth, positive=True) for depth in DEEP}
RELU_DEEP = {depth: _chain("relu", depth, 9500 + depth) for depth in DEEP}


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
    """The contract's view: a float64 ndarray of shape (n,), finite."""
    __tracebackhide__ = True
    return assert_float_array_like(got, call=call, shape=(depth,), hint=_GRADIENTS_HINT)


def _gradient_values(got: object, depth: int, call: str) -> np.ndarray:
    """The values' view: n numbers, in whatever container (the type is the contract's business)."""
    __tracebackhide__ = True
    values = as_float_array(got, call=call, hint=_GRADIENTS_HINT)
    if values.shape != (depth,):
        fail(call, f"got shape {values.shape}, should be ({depth},)", _GRADIENTS_HINT)
    return values


_GRADIENTS_HINT = "one gradient per weight: a float64 array of shape (n,)"


def _close(got: Any, want: Any, tol: Any = VALUES) -> bool:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return got.shape == want.shape and bool(np.all(tol.close(got, want)))


def _describe(name: str, chain: Chain, activation: str | None = None) -> str:
    text = f"{name}(x={chain.x:.4g}, weights=[{chain.depth} weights]"
    return text + (f", {activation!r})" if activation else ")")


# --------------------------------------------------------------------------
# Consistency: the student's own upstream functions, and when they are degenerate
# (elementwise_reason: autograder/suite/consistency.py)


def _own_chain(student: Any, chain: Chain, activation: str) -> np.ndarray:
    """h_0 .. h_n with the student's own activate."""
    h = [float(chain.x)]
    for w in chain.weights:
        h.append(float(as_float_array(student.activate(np.array(w * h[-1]), activation), call="activate")))
    return np.array(h, dtype=np.float64)


def forward_upstream(student: Any, chain: Chain, activation: str, got: Any) -> str:
    """"activations" when ``got`` is the chain of the student's own activate, which is wrong here
    and not degenerate; "" otherwise."""
    try:
        values = _float_list(got, chain.depth + 1, "deep_chain_forward")
        own = _own_chain(student, chain, activation)
        z = chain.weights * own[:-1]
        if _close(as_float_array(student.activate(z.copy(), activation), call=""), get_activation(activation)(z)):
            return ""
        if elementwise_reason(lambda v: student.activate(v, activation)):
            return ""
        return "activations" if _close(values, own) else ""
    except Exception:  # anything the student's activate does wrong here just means: not consistent
        return ""


def _own_forward(student: Any, chain: Chain, activation: str, weights: np.ndarray | None = None) -> np.ndarray:
    """The student's deep_chain_forward as it is: a list of single floats, of whatever length
    (one that leaves out h_0 is still what their own gradients use)."""
    weights = chain.weights if weights is None else weights
    got = student.deep_chain_forward(chain.x, weights.copy(), activation)
    if not isinstance(got, (list, tuple)) or not got:
        fail("deep_chain_forward", f"got a {type(got).__name__}, should be a non-empty list")
    return np.array([float(as_float_array(v, call="deep_chain_forward").reshape(())) for v in got])


def forward_reason(student: Any, chain: Chain, activation: str) -> str:
    """Why the student's deep_chain_forward cannot earn consistency credit ("" when it can):
    h is not finite, or h_n does not change with any weight."""
    h = _own_forward(student, chain, activation)
    if not np.all(np.isfinite(h)):
        return "its values are not finite"
    for k in range(chain.depth):
        def h_n(w: float, k: int = k) -> float:
            weights = chain.weights.copy()
            weights[k] = w
            return float(_own_forward(student, chain, activation, weights)[-1])
        if depends_on(h_n, float(chain.weights[k])):
            return ""
    return "its h_n does not change with the weights"


def _sweep(h: np.ndarray, weights: np.ndarray, slopes: np.ndarray) -> np.ndarray:
    """The notebook's backward sweep: g[k] = delta f'(z_k) h_(k-1), then delta *= f'(z_k) w_k."""
    grads = np.empty(weights.size, dtype=np.float64)
    delta = 1.0
    for k in range(weights.size - 1, -1, -1):
        grads[k] = delta * slopes[k] * h[k]
        delta = delta * slopes[k] * weights[k]
    return grads


def gradients_upstream(student: Any, chain: Chain, activation: str, got: Any) -> str:
    """The upstream skill ``got`` (the student's deep_chain_gradients) is consistent with; "" if none."""
    try:
        analytic = _gradient_values(got, chain.depth, "deep_chain_gradients")
        h = _own_forward(student, chain, activation)
    except Exception:
        return ""
    forward_wrong = not _close(h, network.deep_chain_forward(chain.x, chain.weights, activation))
    try:  # central differences of the student's own h_n
        if forward_wrong and np.all(np.isfinite(h)):
            names = [f"w{k}" for k in range(1, chain.depth + 1)]

            def h_n(weights: dict[str, float]) -> float:
                return float(_own_forward(student, chain, activation, np.array([weights[n] for n in names]))[-1])

            numeric = partial_derivatives(h_n, dict(zip(names, chain.weights.tolist())))
            vector = np.array([numeric[n] for n in names])
            if np.all(np.isfinite(vector)) and np.any(vector != 0.0) and \
                    compare_gradients(analytic, vector, names).passed:
                return "deep_chain_forward"
    except Exception:  # the student's forward failing here just means: not consistent
        pass
    try:  # the backward sweep with the student's own h and slopes (h[k] read for k < n, as the notebook does)
        if forward_wrong and forward_reason(student, chain, activation) or h.size < chain.depth:
            return ""
        z = chain.weights * h[:chain.depth]
        slopes = as_float_array(student.activate_derivative(z.copy(), activation), call="activate_derivative")
        own = _sweep(h, chain.weights, slopes)
        if not np.all(np.isfinite(own)) or not np.any(own != 0.0):
            return ""
        if not _close(slopes, get_activation(activation).grad(z)):
            if elementwise_reason(lambda v: student.activate_derivative(v, activation)):
                return ""
            upstream = "activations"
        elif forward_wrong:
            upstream = "deep_chain_forward"
        else:
            return ""
        return upstream if _close(analytic, own) else ""
    except Exception:
        return ""


def gradients_verdict(student: Any, chain: Chain, activation: str, got: Any) -> tuple[bool, str, str]:
    """(right, upstream, failure): right against the reference (upstream "") or by consistency
    with the named upstream; ``failure`` is the reference comparison's message."""
    try:
        want = derive(network.deep_chain_gradients, chain.x, chain.weights, activation)
        assert_close(got, want,
                     call=_describe("deep_chain_gradients", chain, activation), tol=TINY, hint=GRADIENT_HINT)
        return True, "", ""
    except AssertionError as wrong:
        upstream = gradients_upstream(student, chain, activation, got)
        return bool(upstream), upstream, str(wrong)


# --------------------------------------------------------------------------
# activate / activate_derivative (skill: activations)


# The checks every suite of these two functions shares (autograder/suite/shared_tests.py).
test_activate = activate_values_test("activate")
test_activate_derivative = activate_values_test("activate_derivative")
test_activate_derivative_at_kink = activate_kink_test()
test_activate_stable = activate_stable_test()
test_activate_rejects_unknown = activate_rejects_unknown_test()
test_activate_int_input = int_input_test({
    "activate": ("activate", (INT_POINTS, "relu"), "activations"),
    "activate_derivative": ("activate_derivative", (INT_POINTS, "leaky_relu"), "activations"),
})
test_activate_does_not_modify_input = readonly_input_test({
    "activate": ("activate", (VALUE_POINTS, "elu"), "activations"),
    "activate_derivative": ("activate_derivative", (VALUE_POINTS, "elu"), "activations"),
})


# --------------------------------------------------------------------------
# deep_chain_forward (skill: deep_chain_forward)


@pytest.mark.skill("deep_chain_forward")
@pytest.mark.parametrize("case", CHAINS)
@judged_again_with(*DEEP_CHAIN_FORWARD_UPSTREAMS)
def test_deep_chain_forward(student: Any, case: str, record_property: Any) -> None:
    """[h_0, ..., h_n] against the reference (or the chain of the student's own wrong activate)."""
    activation, chain = CHAINS[case]
    call = _describe("deep_chain_forward", chain, activation)
    got = student.deep_chain_forward(chain.x, chain.weights.copy(), activation)
    reference_or_consistent(
        record_property,
        lambda: assert_close(_float_list(got, chain.depth + 1, call),
                             derive(network.deep_chain_forward, chain.x, chain.weights, activation), call=call,
                             hint="h_0 = x, h_k = f(w_k h_(k-1))"),
        lambda: forward_upstream(student, chain, activation, got))


@pytest.mark.skill("deep_chain_forward")
@pytest.mark.contract
@pytest.mark.rule("accepts-int-input")
@judged_again_with(*DEEP_CHAIN_FORWARD_UPSTREAMS)
def test_deep_chain_forward_int_input(student: Any) -> None:
    """int x and a list of int weights give a list of floats equal to those for the same numbers as floats."""
    x, weights = 2, [1, -1, 2]
    call = "deep_chain_forward(x=2, weights=[1, -1, 2], 'tanh')"
    got = student.deep_chain_forward(x, weights, "tanh")
    values = _float_list(got, len(weights) + 1, call)
    for i, value in enumerate(got):
        if not (isinstance(value, float) or (type(value) is np.ndarray and value.dtype == np.float64)):
            fail(f"{call}[{i}]: got {a_type(value)}, should be a float")
    own = _float_list(student.deep_chain_forward(2.0, np.array(weights, dtype=np.float64), "tanh"),
                      len(weights) + 1, call)
    if not _close(values, own):
        fail(call, f"got {values}, but {own} for the same numbers as floats",
             "convert: weights = np.asarray(weights, dtype=np.float64), x = float(x)")


LARGE_WEIGHTS = np.array([1000.0, -1000.0, 1000.0, -1000.0])


def _deep_chain_forward_stable(strict_student: Any, activation: str) -> None:
    """Pre-activations of size 1000: five finite values, no overflow/invalid/divide."""
    call = f"deep_chain_forward(x=1, weights=[1000, -1000, 1000, -1000], {activation!r})"
    values = strict_student.deep_chain_forward(1.0, LARGE_WEIGHTS.copy(), activation)
    values = _float_list(values, 5, call)
    if not np.all(np.isfinite(values)):
        fail(f"{call}: got non-finite values {values}")


test_deep_chain_forward_stable = judged_again_with(*DEEP_CHAIN_FORWARD_UPSTREAMS)(
    stable_test("deep_chain_forward", _deep_chain_forward_stable))


@pytest.mark.skill("deep_chain_forward")
@pytest.mark.contract
@pytest.mark.rule("no-input-mutation")
@judged_again_with(*DEEP_CHAIN_FORWARD_UPSTREAMS)
def test_deep_chain_forward_does_not_modify_weights(student: Any) -> None:
    """The weights are handed over read-only: writing into them raises in the sandbox."""
    activation, chain = CHAINS["elu-depth=5"]
    readonly = student.with_options(readonly_inputs=True)
    _float_list(readonly.deep_chain_forward(chain.x, chain.weights.copy(), activation), chain.depth + 1,
                _describe("deep_chain_forward", chain, activation) + " with read-only weights")


# --------------------------------------------------------------------------
# deep_chain_gradients (skill: deep_chain_gradients)


@pytest.mark.parametrize("case", [pytest.param(name, marks=pytest.mark.skill("deep_chain_gradients",
                                                                             weight=0.25 if name == DEAD else 1.0))
                                  for name in GRADIENT_CHAINS])
@judged_again_with(*DEEP_CHAIN_GRADIENTS_UPSTREAMS)
def test_deep_chain_gradients(student: Any, case: str, record_property: Any) -> None:
    """g[k] = d h_n / d w_(k+1) against the reference (or consistent with a wrong upstream, see the module doc)."""
    activation, chain = GRADIENT_CHAINS[case]
    got = student.deep_chain_gradients(chain.x, chain.weights.copy(), activation)
    right, upstream, failure = gradients_verdict(student, chain, activation, got)
    if not right:
        raise AssertionError(failure)
    if upstream:
        credit_consistency(record_property, upstream)


@pytest.mark.skill("deep_chain_gradients")
@pytest.mark.contract
@pytest.mark.rule("accepts-int-input")
@judged_again_with(*DEEP_CHAIN_GRADIENTS_UPSTREAMS)
def test_deep_chain_gradients_int_input(student: Any) -> None:
    """int x and a list of int weights give a float64 array equal to that for the same numbers as floats."""
    x, weights = 2, [1, -1, 2]
    call = "deep_chain_gradients(x=2, weights=[1, -1, 2], 'tanh')"
    got = _gradients(student.deep_chain_gradients(x, weights, "tanh"), len(weights), call)
    own = as_float_array(student.deep_chain_gradients(2.0, np.array(weights, dtype=np.float64), "tanh"), call=call)
    if not _close(got, own):
        fail(call, f"got {got}, but {own} for the same numbers as floats",
             "convert: weights = np.asarray(weights, dtype=np.float64), x = float(x)")


def _deep_chain_gradients_stable(strict_student: Any, activation: str) -> None:
    """Pre-activations of size 1000: four finite gradients, no overflow/invalid/divide."""
    call = f"deep_chain_gradients(x=1, weights=[1000, -1000, 1000, -1000], {activation!r})"
    grads = strict_student.deep_chain_gradients(1.0, LARGE_WEIGHTS.copy(), activation)
    _gradients(grads, 4, call)


test_deep_chain_gradients_stable = judged_again_with(*DEEP_CHAIN_GRADIENTS_UPSTREAMS)(
    stable_test("deep_chain_gradients", _deep_chain_gradients_stable))


@pytest.mark.skill("deep_chain_gradients")
@pytest.mark.contract
@pytest.mark.rule("no-input-mutation")
@judged_again_with(*DEEP_CHAIN_GRADIENTS_UPSTREAMS)
def test_deep_chain_gradients_does_not_modify_weights(student: Any) -> None:
    """The weights are handed over read-only: writing into them raises in the sandbox."""
    activation, chain = CHAINS["elu-depth=5"]
    call = _describe("deep_chain_gradients", chain, activation) + " with read-only weights"
    _gradients(student.with_options(readonly_inputs=True).deep_chain_gradients(chain.x, chain.weights.copy(),
                                                                                activation), chain.depth, call)


# --------------------------------------------------------------------------
# The bound (skill: vanishing_bound)


@pytest.mark.skill("vanishing_bound")
@pytest.mark.parametrize("case", BOUND_CHAINS)
def test_vanishing_bound(student: Any, case: str) -> None:
    """|x| (1/4)^n prod_(k>=2) |w_k|, weights of both signs."""
    chain = BOUND_CHAINS[case]
    assert_close(student.vanishing_bound(chain.x, chain.weights.copy()),
                 derive(network.vanishing_bound, chain.x, chain.weights), call=_describe("vanishing_bound", chain),
                 tol=TINY, hint="|x| (1/4)^n times |w_k| for k >= 2 only (w_1 is the weight we differentiate by)")


@pytest.mark.skill("vanishing_bound")
@pytest.mark.contract
@pytest.mark.rule("accepts-int-input", "returns-python-float")
def test_vanishing_bound_int_input(student: Any) -> None:
    """int x and a list of int weights give a Python float equal to that for the same numbers as floats."""
    call = "vanishing_bound(x=-2, weights=[3, -1, 2])"
    got = student.vanishing_bound(-2, [3, -1, 2])
    if not isinstance(got, float):
        fail(call, f"got a {type(got).__name__}, should be a Python float", "return float(...)")
    own = as_float_array(student.vanishing_bound(-2.0, np.array([3.0, -1.0, 2.0])), call=call)
    if not _close(got, own):
        fail(call, f"got {got}, but {float(own)} for the same numbers as floats",
             "convert: weights = np.asarray(weights, dtype=np.float64)")


@pytest.mark.skill("vanishing_bound")
@pytest.mark.contract
@pytest.mark.rule("no-input-mutation")
def test_vanishing_bound_does_not_modify_weights(student: Any) -> None:
    """The weights are handed over read-only: writing into them raises in the sandbox."""
    chain = BOUND_CHAINS["depth=5"]
    as_float_array(student.with_options(readonly_inputs=True).vanishing_bound(chain.x, chain.weights.copy()),
                   call=_describe("vanishing_bound", chain) + " with read-only weights")


# --------------------------------------------------------------------------
# What depth does (skill: vanishing_property)


def _sigmoid_claim(g: np.ndarray, chain: Chain, call: str) -> str:
    """Why ``g`` does not show the sigmoid's vanishing ("" when it does)."""
    g = np.abs(g)
    bound = derive(network.vanishing_bound, chain.x, chain.weights)
    if not g[0] <= bound.value:
        return (f"{call}: |g[0]| = {g[0]:.4g} exceeds the bound |x| (1/4)^n prod|w_k| = {float(bound.value):.4g}"
                "\nHint: every sigmoid layer contributes a factor sigma'(z) <= 1/4")
    if not g[0] <= 10.0 ** -ORDERS_OF_MAGNITUDE * g[-1]:
        return (f"{call}: |g[0]| = {g[0]:.4g} should be at least {ORDERS_OF_MAGNITUDE} orders of magnitude "
                f"below |g[-1]| = {g[-1]:.4g} at depth {chain.depth}\n"
                "Hint: g[0] is the gradient of the FIRST layer's weight")
    return ""


def _relu_claim(g: np.ndarray, chain: Chain, call: str) -> str:
    """Why ``g`` shows a vanishing it should not ("" when it does not vanish)."""
    g = np.abs(g)
    if not (g[-1] > 0 and g[0] >= 10.0 ** -ORDERS_OF_MAGNITUDE * g[-1]):
        return (f"{call}: |g[0]| = {g[0]:.4g} vs |g[-1]| = {g[-1]:.4g}; with positive weights every "
                "relu'(z) is 1, so the first layer's gradient should not vanish\nHint: relu'(z) = 1 for z > 0")
    return ""


def _largest_move(before: np.ndarray, after: np.ndarray) -> float:
    """The largest change in size, in orders of magnitude, of any one gradient."""
    with np.errstate(divide="ignore", invalid="ignore"):
        move = np.abs(np.log10(np.abs(after)) - np.log10(np.abs(before)))
    return float(np.max(np.nan_to_num(move, nan=0.0, posinf=0.0)))


def _moved(chain: Chain, layer: int) -> Chain:
    """The chain with one weight half as large again (``MOVED_WEIGHT``)."""
    weights = chain.weights.copy()
    weights[layer] *= MOVED_WEIGHT
    return Chain(chain.x, weights)


def _moves_with_the_chain(student: Any, g: np.ndarray, reference: np.ndarray, chain: Chain, activation: str,
                         call: str) -> bool:
    """Whether the student's gradients ``g`` move when the first or the last weight moves, by at least
    ``MOVE_SHARE`` of the ``reference`` gradients' own largest move (the first weight's move fades down
    a sigmoid chain; the last one's does not reach a ReLU sweep that leaves the weights out of the delta)."""
    for layer in (0, chain.depth - 1):
        moved = _moved(chain, layer)
        moved_reference = np.asarray(derive(network.deep_chain_gradients, moved.x, moved.weights, activation).value)
        moved_g = _gradient_values(student.deep_chain_gradients(moved.x, moved.weights.copy(), activation),
                                   chain.depth, call)
        if _largest_move(g, moved_g) >= MOVE_SHARE * _largest_move(reference, moved_reference):
            return True
    return False


def _own_claim(student: Any, got: Any, chain: Chain, activation: str,
               claim: Callable[[np.ndarray, Chain, str], str], call: str) -> str:
    """Why the claim cannot be credited where the student's gradients are wrong ("" when it can).

    Wrong gradients are charged to deep_chain_gradients; the claim is then judged on the reference
    chain's gradients, so the same mistake is not charged here too, as long as the student's are
    computed from the chain: implemented (finite, not all zero, of the chain's shape), the same on
    a second call, and moving when the chain's first or last weight moves
    (``_moves_with_the_chain``). Numbers made up from x and the depth do not move; noise differs
    from call to call; zeros do not move either. (One value for every layer is not degenerate
    here: with z in place of h, every ReLU layer's gradient is h_n, and that moves.)"""
    try:
        g = _gradient_values(got, chain.depth, call)
    except AssertionError as wrong:
        return str(wrong)
    if not np.all(np.isfinite(g)) or not np.any(np.abs(g) > 0):
        return f"{call}: your gradients are not finite, or all zero"
    again = _gradient_values(student.deep_chain_gradients(chain.x, chain.weights.copy(), activation),
                             chain.depth, call)
    if not _close(again, g):
        return f"{call}: your gradients differ from call to call on the same chain\nHint: {GRADIENT_HINT}"
    reference = np.asarray(derive(network.deep_chain_gradients, chain.x, chain.weights, activation).value)
    if not _moves_with_the_chain(student, g, reference, chain, activation, call):
        return (f"{call}: your gradients barely change when the first or the last weight does (times "
                f"{MOVED_WEIGHT:g}), so they are not this chain's\nHint: {GRADIENT_HINT}")
    return claim(reference, chain, call)


@pytest.mark.skill("vanishing_property")
@pytest.mark.parametrize("depth", DEEP, ids=lambda depth: f"depth={depth}")
@judged_again_with(*DEEP_CHAIN_GRADIENTS_UPSTREAMS)
def test_vanishing_property(student: Any, depth: int, record_property: Any) -> None:
    """At this depth, the sigmoid chain's gradients vanish and the ReLU chain's do not (see the module doc)."""
    upstreams = []
    for activation, chain, claim in (("sigmoid", SIGMOID_DEEP[depth], _sigmoid_claim),
                                     ("relu", RELU_DEEP[depth], _relu_claim)):
        call = _describe("deep_chain_gradients", chain, activation).replace("weights]", "positive weights]")
        got = student.deep_chain_gradients(chain.x, chain.weights.copy(), activation)
        right, upstream, failure = gradients_verdict(student, chain, activation, got)
        if right:
            upstreams.append(upstream)
            continue
        reason = _own_claim(student, got, chain, activation, claim, call)
        if reason:
            raise AssertionError(reason + ("" if "Hint:" in reason else "\n" + failure.split("\n")[0]))
        upstreams.append("deep_chain_gradients")
    named = [u for u in upstreams if u]
    if named:
        credit_consistency(record_property, "deep_chain_gradients" if "deep_chain_gradients" in named else named[0])


# --------------------------------------------------------------------------
# Which activation where (skill: choose_activation)


@pytest.mark.skill("choose_activation")
@pytest.mark.parametrize("task", TASKS)
def test_choose_activation(student: Any, task: str) -> None:
    """The hidden and the output layer of a task, in one case."""
    for layer in LAYERS:
        assert_equal_value(student.choose_activation(task, layer), derive(recommended_activation, task, layer),
                           call=f"choose_activation({task!r}, {layer!r})",
                           hint="hidden layers: relu; output: sigmoid (binary), softmax (multiclass), "
                                "linear (regression)")


@pytest.mark.skill("choose_activation")
@pytest.mark.contract
@pytest.mark.rule("raises-on-unknown-name")
@pytest.mark.parametrize(("task", "layer"), [("ranking", "output"), ("binary", "input")],
                         ids=["unknown task", "unknown layer"])
def test_choose_activation_rejects_unknown(student: Any, task: str, layer: str) -> None:
    """An unknown task or layer is a ValueError."""
    assert_raises_value_error(lambda: student.choose_activation(task, layer),
                              call=f"choose_activation({task!r}, {layer!r})",
                              hint="raise ValueError for anything but the known names")
