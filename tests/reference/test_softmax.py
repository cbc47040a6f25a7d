"""reference.softmax: the symbolic Jacobian and the stable numeric softmax."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from reference.softmax import (
    jacobian,
    negative_log_softmax,
    softmax,
    softmax_and_complement,
    symbolic_jacobian,
    symbolic_softmax,
    symbols,
)
from tests.reference.independent import central_difference


def _softmax_by_hand(z: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@pytest.mark.parametrize("n", [2, 3, 4], ids=lambda v: f"n={v}")
def test_symbolic_jacobian_is_diag_s_minus_s_sT(n):
    s = symbolic_softmax(n)
    closed_form = sp.diag(*s) - s * s.T
    difference = symbolic_jacobian(n) - closed_form
    assert all(sp.simplify(entry) == 0 for entry in difference)


@pytest.mark.parametrize("shape", [(2, 3), (3, 2)], ids=lambda v: f"shape={v}")
@pytest.mark.parametrize("axis", [0, -1], ids=lambda v: f"axis={v}")
def test_softmax_along_axis(shape, axis):
    z = np.random.default_rng(7).normal(size=shape) * 3
    out = softmax(z, axis=axis)
    np.testing.assert_allclose(out, _softmax_by_hand(z, axis), rtol=1e-14, atol=0)
    np.testing.assert_allclose(np.sum(out, axis=axis), 1.0, rtol=1e-14)


@pytest.mark.parametrize("scale", [1000.0, -1000.0, 1e-9], ids=lambda v: f"scale={v:g}")
def test_softmax_is_stable(scale):
    z = scale * np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -3.0]])
    with np.errstate(all="raise"):
        out = softmax(z)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(np.sum(out, axis=-1), 1.0, rtol=1e-14)


def test_numeric_jacobian_matches_symbolic_at_a_point():
    values = [0.3, -1.2, 2.0]
    point = dict(zip(symbols(3), values))
    symbolic = np.array(symbolic_jacobian(3).evalf(30, subs=point), dtype=np.float64)
    np.testing.assert_allclose(jacobian(values), symbolic, rtol=1e-13, atol=1e-15)


def test_numeric_jacobian_matches_central_differences():
    z = np.array([0.5, -0.25, 1.5, 0.0])
    columns = []
    for j in range(z.size):
        step = np.zeros_like(z)
        step[j] = 1.0
        columns.append(central_difference(lambda t, step=step: softmax(z + t * step), np.float64(0.0)))
    np.testing.assert_allclose(jacobian(z), np.stack(columns, axis=1), rtol=1e-6, atol=1e-9)


def test_jacobian_columns_sum_to_zero():
    # softmax sums to 1 whatever z is, so every column of its Jacobian sums to 0.
    np.testing.assert_allclose(np.sum(jacobian([1.0, 2.0, -4.0]), axis=0), 0.0, atol=1e-16)


@pytest.mark.parametrize("axis", [0, -1], ids=lambda v: f"axis={v}")
def test_complement_and_negative_log_match_the_plain_formulas(axis):
    z = np.random.default_rng(3).normal(size=(3, 4)) * 2
    s, complement = softmax_and_complement(z, axis=axis)
    np.testing.assert_allclose(s, softmax(z, axis=axis), rtol=1e-15, atol=0)
    # The plain formulas lose digits where s is near 1 (that is the point), hence the atol.
    np.testing.assert_allclose(complement, 1.0 - s, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(negative_log_softmax(z, axis=axis), -np.log(s), rtol=1e-14, atol=1e-15)


def test_complement_keeps_its_digits_near_one():
    # s_0 = 1 / (1 + e^-40) rounds to 1; 1 - s_0 = e^-40 / (1 + e^-40) does not.
    tiny = np.exp(-40.0) / (1.0 + np.exp(-40.0))
    s, complement = softmax_and_complement(np.array([0.0, -40.0]))
    np.testing.assert_allclose(complement, [tiny, 1.0 - tiny], rtol=1e-15, atol=0)
    np.testing.assert_allclose(jacobian([0.0, -40.0])[0, 0], tiny * s[0], rtol=1e-15)
    np.testing.assert_allclose(negative_log_softmax(np.array([0.0, -40.0]))[0], np.log1p(np.exp(-40.0)),
                               rtol=1e-15)


def test_ties_at_the_max_count_once():
    s, complement = softmax_and_complement(np.array([2.0, 2.0, -1.0]))
    np.testing.assert_allclose(s + complement, 1.0, rtol=1e-15)
    np.testing.assert_allclose(s[:2], 1.0 / (2.0 + np.exp(-3.0)), rtol=1e-15)


def test_the_rounding_of_z_minus_max_is_carried_into_exp():
    # 500.3 and -189.9 are not exact: z - max = -690.2 is rounded, which alone moves
    # e^(z - max) by 2.8e-14 relative; the exact difference keeps it to an ulp.
    z = np.array([500.3, -189.9])
    with mpmath.workdps(40):
        gap = mpmath.mpf(float(z[1])) - mpmath.mpf(float(z[0]))
        exact = float(mpmath.exp(gap) / (1 + mpmath.exp(gap)))
    np.testing.assert_allclose(softmax(z)[1], exact, rtol=1e-15, atol=0)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_output_jacobian_is_the_symbolic_jacobian_through_the_outputs(n: int) -> None:
    """diag(s) - s s^T, derived through the outputs, equals the symbolic Jacobian with s = softmax(z)."""
    import sympy as sp

    from reference.softmax import output_jacobian, symbolic_jacobian, symbolic_softmax

    outputs = sp.symbols(f"s0:{n}", positive=True)
    through = output_jacobian(n).subs(dict(zip(outputs, symbolic_softmax(n))))
    assert (through - symbolic_jacobian(n)).applyfunc(sp.simplify) == sp.zeros(n, n)
    assert all(z not in output_jacobian(n).free_symbols for z in sp.symbols(f"z0:{n}", real=True))
