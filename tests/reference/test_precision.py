"""Every float64 evaluator of the reference agrees with its defining SymPy expression.

The defining expression (``Activation.expr`` and its ``sympy.diff``, the
per-sample losses, the symbolic softmax and its Jacobian) is evaluated exactly
by mpmath at the very float64 inputs the evaluator gets, and compared with the
evaluator under ``autograder.tolerances.REFERENCE`` and ``REFERENCE_UNDERFLOW``:

    |got - exact| <= 1e-13 |exact|   where |exact| >= 1e-300,
    |got - exact| <= 1e-300          where |exact| <  1e-300,

so the comparison is relative wherever the exact value is a float64 above
1e-300, and absolute only in the tails where it underflows (exp(-1000) ~
1e-435): there the evaluators return ~1e-304 or 0 instead, by design (exp's
argument is clamped at -700 so that nothing is ever subnormal, see
``reference.numeric``).

"Exactly" means 50 correct digits, not merely 50 working digits: a defining
expression such as tanh' = 1 - tanh(x)^2 cancels catastrophically at 50 digits
too (at x = 100 the exact value is 5.5e-87, and 1 - tanh^2 is 0 at 50 digits).
Each value is therefore computed at 50 and at 60 digits, and the precision is
raised (by what the disagreement shows was lost, or doubled) until the two
agree to 30 digits; an exact 0 is believed only at a precision that resolves
the whole float64 range (see ``_settled``).

Inputs: (a) a dense grid over [-1000, 1000] (geometric points +-1e-12..1e3,
every integer, and the thresholds where the naive formulas used to break), and
(b) every input the hidden suites hand to these evaluators, imported from the
suites themselves (edge, large, seeded random and int points, the pre-activations
of their seeded networks and chains, their logits and MSE cases).

One limit of float64 itself: silu' and gelu' each have a root (x = -1.2785 and
x = -0.7518) where the value is the difference of terms of size ~0.25, each
correctly rounded. The absolute error stays near 3e-17 there, so the relative
error grows like 3e-17 / |f'(x)| and passes 1e-13 within ~1e-3 of the root.
Those two neighbourhoods (``ROOT_RADIUS``) are checked by absolute error
instead (``test_derivative_near_its_root``); the rest of the line is relative.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import mpmath
import numpy as np
import pytest
import sympy as sp

from assignments.activations.tests.hidden import test_activations_elementwise as elementwise
from assignments.activations.tests.hidden import test_activations_softmax as softmax_suite
from assignments.backprop.tests.hidden import test_building_blocks as building_blocks
from assignments.backprop.tests.hidden import test_network as network_suite
from assignments.vanishing.tests.hidden import test_vanishing as vanishing
from autograder.suite import shared_tests
from autograder.tolerances import REFERENCE, REFERENCE_UNDERFLOW
from reference import losses, network
from reference.activations import ACTIVATIONS, Activation
from reference.softmax import jacobian, softmax, symbolic_jacobian, symbolic_softmax, symbols

FloatArray = np.ndarray
DIGITS = 50
"""Correct digits of every exact value."""
GUARD = 10
"""A value is computed at two precisions this many digits apart; where they agree to
``AGREEMENT`` no digit was lost to cancellation beyond what the precision covers."""
AGREEMENT = mpmath.mpf(10) ** -30
FLOAT64_RANGE_DIGITS = 400
"""From this precision on a result below 1e-320 is believed: every defining expression
combines terms of size at most ~1e3, so cancellation at 400 digits leaves an error
below 1e-390, and a true value above 1e-300 would show."""
MAX_DIGITS = 1600

# --------------------------------------------------------------------------
# Exact evaluation


def _settled(low: mpmath.mpf, high: mpmath.mpf, digits: int) -> bool:
    if high != 0 and abs(high - low) <= AGREEMENT * abs(high):
        return True
    # Exact 0 at two precisions may still be a cancellation (tanh(200) rounds to 1
    # at 100 digits, so 1 - tanh^2 is 0): believe a tiny value only at a precision
    # that resolves the whole float64 range.
    tiny = mpmath.mpf(10) ** -320
    return digits >= FLOAT64_RANGE_DIGITS and abs(high) < tiny and abs(low) < tiny


def _next_digits(low: mpmath.mpf, high: mpmath.mpf, digits: int) -> int:
    """Enough digits for what cancellation cost at ``digits``, or twice as many if unknown."""
    if high == 0 and low == 0:  # total cancellation (or a true 0): only the full range tells
        return max(2 * digits, FLOAT64_RANGE_DIGITS)
    if high == 0 or low == high:
        return 2 * digits
    correct = int(-mpmath.log10(abs(high - low) / abs(high)))
    if correct <= 0:
        return 2 * digits
    return max(digits + GUARD, digits - correct + DIGITS + GUARD)


@functools.cache
def _mpmath_function(expr: sp.Expr, arguments: tuple[sp.Symbol, ...]) -> Callable[..., Any]:
    return sp.lambdify(arguments, expr, modules="mpmath")


def exact_mpf(expr: sp.Expr, arguments: Sequence[sp.Symbol], values: Sequence[float]) -> mpmath.mpf:
    """``expr`` at the float64 ``values``, to 50 correct digits."""
    fn = _mpmath_function(expr, tuple(arguments))
    exact_args = [mpmath.mpf(float(v)) for v in values]
    digits = DIGITS
    while digits <= MAX_DIGITS:
        with mpmath.workdps(digits):
            low = fn(*exact_args)
        with mpmath.workdps(digits + GUARD):
            high = fn(*exact_args)
            if _settled(low, high, digits):
                return high
        digits = _next_digits(low, high, digits)
    raise AssertionError(f"{expr} at {values} did not settle below {MAX_DIGITS} digits")


def exact_value(expr: sp.Expr, arguments: Sequence[sp.Symbol], values: Sequence[float]) -> float:
    """``exact_mpf`` rounded to float64."""
    return float(exact_mpf(expr, arguments, values))


def exact_values(expr: sp.Expr, arguments: Sequence[sp.Symbol], *columns: Any) -> FloatArray:
    """``exact_value`` elementwise over broadcast input arrays."""
    arrays = np.broadcast_arrays(*(np.asarray(c, dtype=np.float64) for c in columns))
    flat = [a.ravel() for a in arrays]
    out = [exact_value(expr, arguments, row) for row in zip(*flat)]
    return np.array(out, dtype=np.float64).reshape(arrays[0].shape)


def agrees(got: FloatArray, want: FloatArray) -> np.ndarray:
    """The module docstring's rule, elementwise: relative, or absolute where ``want`` underflows."""
    with np.errstate(invalid="ignore"):
        underflows = np.abs(want) < REFERENCE_UNDERFLOW
        tail_ok = np.abs(got - want) <= REFERENCE_UNDERFLOW
    return np.where(underflows, tail_ok, REFERENCE.close(got, want))


def assert_agrees(got: Any, want: Any, what: str, at: Any = None) -> None:
    """``got`` within ``REFERENCE`` of ``want``; the message names the worst elements.

    ``at`` (broadcastable to ``want``) labels each element with its input.
    """
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    ok = agrees(got, want)
    if ok.all():
        return
    with np.errstate(all="ignore"):
        relative = (np.abs(got - want) / np.abs(want)).ravel()
    labels = np.broadcast_to(np.asarray(at if at is not None else "", dtype=object), want.shape).ravel()
    bad = np.flatnonzero(~ok.ravel())
    worst = bad[np.argsort(-np.nan_to_num(relative[bad], nan=np.inf))][:5]
    lines = [f"  at {labels[i]!r}: got {got.ravel()[i]!r}, exact {want.ravel()[i]!r}, "
             f"relative error {relative[i]:.3g}" for i in worst]
    pytest.fail(f"{what}: {bad.size} of {want.size} values off by more than rtol={REFERENCE.rtol:g} "
                f"(atol={REFERENCE_UNDERFLOW:g} below it)\n"
                + "\n".join(lines), pytrace=False)


# --------------------------------------------------------------------------
# Inputs: the dense grid and the hidden suites' points


_GEOMETRIC = np.geomspace(1e-12, 1e3, 301)
THRESHOLDS = np.array([1e-300, 1e-9, 0.5, 8.8, 13.8, 16.5, 19.06, 26.5, 37.5, 38.5, 700.5, 708.5,
                       709.8, 710.5, 744.5, 745.2])
"""Where a naive formula used to lose digits or flip to 0, or a clamp starts to act."""
GRID = np.unique(np.concatenate([-_GEOMETRIC, _GEOMETRIC, np.arange(-1000.0, 1001.0),
                                 -THRESHOLDS, THRESHOLDS]))


def _chain_pre_activations(chain: vanishing.Chain, activation: str) -> FloatArray:
    h = np.asarray(network.deep_chain_forward(chain.x, chain.weights, activation), dtype=np.float64)
    return chain.weights * h[:-1]


def _network_pre_activations(activation: str) -> list[FloatArray]:
    case = network_suite.CASES[activation]
    points = []
    for x_value in (case.x, np.array([case.x_scalar])):
        points += list(network_suite._pre_activations(case.params, x_value, activation).values())
    return points


def _vanishing_chains() -> Iterable[tuple[str, vanishing.Chain]]:
    yield from vanishing.GRADIENT_CHAINS.values()
    yield from (("tanh", c) for c in vanishing.BOUND_CHAINS.values())
    yield from (("sigmoid", c) for c in vanishing.SIGMOID_DEEP.values())
    yield from (("relu", c) for c in vanishing.RELU_DEEP.values())
    yield from ((act, vanishing.Chain(1.0, vanishing.LARGE_WEIGHTS)) for act in vanishing.ACTIVATIONS)


def hidden_activation_inputs() -> dict[str, FloatArray]:
    """Per activation, every x a hidden suite hands to its evaluators (directly or in a network)."""
    shared = [np.asarray(elementwise.EDGE), elementwise.LARGE, elementwise.RANDOM_X,
              elementwise.INT_ARRAY, [elementwise.INT_SCALAR, 0.0], elementwise.MUTATION_X,
              *elementwise.SHAPED_X.values(), *elementwise.GRADCHECK_X.values(),
              shared_tests.VALUE_POINTS, shared_tests.KINK_POINTS, shared_tests.STABILITY_POINTS,
              shared_tests.INT_POINTS]
    per_activation: dict[str, list[Any]] = {name: list(shared) for name in ACTIVATIONS}
    for activation, chain in _vanishing_chains():
        per_activation[activation].append(_chain_pre_activations(chain, activation))
    for activation in network_suite.ACTIVATIONS:
        per_activation[activation] += _network_pre_activations(activation)
    return {name: np.unique(np.concatenate([np.ravel(np.asarray(p, dtype=np.float64)) for p in points]))
            for name, points in per_activation.items()}


HIDDEN_INPUTS = hidden_activation_inputs()


def parameter_settings(name: str) -> list[dict[str, float]]:
    """The defaults and every non-default setting a hidden suite uses."""
    act = ACTIVATIONS[name]
    settings = [{k: float(v) for k, v in act.defaults.items()}]
    for fn in elementwise.FUNCTIONS.values():
        if fn.activation == name:
            settings += [{**settings[0], **s} for s in fn.settings]
    unique = {tuple(sorted(s.items())): s for s in settings}
    return list(unique.values())


# --------------------------------------------------------------------------
# Activations: values, x-derivatives and parameter derivatives


def _evaluators(act: Activation) -> dict[str, tuple[sp.Expr, Callable[..., FloatArray]]]:
    """Evaluator name -> (defining expression, the public float64 function that evaluates it)."""
    public: dict[str, Callable[..., FloatArray]] = {"f": act.__call__, "df": act.grad}
    public.update({f"d{p}": functools.partial(act.grad_param, p) for p in act.params})
    return {which: (act.defining_forms[which], public[which]) for which in act.defining_forms}


ACTIVATION_CASES = [
    pytest.param(name, which, params,
                 id="-".join([name, which, *(f"{k}={v:g}" for k, v in params.items())]))
    for name, act in ACTIVATIONS.items()
    for which in _evaluators(act)
    for params in parameter_settings(name)
]


DERIVATIVE_ROOTS = {"silu": -1.2784645427610737, "gelu": -0.7517915246935645}
"""The float64 nearest the one root of silu' and of gelu' (mpmath's findroot at 40 digits)."""
ROOT_RADIUS = 1e-2


def _away_from_root(name: str, which: str, points: FloatArray) -> FloatArray:
    if which != "df" or name not in DERIVATIVE_ROOTS:
        return points
    return points[np.abs(points - DERIVATIVE_ROOTS[name]) >= ROOT_RADIUS]


@pytest.mark.parametrize(("name", "which", "params"), ACTIVATION_CASES)
def test_activation_evaluator_is_exact(name: str, which: str, params: dict[str, float]) -> None:
    act = ACTIVATIONS[name]
    expr, evaluate = _evaluators(act)[which]
    points = _away_from_root(name, which, np.unique(np.concatenate([GRID, HIDDEN_INPUTS[name]])))
    param_values = [params[k] for k in act.params]
    want = exact_values(expr, act.symbols, points, *param_values)
    assert_agrees(evaluate(points, **params), want, f"{name} {which} {params}", at=points)


@pytest.mark.parametrize("name", DERIVATIVE_ROOTS)
def test_derivative_near_its_root(name: str) -> None:
    """Within ROOT_RADIUS of the root the absolute error stays at float64's ~3e-17;
    at the radius itself the relative rule holds again."""
    act, root = ACTIVATIONS[name], DERIVATIVE_ROOTS[name]
    offsets = np.array([0.0, 1e-12, 1e-9, 1e-6, 1e-4, 1e-3, 3e-3])
    near = root + np.concatenate([-offsets, offsets])
    exact_near = exact_values(act.derivative, act.symbols, near)
    assert np.max(np.abs(act.grad(near) - exact_near)) <= 1e-16
    edge = root + np.array([-ROOT_RADIUS, ROOT_RADIUS])
    assert_agrees(act.grad(edge), exact_values(act.derivative, act.symbols, edge), f"{name}'", at=edge)
    assert abs(float(exact_values(act.derivative, act.symbols, [root])[0])) < 1e-16


def test_the_rule_is_relative_down_to_the_underflow_threshold() -> None:
    want = np.array([1.0, 1e-200, 2e-300, 0.0, 5e-305])
    assert not agrees(want * (1 + 2e-13), want)[:3].any()
    assert agrees(want * (1 + 0.5e-13), want).all()
    # The clamped ~1e-304 (or 0) in the underflowing tail passes; a lost value above the threshold does not.
    assert agrees(np.array([1e-304, 0.0]), np.array([0.0, 1e-304])).all()
    assert not agrees(np.array([0.0, 2e-300 + 1e-304]), np.array([2e-300, 2e-300])).any()


def test_hidden_inputs_reach_the_tails() -> None:
    """The hidden points really include the edges (a refactor of the suites must not drop them)."""
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "elu"):
        points = HIDDEN_INPUTS[name]
        assert {-1000.0, -30.0, -1e-9, 0.0, 1e-9, 30.0, 1000.0} <= set(points.tolist())
        assert points.size > 200


# --------------------------------------------------------------------------
# Softmax and its Jacobian


def _logit_cases() -> list[FloatArray]:
    rng = np.random.default_rng(31337)
    cases = [np.array([0.0, -40.0]), np.array([0.0, -40.0, -800.0]), np.array([1000.0, 999.5, -1000.0]),
             np.array([700.0, -40.0, 0.0, 699.0]), np.array([1e-9, -1e-9, 0.0]), np.array([-3.0])]
    cases += [rng.normal(0.0, scale, size=n) for scale in (1e-9, 1.0, 30.0, 400.0) for n in (2, 3, 6)]
    suite = softmax_suite
    for group in (suite.LOGITS, suite.AXIS_LOGITS, suite.SUM_LOGITS, suite.JACOBIAN_LOGITS,
                  suite.GRADCHECK_LOGITS, suite.SHAPE_LOGITS):
        for z in group.values():
            cases += list(np.atleast_2d(z)) + list(np.atleast_2d(z).T)
    cases += [suite.LARGE, suite.INT_LOGITS.astype(np.float64), *suite.MUTATION_LOGITS,
              *suite.MUTATION_LOGITS.T]
    return cases


LOGIT_CASES = _logit_cases()


def _exact_vector(matrix: sp.Matrix, z: FloatArray) -> FloatArray:
    zs = symbols(z.size)
    return np.array([exact_value(entry, zs, z) for entry in matrix], dtype=np.float64)


def test_softmax_is_exact() -> None:
    for z in LOGIT_CASES:
        want = _exact_vector(symbolic_softmax(z.size), z)
        assert_agrees(softmax(z), want, f"softmax({z.tolist()})")


def test_softmax_along_either_axis_is_exact() -> None:
    for z in [*softmax_suite.AXIS_LOGITS.values(), *softmax_suite.SUM_LOGITS.values(),
              softmax_suite.LOGITS["batch(4,6)"]]:
        for axis in (0, 1):
            want = np.apply_along_axis(lambda v: _exact_vector(symbolic_softmax(v.size), v), axis, z)
            assert_agrees(softmax(z, axis=axis), want, f"softmax(z of shape {z.shape}, axis={axis})")


def test_softmax_jacobian_is_exact() -> None:
    for z in LOGIT_CASES:
        want = _exact_vector(symbolic_jacobian(z.size), z).reshape(z.size, z.size)
        entries = [[f"J[{i},{j}]" for j in range(z.size)] for i in range(z.size)]
        assert_agrees(jacobian(z), want, f"jacobian({z.tolist()})", at=entries)


# --------------------------------------------------------------------------
# Losses


def test_categorical_cross_entropy_and_gradient_are_exact() -> None:
    for z in LOGIT_CASES:
        for target in range(z.size):
            onehot = np.eye(z.size)[target][None, :]
            loss, zs = losses.cross_entropy_expression(z.size, target)
            want = exact_value(loss, zs, z)
            label = f"target {target} of {z.tolist()}"
            assert_agrees(losses.categorical_cross_entropy(onehot, z[None, :]), want,
                          f"categorical_cross_entropy, {label}")
            gradient = losses.cross_entropy_gradient_expression(z.size, target)
            assert_agrees(losses.categorical_cross_entropy_gradient(onehot, z[None, :])[0],
                          _exact_vector(gradient, z), f"categorical_cross_entropy_gradient, {label}")


_TINY_P = np.geomspace(1e-20, 0.5, 120)
_NEAR_SOFT_TARGET = 0.3 * (1.0 + np.array([-1e-6, -1e-9, -1e-12, 1e-12, 1e-9, 1e-6]))
PROBABILITIES = np.unique(np.concatenate([[0.0, 1.0, 0.3, 0.7], _TINY_P, 1.0 - _TINY_P,
                                          np.linspace(0.0, 1.0, 101), _NEAR_SOFT_TARGET]))
TARGETS = (0.0, 1.0, 0.3)
"""0/1 targets, and a soft one (the defining expression is defined for any y)."""


def _clipped(p: FloatArray) -> FloatArray:
    # The documented clip is part of the evaluator's contract: the exact value is
    # the defining expression at the clipped probability.
    return np.clip(p, losses.PROBABILITY_CLIP, 1 - losses.PROBABILITY_CLIP)


@pytest.mark.parametrize("target", TARGETS, ids=lambda v: f"y={v:g}")
def test_binary_cross_entropy_and_gradient_are_exact(target: float) -> None:
    p_sym, y_sym = losses.p, losses.y
    clipped = _clipped(PROBABILITIES)
    want = exact_values(losses.BINARY_CROSS_ENTROPY, (y_sym, p_sym), target, clipped)
    got = np.array([losses.binary_cross_entropy([target], [p]) for p in PROBABILITIES])
    assert_agrees(got, want, f"binary_cross_entropy(y={target})", at=PROBABILITIES)
    slope = sp.diff(losses.BINARY_CROSS_ENTROPY, p_sym)
    want = exact_values(slope, (y_sym, p_sym), target, clipped)
    got = np.array([losses.binary_cross_entropy_gradient([target], [p])[0] for p in PROBABILITIES])
    assert_agrees(got, want, f"binary_cross_entropy_gradient(y={target})", at=PROBABILITIES)


def _mse_cases() -> list[tuple[Any, Any]]:
    rng = np.random.default_rng(4242)
    y_true = rng.normal(0.0, 3.0, size=40)
    cases = [(y_true, rng.normal(0.0, 3.0, size=40)),
             (y_true, y_true * (1.0 + 1e-12)),  # nearly equal: the difference must stay exact
             (np.array([1000.0, -1000.0, 1e-12]), np.array([-1000.0, 999.0, -1e-12]))]
    cases += list(building_blocks.MSE_CASES.values())
    cases.append((building_blocks._INT_Y, building_blocks._INT_Y_HAT))
    return cases


@pytest.mark.parametrize("case", range(len(_mse_cases())))
def test_mse_and_gradient_are_exact(case: int) -> None:
    y_true, y_pred = (np.asarray(v, dtype=np.float64) for v in _mse_cases()[case])
    y_b, p_b = np.broadcast_arrays(y_true, y_pred)
    arguments = (losses.y, losses.y_hat)
    pairs = list(zip(y_b.ravel(), p_b.ravel()))
    with mpmath.workdps(DIGITS):
        mean = mpmath.fsum(exact_mpf(losses.SQUARED_ERROR, arguments, pair) for pair in pairs) / len(pairs)
    assert_agrees(losses.mse(y_true, y_pred), float(mean), f"mse, case {case}")
    slope = sp.diff(losses.SQUARED_ERROR, losses.y_hat) / y_b.size
    assert_agrees(losses.mse_gradient(y_true, y_pred), exact_values(slope, arguments, y_b, p_b),
                  f"mse_gradient, case {case}")
