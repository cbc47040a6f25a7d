"""The losses as SymPy expressions, and their derivatives by ``sympy.diff``.

``reference.losses`` evaluates the per-sample forms defined here (compiled
once, on first use); this module imports SymPy, that one does not.
"""

from __future__ import annotations

import sympy as sp

from reference.softmax import symbolic_softmax
from reference.softmax import symbols as logit_symbols
from reference.stable_functions import log1p

y, y_hat = sp.symbols("y y_hat", real=True)
"""A target and a prediction (one sample)."""

p = sp.Symbol("p", positive=True)
"""A predicted probability in (0, 1) for binary cross-entropy."""

z = sp.Symbol("z", real=True)
"""A logit: p = sigmoid(z)."""

SQUARED_ERROR = (y - y_hat) ** 2
"""Per-sample loss of the lecture: MSE = mean of (y - y_hat)^2."""

BINARY_CROSS_ENTROPY = -(y * sp.log(p) + (1 - y) * sp.log(1 - p))
"""Per-sample binary cross-entropy of a probability p against a 0/1 target y."""

BINARY_CROSS_ENTROPY_STABLE = -(y * sp.log(p) + (1 - y) * log1p(-p))
"""BINARY_CROSS_ENTROPY as evaluated: log(1 - p) keeps no digit of p once 1 - p rounds to 1."""

BINARY_CROSS_ENTROPY_SLOPE_STABLE = (p - y) / (p * (1 - p))
"""d BCE / dp as evaluated: sympy.diff's -y/p + (1 - y)/(1 - p) cancels where p is near y."""


def per_sample_form(which: str) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """One per-sample form ``reference.losses`` evaluates, with its argument symbols:
    "squared_error", its derivative "squared_error_slope" (d/dy_hat, by ``sympy.diff``),
    "bce" (the stable BCE) and "bce_slope" (its stable d/dp)."""
    forms = {
        "squared_error": (SQUARED_ERROR, (y, y_hat)),
        "squared_error_slope": (sp.diff(SQUARED_ERROR, y_hat), (y, y_hat)),
        "bce": (BINARY_CROSS_ENTROPY_STABLE, (y, p)),
        "bce_slope": (BINARY_CROSS_ENTROPY_SLOPE_STABLE, (y, p)),
    }
    return forms[which]


def mse_expression(n: int) -> tuple[sp.Expr, tuple[sp.Symbol, ...], tuple[sp.Symbol, ...]]:
    """(1/n) sum_i (y_i - y_hat_i)^2 with its target and prediction symbols."""
    ys = sp.symbols(f"y0:{n}", real=True)
    preds = sp.symbols(f"y_hat0:{n}", real=True)
    terms = (SQUARED_ERROR.xreplace({y: yi, y_hat: pi}) for yi, pi in zip(ys, preds))
    return sp.Add(*terms) / n, tuple(ys), tuple(preds)


def mse_gradient_expression(n: int) -> sp.Matrix:
    """d MSE / d y_hat_i for i < n, by ``sympy.diff`` (equals 2 (y_hat_i - y_i) / n)."""
    loss, _, preds = mse_expression(n)
    return sp.Matrix([sp.diff(loss, pi) for pi in preds])


def bce_logit_gradient_expression() -> sp.Expr:
    """d BCE(sigmoid(z)) / dz by ``sympy.diff``; simplifies to sigmoid(z) - y."""
    return sp.diff(BINARY_CROSS_ENTROPY.xreplace({p: 1 / (1 + sp.exp(-z))}), z)


def cross_entropy_expression(n: int, target: int) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """CE(softmax(z), e_target) = -log softmax(z)_target, with the logits z0..z{n-1}."""
    s = symbolic_softmax(n)
    return -sp.log(s[target]), logit_symbols(n)


def cross_entropy_gradient_expression(n: int, target: int) -> sp.Matrix:
    """d CE(softmax(z), e_target) / dz by ``sympy.diff`` (n x 1)."""
    loss, zs = cross_entropy_expression(n, target)
    return sp.Matrix([sp.diff(loss, zj) for zj in zs])


def cross_entropy_gradient_is_s_minus_onehot(n: int) -> bool:
    """True iff for every target class, sympy.diff of CE(softmax(z)) simplifies to s - onehot."""
    s = symbolic_softmax(n)
    for target in range(n):
        onehot = sp.Matrix([int(i == target) for i in range(n)])
        difference = cross_entropy_gradient_expression(n, target) - (s - onehot)
        # Each entry is rational in the exp(z_j); cancel's normal form of such an
        # expression is 0 exactly when it is identically 0 (and is 10x faster
        # than simplify).
        if any(sp.cancel(entry) != 0 for entry in difference):
            return False
    return True
