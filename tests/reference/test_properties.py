"""reference.properties: every derived property against SymPy's own calculus
helpers and against dense float64 grids of the hand-written formulas."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp
from sympy.calculus.util import function_range, maximum

from autograder.reference_display import display_number, display_set
from reference.activations import ACTIVATIONS
from reference.chain_bound import chain_derivative_bound, chain_derivative_product
from reference.properties import NUMERIC_DIGITS, all_properties, derive_properties
from reference.symbols import x
from tests.reference import independent as ind

NAMES = tuple(ACTIVATIONS)
GRID = np.linspace(-60.0, 60.0, 120_001)  # spacing 1e-3, wide enough for every tail used
EDGE = 60.0
FAR = 1e12  # an unbounded end: |f| beyond 1e9 there (the smallest slope is 1/100)
GRID_TOL = 1e-5  # a grid maximum misses a smooth peak by ~ f'' h^2 / 8 ~ 1e-7
VANISHED = 1e-20  # |f'(+-60)| of a saturating activation is ~1e-24 or below


@pytest.fixture(scope="module")
def table():
    return all_properties()


def _f(value: sp.Expr) -> float:
    return float(value)


# ---------------------------------------------------------------- headline results


def test_sigmoid_derivative_is_at_most_a_quarter_attained_at_zero(table):
    props = table["sigmoid"]
    assert props.derivative_max == sp.Rational(1, 4)
    assert props.derivative_max_attained and props.derivative_max_at == sp.FiniteSet(0)
    assert props.derivative_range == sp.Interval.Lopen(0, sp.Rational(1, 4))
    data = props.to_json()
    assert (data["derivative_max"], data["derivative_max_at"]) == ("1/4", "0")
    assert data["derivative_range"] == ["0", "1/4"] and data["derivative_range_closed"] == [False, True]


def test_tanh_derivative_in_open_zero_closed_one(table):
    props = table["tanh"]
    assert props.derivative_range == sp.Interval.Lopen(0, 1)
    assert (props.to_json()["derivative_max"], props.to_json()["derivative_max_at"]) == ("1", "0")


def test_relu_derivative_is_zero_or_one(table):
    assert table["relu"].derivative_range == sp.FiniteSet(0, 1)
    assert table["relu"].derivative_at_0 == 0


def test_softplus_supremum_is_not_attained(table):
    props = table["softplus"]
    assert props.derivative_max == 1 and not props.derivative_max_attained
    assert props.derivative_max_at == sp.FiniteSet(sp.oo)
    assert props.to_json()["derivative_max_at"] == "oo"


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softplus"])
def test_output_range_agrees_with_function_range(table, name):
    """An independent SymPy route for the smooth ones."""
    assert function_range(ACTIVATIONS[name].expr, x, sp.S.Reals) == table[name].output_range


# maximum() also gets tanh' right, but takes 1.5 s of the suite; the grid test covers it.
@pytest.mark.parametrize("name", ["sigmoid", "softplus"])
def test_derivative_max_agrees_with_maximum(table, name):
    assert maximum(ACTIVATIONS[name].derivative, x, sp.S.Reals) == table[name].derivative_max


@pytest.mark.parametrize(("name", "exact"), [(n, n not in ("silu", "gelu", "selu")) for n in NAMES])
def test_exact_flag(table, name, exact):
    assert table[name].exact is exact
    assert table[name].to_json()["exact"] is exact


def test_gelu_maximum_is_exact_at_sqrt2(table):
    # gelu'' = phi(x) (2 - x^2) by hand, so f' peaks where x^2 = 2.
    props = table["gelu"]
    assert props.derivative_max_exact and props.derivative_max_at == sp.FiniteSet(sp.sqrt(2))
    np.testing.assert_allclose(_f(props.derivative_max), ind.d_gelu(np.sqrt(2.0)), rtol=1e-14)


def _bisect(g, lo: float, hi: float) -> float:
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if np.sign(g(mid)) == np.sign(g(lo)) else (lo, mid)
    return 0.5 * (lo + hi)


def test_silu_maximum_is_numeric_with_15_digits(table):
    props = table["silu"]
    assert not props.derivative_max_exact and props.derivative_max_attained
    (where,) = props.derivative_max_at
    assert isinstance(where, sp.Float)
    digits = sp.sstr(where).replace(".", "").lstrip("0")
    assert len(digits) == NUMERIC_DIGITS
    # silu'' = s (1 - s) (2 + x (1 - 2 s)), written by hand.
    def second(v: float) -> float:
        s = float(ind.sigmoid(np.float64(v)))
        return s * (1 - s) * (2 + v * (1 - 2 * s))
    root = _bisect(second, 1.0, 4.0)
    np.testing.assert_allclose(_f(where), root, rtol=1e-13)
    np.testing.assert_allclose(_f(props.derivative_max), ind.d_silu(np.float64(root)), rtol=1e-13)


# ---------------------------------------------------------------- every activation on a grid


@pytest.mark.parametrize("name", NAMES)
def test_derivative_supremum_on_grid(table, name):
    props = table[name]
    _, df = ind.FORMULAS[name]
    top = _f(props.derivative_max)
    slopes = df(GRID)
    assert np.max(slopes) <= top + 1e-12
    if props.derivative_max_attained:
        assert np.max(slopes) >= top - GRID_TOL
        np.testing.assert_allclose(df(np.float64(_a_point_of(props.derivative_max_at))), top,
                                   rtol=1e-12)
    else:
        # Not attained: below the sup wherever float64 can still tell them apart ...
        assert np.max(slopes[np.abs(GRID) <= 30.0]) < top
        # ... and approached towards the reported side.
        (side,) = props.derivative_max_at
        np.testing.assert_allclose(df(np.float64(np.sign(_f(side)) * EDGE)), top, rtol=1e-12)


def _a_point_of(points: sp.Set) -> float:
    if isinstance(points, sp.FiniteSet):
        return _f(min(points, key=_f))
    assert isinstance(points, sp.Interval)
    return _f(points.inf) if not points.left_open else _f(points.inf) + 0.5


@pytest.mark.parametrize("name", NAMES)
def test_output_range_on_grid(table, name):
    props = table[name]
    f, _ = ind.FORMULAS[name]
    values = f(GRID)
    low, high = props.output_range.inf, props.output_range.sup
    if low.is_infinite:
        assert float(f(np.float64(-FAR))) < -1e-3 * FAR
    else:
        assert np.min(values) >= _f(low) - 1e-12
        assert np.min(values) <= _f(low) + GRID_TOL
    if high.is_infinite:
        assert float(f(np.float64(FAR))) > 1e-3 * FAR
    else:
        assert np.max(values) <= _f(high) + 1e-12
        assert np.max(values) >= _f(high) - GRID_TOL


@pytest.mark.parametrize("name", NAMES)
def test_derivative_range_on_grid(table, name):
    props = table[name]
    _, df = ind.FORMULAS[name]
    slopes = df(GRID)
    assert np.min(slopes) >= _f(props.derivative_min) - 1e-12
    assert np.min(slopes) <= _f(props.derivative_min) + GRID_TOL


@pytest.mark.parametrize("name", NAMES)
def test_zero_centered(table, name):
    f, _ = ind.FORMULAS[name]
    values = f(GRID)
    by_hand = abs(float(f(np.float64(0.0)))) < 1e-300 and np.any(values < 0) and np.any(values > 0)
    assert table[name].zero_centered is bool(by_hand)


@pytest.mark.parametrize("name", NAMES)
def test_monotonic(table, name):
    _, df = ind.FORMULAS[name]
    assert table[name].monotonic is bool(np.all(df(GRID) >= 0))


@pytest.mark.parametrize("name", NAMES)
def test_saturating_sides(table, name):
    _, df = ind.FORMULAS[name]
    by_hand = [side for side, at in (("-oo", -EDGE), ("oo", EDGE))
               if abs(float(df(np.float64(at)))) < VANISHED]
    assert list(table[name].saturating) == by_hand


def test_lecture_claims(table):
    """The notes: sigmoid is not zero-centred, tanh is; ReLU is not; sigmoid and tanh saturate."""
    assert not table["sigmoid"].zero_centered and table["tanh"].zero_centered
    assert not table["relu"].zero_centered
    assert table["sigmoid"].saturating == ("-oo", "oo") == table["tanh"].saturating
    assert table["leaky_relu"].saturating == ()


@pytest.mark.parametrize("name", NAMES)
def test_to_json_is_plain_and_parses_back(table, name):
    data = table[name].to_json()
    assert json.loads(json.dumps(data)) == data
    parsed = (sp.sympify(data["output_set"]), sp.sympify(data["derivative_max"]))
    original = (table[name].output_range, table[name].derivative_max)
    if table[name].exact:
        assert parsed == original
    else:  # a Float string parses back at a different precision: compare values
        np.testing.assert_allclose([_f(parsed[0].inf), _f(parsed[1])],
                                   [_f(original[0].inf), _f(original[1])], rtol=1e-14)
    assert data["output_range_closed"] == [data["output_range"][0] in _members(table[name]),
                                           data["output_range"][1] in _members(table[name])]


def _members(props) -> list[str]:
    return [str(v) for v in (props.output_range.inf, props.output_range.sup)
            if v in props.output_range]


def test_cached():
    assert derive_properties("tanh") is derive_properties("tanh")


# ---------------------------------------------------------------- the vanishing bound


@pytest.mark.parametrize("n", range(1, 7), ids=lambda v: f"n={v}")
def test_sigmoid_chain_bound(table, n):
    bound = chain_derivative_bound("sigmoid", n)
    assert bound.bound == table["sigmoid"].derivative_max ** n == sp.Rational(1, 4) ** n
    assert bound.holds and bound.tight and bound.witness == 0
    product, xs = chain_derivative_product("sigmoid", n)
    assert sp.simplify(product.subs({xi: 0 for xi in xs}) - bound.bound) == 0
    samples = np.random.default_rng(n).normal(scale=3.0, size=(2000, n))
    products = np.prod(ind.d_sigmoid(samples), axis=1)
    assert np.all(products <= 0.25 ** n * (1 + 1e-12))


@pytest.mark.parametrize("name", ["tanh", "relu", "leaky_relu", "elu", "silu"])
def test_chain_bound_of_other_activations(table, name):
    bound = chain_derivative_bound(name, 3)
    props = table[name]
    assert bound.holds and bound.tight
    assert bound.factor_bound == max(props.derivative_max, -props.derivative_min, key=_f)


# ---------------------------------------------------------------- display helpers


def test_display_helpers():
    assert display_set(sp.Interval.Lopen(0, sp.Rational(1, 4))) == "(0, 1/4]"
    assert display_set(sp.Interval(0, sp.oo)) == "[0, oo)"
    assert display_set(sp.FiniteSet(1, 0)) == "{0, 1}"
    assert display_number(sp.sqrt(2), 4) == "1.414"
