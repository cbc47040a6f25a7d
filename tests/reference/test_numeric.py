"""reference.numeric: masked Piecewise evaluation, no overflow or underflow, broadcasting."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from reference.numeric import EXP_FLOOR, as_float64, compile_expression, exp_without_underflow
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
