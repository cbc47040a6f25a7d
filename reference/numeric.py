"""Turn SymPy expressions into stable float64 numpy evaluators.

Two rules make every evaluator finite and warning-free for |x| <= 1000, even
under ``np.errstate(all="raise")``:

* A top-level ``Piecewise`` is evaluated branch by branch on the masked inputs
  that satisfy its condition, so the branch that would overflow elsewhere
  (``exp(x)`` for ELU at x = 1000) is never evaluated there.
* ``exp`` never underflows: its argument is clamped below at ``EXP_FLOOR``.
  ``exp(-700)`` is about 1e-304, so the clamp changes a result by less than
  1e-300 in absolute terms, far below every tolerance in the kit.

Stable forms may use functions that exist only to be evaluated accurately
(``expm1``, ``log1p``, ``normal_cdf``, ``normal_pdf``: ``reference.stable_functions``);
their numpy side (``normal_cdf`` to a few ulps, below) is here.

This module imports no SymPy: the float64 side of the reference (softmax, the
losses' numbers, every constant a suite reads at import) costs only numpy.
``compile_expression`` and ``elementary`` import SymPy when first called, and
the SymPy functions above are reachable from here (``reference.numeric.expm1``)
for callers that import them from this module.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import sympy as sp

FloatArray = npt.NDArray[np.float64]
Evaluator = Callable[..., FloatArray]

EXP_FLOOR = -700.0
"""Lower clamp for exp's argument: exp(-700) ~ 1e-304 is still a normal float64."""


def exp_without_underflow(z: Any) -> Any:
    """``exp`` whose result is never subnormal, so no underflow flag is raised."""
    return np.exp(np.maximum(z, EXP_FLOOR))


_erf_elementwise = np.vectorize(math.erf, otypes=[np.float64])
_erfc_elementwise = np.vectorize(math.erfc, otypes=[np.float64])


def _erf(z: Any) -> Any:
    return _erf_elementwise(np.asarray(z, dtype=np.float64))


def _split(a: FloatArray) -> tuple[FloatArray, FloatArray]:
    # Veltkamp's split: hi keeps 26 significant bits, so products of halves are exact.
    c = 134217729.0 * a
    hi = c - (c - a)
    return hi, a - hi


def _product_error(a: FloatArray, b: Any) -> FloatArray:
    """a * b - fl(a * b), exactly (Dekker), for |a|, |b| in [1e-150, 1e300] or 0."""
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(np.asarray(b, dtype=np.float64))
    product = a * b
    error: FloatArray = ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return error


def _from_one(z: FloatArray) -> FloatArray:
    # phi's rounding correction grows with z^2 and is below an ulp for |z| < 1;
    # zeroing those inputs keeps Dekker's partial products from becoming subnormal.
    return np.where(np.abs(z) >= 1.0, z, 0.0)


_RSQRT2_HI = 1 / math.sqrt(2)


def _rsqrt2_low_part() -> float:
    """1/sqrt(2) - _RSQRT2_HI at 60 digits (``decimal``, exact arithmetic on the float)."""
    context = decimal.Context(prec=60)
    return float(context.subtract(context.divide(1, context.sqrt(2)), decimal.Decimal(_RSQRT2_HI)))


_RSQRT2_LO = _rsqrt2_low_part()
"""1/sqrt(2) = _RSQRT2_HI + _RSQRT2_LO to ~32 digits."""
_TWO_RSQRT_PI = 2 / math.sqrt(math.pi)
_RSQRT_2PI = 1 / math.sqrt(2 * math.pi)
_FLOOR = math.exp(EXP_FLOOR)
_ERFC_LIMIT = 26.4


def _normal_cdf(z: Any) -> Any:
    """Phi(z) = erfc(-z / sqrt(2)) / 2 to a few ulps, never below exp(EXP_FLOOR).

    erfc's relative sensitivity to its argument t is ~2 t^2, so the rounding of
    t = -z / sqrt(2) alone would cost up to 2e-13 in the lower tail. The exact
    argument is t + dt (dt: the rounding error, by Dekker's product), and
    erfc(t + dt) = erfc(t) - dt * (2 / sqrt(pi)) exp(-t^2) to first order.
    The clamp keeps the result normal, as ``exp_without_underflow`` does.
    """
    z = np.asarray(z, dtype=np.float64)
    t = -z * _RSQRT2_HI
    # Only the lower tail needs it: for z > -1, erfc(t) >= 0.3 is insensitive.
    big = np.where(z <= -1.0, -z, 0.0)
    dt = _product_error(big, _RSQRT2_HI) + big * _RSQRT2_LO
    t_big = big * _RSQRT2_HI
    slope = _TWO_RSQRT_PI * exp_without_underflow(-t_big * t_big)
    # erfc(26.4) ~ 5e-305: from there on the floor stands in (as exp's clamp does), and
    # math.erfc never produces the subnormal that would raise numpy's underflow flag.
    upper = np.where(t < _ERFC_LIMIT, _erfc_elementwise(np.minimum(t, _ERFC_LIMIT)), _FLOOR)
    upper = np.maximum(upper, _FLOOR)
    return np.maximum(0.5 * upper * (1.0 - dt * (slope / upper)), _FLOOR)


def _normal_pdf(z: Any) -> Any:
    """phi(z) to a few ulps: exp's relative error is the absolute error of its
    argument, so z^2 = square + error is carried exactly and
    exp(-(square + error) / 2) = exp(-square / 2) (1 - error / 2)."""
    z = np.asarray(z, dtype=np.float64)
    big = _from_one(z)
    error = _product_error(big, big)
    with np.errstate(under="ignore"):  # z^2 below 1e-308 rounds to 0: exp(-0) = 1 is exact
        square = z * z
    return _RSQRT_2PI * exp_without_underflow(-0.5 * square) * (1.0 - 0.5 * error)


NUMPY_NAMESPACE: list[Any] = [{"exp": exp_without_underflow, "erf": _erf,
                               "normal_cdf": _normal_cdf, "normal_pdf": _normal_pdf}, "numpy"]


def as_float64(value: Any) -> FloatArray:
    """Any real array-like as a float64 ndarray (a copy only when needed)."""
    return np.asarray(value, dtype=np.float64)


def compile_expression(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Evaluator:
    """A float64 evaluator of ``expr`` as a function of ``symbols``, broadcasting its inputs
    (``reference.compile``; importing SymPy on first use)."""
    from reference.compile import compile_expression as compile_with_sympy

    return compile_with_sympy(expr, symbols)


def elementary(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every evaluation-only function replaced by its definition
    (``reference.stable_functions``)."""
    from reference.stable_functions import elementary as rewrite

    return rewrite(expr)


_STABLE_FUNCTIONS = ("expm1", "log1p", "normal_cdf", "normal_pdf")


def __getattr__(name: str) -> Any:
    """The SymPy functions of ``reference.stable_functions``, imported on first use."""
    if name in _STABLE_FUNCTIONS:
        from reference import stable_functions

        return getattr(stable_functions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
