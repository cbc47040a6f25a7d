"""Softmax over a vector: its symbolic Jacobian and a stable numeric form."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from reference.numeric import EXP_FLOOR, FloatArray, as_float64


def symbols(n: int) -> tuple[sp.Symbol, ...]:
    """The logits z_0 .. z_{n-1} of a size-n softmax."""
    return sp.symbols(f"z0:{n}", real=True)


def symbolic_softmax(n: int) -> sp.Matrix:
    """softmax(z)_i = exp(z_i) / sum_j exp(z_j) as an n x 1 SymPy matrix."""
    z = symbols(n)
    total = sum(sp.exp(zj) for zj in z)
    return sp.Matrix([sp.exp(zi) / total for zi in z])


@cache
def symbolic_jacobian(n: int) -> sp.Matrix:
    """d softmax_i / d z_j, by ``sympy.Matrix.jacobian`` of the symbolic softmax."""
    return symbolic_softmax(n).jacobian(sp.Matrix(symbols(n)))


def softmax(z: Any, axis: int = -1) -> FloatArray:
    """Stable softmax along ``axis``: shift by the max, exp never under- or overflows."""
    values = as_float64(z)
    shifted = values - np.max(values, axis=axis, keepdims=True)
    e = np.exp(np.maximum(shifted, EXP_FLOOR))
    return e / np.sum(e, axis=axis, keepdims=True)


def jacobian(z: Any) -> FloatArray:
    """The (n, n) Jacobian diag(s) - s s^T of softmax at a 1-D ``z``.

    This is the closed form of ``symbolic_jacobian``; the test suite proves the
    two agree symbolically for several n.
    """
    s = softmax(as_float64(z).reshape(-1))
    return np.diag(s) - np.outer(s, s)
