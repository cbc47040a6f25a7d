"""reference.numeric: masked Piecewise evaluation, no overflow or underflow, broadcasting."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from reference.numeric import (
    EXP_FLOOR,
    as_float64,
    compile_expression,
    elementary,
    exp_without_underflow,
    expm1,
    log1p,
    normal_cdf,
    normal_pdf,
)
from reference.symbols import x

y = sp.Symbol("y", real=True)
WIDE = np.array([-1000.0, -745.0, -30.0, -1e-9, 0.0, 1e-9, 30.0, 709.0, 1000.0])


def test_piecewise_branch_is_evaluated_only_where_it_holds():
    # exp(x) at x = 1000 overflows: the branch must never see x > 0.
    fn = compile_expression(sp.Piecewise((sp.exp(x), x < 0), (x, True)), [x])
    with np.errstate(all="raise"):
        out = fn(WIDE)
    want = np.where(WIDE < 0, np.exp(np.minimum(WIDE, 0.0)), WIDE)
    np.testing.assert_allclose(out, want, rtol=1e-15, atol=1e-300)


def test_first_true_condition_wins():
    fn = compile_expression(sp.Piecewise((1, x <= 0), (2, x <= 5), (3, True)), [x])
    np.testing.assert_allclose(fn([-1.0, 0.0, 3.0, 5.0, 6.0]), [1, 1, 2, 2, 3], rtol=0, atol=0)


def test_piecewise_inside_a_product_is_folded_and_masked():
    fn = compile_expression(2 * sp.Piecewise((sp.exp(x), x < 0), (1 + x, True)), [x])
    with np.errstate(all="raise"):
        out = fn(WIDE)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[-1], 2002.0, rtol=1e-15)


@pytest.mark.parametrize("value", [-1000.0, -745.0, -701.0], ids=lambda v: f"x={v:g}")
def test_exp_never_underflows(value):
    with np.errstate(all="raise"):
        out = exp_without_underflow(np.float64(value))
    assert 0.0 < out <= math.exp(EXP_FLOOR) * (1 + 1e-15)
    assert out < 1e-300  # the clamp changes the result by less than this


def test_exp_is_exact_above_the_floor():
    values = np.array([-699.0, -30.0, 0.0, 5.0])
    np.testing.assert_allclose(exp_without_underflow(values), np.exp(values), rtol=1e-15, atol=0.0)


def test_broadcasting_of_several_symbols():
    fn = compile_expression(x * y + 1, [x, y])
    out = fn(np.arange(3.0).reshape(3, 1), np.arange(4.0))
    assert out.shape == (3, 4) and out.dtype == np.float64
    np.testing.assert_allclose(out, np.arange(3.0).reshape(3, 1) * np.arange(4.0) + 1, rtol=1e-15)


def test_constant_expression_takes_the_input_shape():
    fn = compile_expression(sp.Integer(7), [x])
    out = fn(np.zeros((2, 5)))
    assert out.shape == (2, 5)
    np.testing.assert_allclose(out, 7.0, rtol=0, atol=0)


def test_constant_piecewise_branch_fills_its_mask():
    fn = compile_expression(sp.Piecewise((0, x <= 0), (x, True)), [x])
    np.testing.assert_allclose(fn(np.array([[-2.0, 3.0]])), [[0.0, 3.0]], rtol=0, atol=0)


def test_erf_matches_math_erf():
    points = np.array([-30.0, -1.0, 0.0, 0.3, 2.0, 30.0])
    fn = compile_expression(sp.erf(x), [x])
    np.testing.assert_allclose(fn(points), [math.erf(v) for v in points], rtol=1e-15, atol=1e-300)


def test_as_float64_converts_ints_and_lists():
    out = as_float64([1, 2, 3])
    assert out.dtype == np.float64
    same = np.zeros(3)
    assert as_float64(same) is same  # no copy when already float64


def test_expm1_and_log1p_are_evaluated_by_numpy():
    points = np.array([-1000.0, -1e-9, 0.0, 1e-12, 3.0])
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(compile_expression(expm1(x), [x])(points), np.expm1(points))
        np.testing.assert_array_equal(compile_expression(log1p(x), [x])(np.abs(points)), np.log1p(np.abs(points)))


@pytest.mark.parametrize("function", [expm1, log1p, normal_cdf, normal_pdf], ids=lambda f: f.__name__)
def test_elementary_rewrites_to_the_definition(function):
    definition = elementary(function(x))
    assert not definition.has(function)
    with mpmath.workdps(30):
        exact = {expm1: mpmath.expm1, log1p: mpmath.log1p, normal_cdf: mpmath.ncdf,
                 normal_pdf: mpmath.npdf}[function](mpmath.mpf("-0.375"))
        got = mpmath.mpf(str(definition.evalf(30, subs={x: sp.Rational(-3, 8)})))
        assert abs(got - exact) < 1e-25


def test_normal_derivatives_are_those_of_the_definitions():
    assert sp.simplify(sp.diff(elementary(normal_cdf(x)), x) - elementary(sp.diff(normal_cdf(x), x))) == 0
    assert sp.simplify(sp.diff(elementary(normal_pdf(x)), x) - elementary(sp.diff(normal_pdf(x), x))) == 0


NORMAL_POINTS = np.concatenate([np.linspace(-38.0, 40.0, 1561), -np.geomspace(1e-300, 1.0, 31),
                                np.geomspace(1e-300, 1.0, 31), [0.0, -1000.0, 1000.0]])


@pytest.mark.parametrize(("function", "exact"), [(normal_cdf, mpmath.ncdf), (normal_pdf, mpmath.npdf)],
                         ids=["cdf", "pdf"])
def test_normal_functions_are_exact_to_a_few_ulps(function, exact):
    """Both keep every digit in the lower tail, where erfc(-x/sqrt(2)) and exp(-x^2/2) are
    sensitive to the rounding of x/sqrt(2) and x^2 (up to 2e-13 and 8e-14 relative)."""
    with np.errstate(all="raise"):
        got = compile_expression(function(x), [x])(NORMAL_POINTS)
    with mpmath.workdps(40):
        want = np.array([float(exact(mpmath.mpf(float(v)))) for v in NORMAL_POINTS])
    # Below 1e-300 the result is clamped at exp(EXP_FLOOR) ~ 1e-304, like exp's.
    np.testing.assert_allclose(got, want, rtol=2e-15, atol=1e-300)
    assert np.all(got >= math.exp(EXP_FLOOR) * 0.39)  # never subnormal
