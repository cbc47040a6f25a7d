"""SymPy functions that exist only to be evaluated accurately, and their definitions.

Stable forms (see ``reference.activations``) may use ``expm1`` and ``log1p``
(SymPy's codegen functions, printed as numpy's) and ``normal_cdf`` /
``normal_pdf`` (the standard normal Phi and phi, evaluated by
``reference.numeric``). ``elementary`` rewrites each back to its definition,
which is how the test suite proves a stable form equal to the defining
expression. Importing this module imports SymPy, which is why it is apart from
``reference.numeric``.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

__all__ = ["elementary", "expm1", "log1p", "normal_cdf", "normal_pdf"]


class normal_cdf(sp.Function):
    """Phi(x) = (1 + erf(x / sqrt(2))) / 2, evaluated without cancellation for x < 0."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return normal_pdf(self.args[0])


class normal_pdf(sp.Function):
    """phi(x) = exp(-x^2 / 2) / sqrt(2 pi)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return -self.args[0] * normal_pdf(self.args[0])


_DEFINITIONS: dict[type[sp.Function], Callable[[sp.Expr], sp.Expr]] = {
    expm1: lambda z: sp.exp(z) - 1,
    log1p: lambda z: sp.log(1 + z),
    normal_cdf: lambda z: (1 + sp.erf(z / sp.sqrt(2))) / 2,
    normal_pdf: lambda z: sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi),
}


def elementary(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every evaluation-only function replaced by its definition."""
    for function, definition in _DEFINITIONS.items():
        expr = expr.replace(function, definition)
    return expr
