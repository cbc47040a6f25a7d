"""Softmax over a vector: its symbolic Jacobian and a stable numeric form.

The numeric side needs numpy only; the symbolic functions import SymPy when
called, so a suite that reads softmax values never pays for SymPy.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from reference.numeric import EXP_FLOOR, FloatArray, as_float64

if TYPE_CHECKING:
    import sympy as sp


def symbols(n: int) -> tuple[sp.Symbol, ...]:
    """The logits z_0 .. z_{n-1} of a size-n softmax."""
    import sympy as sp

    logits: tuple[sp.Symbol, ...] = sp.symbols(f"z0:{n}", real=True)
    return logits


def symbolic_total(n: int) -> sp.Expr:
    """The softmax's normaliser sum_j exp(z_j)."""
    import sympy as sp

    return sp.Add(*(sp.exp(zj) for zj in symbols(n)))


def symbolic_softmax(n: int) -> sp.Matrix:
    """softmax(z)_i = exp(z_i) / sum_j exp(z_j) as an n x 1 SymPy matrix."""
    import sympy as sp

    total = symbolic_total(n)
    return sp.Matrix([sp.exp(zi) / total for zi in symbols(n)])


@cache
def symbolic_jacobian(n: int) -> sp.Matrix:
    """d softmax_i / d z_j, by ``sympy.Matrix.jacobian`` of the symbolic softmax."""
    import sympy as sp

    return symbolic_softmax(n).jacobian(sp.Matrix(symbols(n)))


def _first_max(values: FloatArray, axis: int) -> npt.NDArray[np.bool_]:
    """True at one maximum of each slice along ``axis`` (the first, on ties)."""
    mask = np.zeros(values.shape, dtype=bool)
    np.put_along_axis(mask, np.expand_dims(np.argmax(values, axis=axis), axis), True, axis=axis)
    return mask


def _subtraction_error(a: FloatArray, b: FloatArray, difference: FloatArray) -> FloatArray:
    """(a - b) - fl(a - b), exactly (Knuth's TwoSum).

    exp's relative error is the absolute error of its argument: z - max rounded
    at |z - max| ~ 700 is off by up to 6e-14, and e^(z - max) by as much.
    """
    b_part = difference - a
    return (a - (difference - b_part)) + (-b - b_part)


def _shifted(values: FloatArray, axis: int) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """(z - max, its exp, the sum of those exps except one max's, where that max is).

    The max's own term is exactly exp(0) = 1, so the total is 1 + rest: keeping
    rest apart keeps the digits that 1 - s_max and log(total) need (in float64
    1 + 4e-18 is 1, so softmax([0, -40]) would give 1 - s_0 = 0).
    """
    peak = np.max(values, axis=axis, keepdims=True)
    shifted = values - peak
    e = np.exp(np.maximum(shifted, EXP_FLOOR)) * (1.0 + _subtraction_error(values, peak, shifted))
    top = _first_max(values, axis)
    rest: FloatArray = np.sum(np.where(top, 0.0, e), axis=axis, keepdims=True)
    return shifted, e, rest, top


def softmax(z: Any, axis: int = -1) -> FloatArray:
    """Stable softmax along ``axis``: shift by the max, exp never under- or overflows."""
    _, e, rest, _ = _shifted(as_float64(z), axis)
    return e / (1.0 + rest)


def softmax_and_complement(z: Any, axis: int = -1) -> tuple[FloatArray, FloatArray]:
    """(softmax(z), 1 - softmax(z)) along ``axis``, both to a few ulps.

    1 - s_k is a plain subtraction except at the max, where s_k may be within
    1e-17 of 1: there it is rest / (1 + rest). Every other s_k is at most 1/2
    (the max is at least as large), so its subtraction loses nothing.
    """
    _, e, rest, top = _shifted(as_float64(z), axis)
    s = e / (1.0 + rest)
    return s, np.where(top, rest / (1.0 + rest), 1.0 - s)


def negative_log_softmax(z: Any, axis: int = -1) -> FloatArray:
    """-log softmax(z) along ``axis`` = log(1 + rest) - (z - max): two terms >= 0, no cancellation."""
    shifted, _, rest, _ = _shifted(as_float64(z), axis)
    return np.log1p(rest) - shifted


def jacobian(z: Any) -> FloatArray:
    """The (n, n) Jacobian diag(s) - s s^T of softmax at a 1-D ``z``.

    This is the closed form of ``symbolic_jacobian``; the test suite proves the
    two agree symbolically for several n. The diagonal s_i - s_i^2 is computed
    as s_i (1 - s_i) with ``softmax_and_complement``, so it keeps its digits
    where s_i is near 1.
    """
    s, complement = softmax_and_complement(as_float64(z).reshape(-1))
    out = -np.outer(s, s)
    np.fill_diagonal(out, s * complement)
    return out


@cache
def output_jacobian(n: int) -> sp.Matrix:
    """The Jacobian of a size-n softmax written through its outputs s_0 .. s_{n-1} (the lecture's
    s_i (delta_ij - s_j), derived, not typed): softmax_i = exp(z_i) / E differentiated with the total
    E kept whole, E's own derivative taken from the reference's total (sum_k exp(z_k)), and then
    every exp(z_k) put as s_k E, so E cancels."""
    import sympy as sp

    z = symbols(n)
    outputs = sp.symbols(f"s0:{n}", positive=True)
    total = sp.Function("E")(*z)
    jacobian = sp.Matrix([sp.exp(zi) / total for zi in z]).jacobian(sp.Matrix(z))
    slopes = {sp.Derivative(total, zj): sp.diff(symbolic_total(n), zj) for zj in z}
    kept = sp.Symbol("E", positive=True)
    by_output = {zk: sp.log(sk * kept) for zk, sk in zip(z, outputs)}  # exp(z_k) = s_k E
    return jacobian.subs(slopes).xreplace({total: kept}).subs(by_output).applyfunc(sp.expand)


@cache
def _output_jacobian_evaluator(n: int) -> Any:
    import sympy as sp

    return sp.lambdify([sp.symbols(f"s0:{n}", positive=True)], output_jacobian(n), modules="numpy")


def jacobian_from_output(s: Any) -> FloatArray:
    """``output_jacobian`` at the outputs ``s`` of some softmax (a 1-D array of n values): the
    Jacobian a student's identity gives on their own softmax's values."""
    values = as_float64(s).reshape(-1)
    return np.asarray(_output_jacobian_evaluator(values.size)(values), dtype=np.float64)
