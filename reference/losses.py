"""Losses, their derivatives (by ``sympy.diff``), the chain rule and the update rule.

Symbolic forms come first; each numeric float64 function is compiled from the
per-sample symbolic loss, so the derivative a grader uses is the one SymPy
derived (MSE: d/dy_hat_i of (1/n) sum (y - y_hat)^2 = 2 (y_hat_i - y_i) / n).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from typing import Any

import numpy as np
import sympy as sp

from reference.numeric import Evaluator, FloatArray, as_float64, compile_expression, log1p
from reference.softmax import negative_log_softmax, softmax_and_complement, symbolic_softmax
from reference.softmax import symbols as logit_symbols

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

PROBABILITY_CLIP = 1e-15
"""BCE clips p into [eps, 1 - eps]: log(0) would make one confident mistake infinite."""


def chain_rule(local_derivatives: Iterable[Any]) -> Any:
    """The product of the local derivatives along one path.

    Works on SymPy expressions, floats and arrays alike; the identity is the
    int 1 so floats stay floats (an empty path gives 1).
    """
    return functools.reduce(operator.mul, local_derivatives, 1)


def sum_over_paths(paths: Iterable[Iterable[Any]]) -> Any:
    """dL/dw as the sum over every path from w to L of that path's chain-rule product."""
    return functools.reduce(operator.add, (chain_rule(path) for path in paths), 0)


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


@functools.cache
def _compiled(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> Evaluator:
    return compile_expression(expr, symbols)


def mse(y_true: Any, y_pred: Any) -> float:
    """Mean squared error over all elements, float64."""
    return float(np.mean(_compiled(SQUARED_ERROR, (y, y_hat))(y_true, y_pred)))


def mse_gradient(y_true: Any, y_pred: Any) -> FloatArray:
    """d MSE / d y_pred elementwise: the per-sample sympy.diff divided by the count."""
    per_sample = _compiled(sp.diff(SQUARED_ERROR, y_hat), (y, y_hat))(y_true, y_pred)
    return per_sample / per_sample.size


def binary_cross_entropy(y_true: Any, p_pred: Any) -> float:
    """Mean binary cross-entropy of probabilities ``p_pred`` (clipped, see PROBABILITY_CLIP)."""
    clipped = np.clip(as_float64(p_pred), PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    return float(np.mean(_compiled(BINARY_CROSS_ENTROPY_STABLE, (y, p))(y_true, clipped)))


def binary_cross_entropy_gradient(y_true: Any, p_pred: Any) -> FloatArray:
    """d mean-BCE / d p elementwise (sympy.diff of the per-sample loss, over the count).

    Evaluated as ``BINARY_CROSS_ENTROPY_SLOPE_STABLE``, which the test suite
    proves equal to ``sympy.diff(BINARY_CROSS_ENTROPY, p)``.
    """
    clipped = np.clip(as_float64(p_pred), PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    per_sample = _compiled(BINARY_CROSS_ENTROPY_SLOPE_STABLE, (y, p))(y_true, clipped)
    return per_sample / per_sample.size


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


def categorical_cross_entropy(onehot: Any, logits: Any, axis: int = -1) -> float:
    """Mean over samples of -sum_k t_k log softmax(z)_k, classes along ``axis`` (stable)."""
    t, zs = as_float64(onehot), as_float64(logits)
    per_sample = np.sum(t * negative_log_softmax(zs, axis), axis=axis)
    return float(np.mean(per_sample))


def categorical_cross_entropy_gradient(onehot: Any, logits: Any, axis: int = -1) -> FloatArray:
    """d mean-CE / d logits = (softmax(z) - t) / (number of samples), same shape as logits.

    ``cross_entropy_gradient_is_s_minus_onehot`` is the symbolic proof of the
    per-sample form s - onehot (targets sum to 1). It is computed as
    s (1 - t) - t (1 - s): for a one-hot t one term is exactly 0, so the target
    entry -(1 - s) keeps its digits where s is near 1.
    """
    zs, t = as_float64(logits), as_float64(onehot)
    samples = zs.size // zs.shape[axis]
    s, complement = softmax_and_complement(zs, axis=axis)
    gradient: FloatArray = (s * (1.0 - t) - t * complement) / samples
    return gradient


def gradient_descent_step(w: Any, grad: Any, lr: float) -> FloatArray:
    """The lecture's update w_new = w_old - eta * dL/dw, as a new float64 array."""
    return as_float64(w) - float(lr) * as_float64(grad)
