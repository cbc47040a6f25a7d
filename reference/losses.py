"""Losses, their derivatives (by ``sympy.diff``), the chain rule and the update rule.

Symbolic forms (``reference.loss_expressions``) come first; each numeric
float64 function is compiled from the per-sample symbolic loss, so the
derivative a grader uses is the one SymPy derived (MSE: d/dy_hat_i of
(1/n) sum (y - y_hat)^2 = 2 (y_hat_i - y_i) / n).

This module imports no SymPy: the chain rule, the update and the softmax
losses are plain float64, and the compiled forms are built (importing SymPy)
the first time a loss is evaluated. The symbolic names (``y``, ``SQUARED_ERROR``,
``mse_expression``, ...) are still reachable from here, from
``reference.loss_expressions`` on first use.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from typing import Any

import numpy as np

from reference.numeric import Evaluator, FloatArray, as_float64, compile_expression
from reference.softmax import negative_log_softmax, softmax_and_complement

PROBABILITY_CLIP = 1e-15
"""BCE clips p into [eps, 1 - eps]: log(0) would make one confident mistake infinite."""

_SYMBOLIC = ("y", "y_hat", "p", "z", "SQUARED_ERROR", "BINARY_CROSS_ENTROPY",
             "BINARY_CROSS_ENTROPY_STABLE", "BINARY_CROSS_ENTROPY_SLOPE_STABLE",
             "mse_expression", "mse_gradient_expression", "bce_logit_gradient_expression",
             "cross_entropy_expression", "cross_entropy_gradient_expression",
             "cross_entropy_gradient_is_s_minus_onehot")


def __getattr__(name: str) -> Any:
    """The symbolic names of ``reference.loss_expressions``, imported (with SymPy) on first use."""
    if name in _SYMBOLIC:
        from reference import loss_expressions

        return getattr(loss_expressions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def chain_rule(local_derivatives: Iterable[Any]) -> Any:
    """The product of the local derivatives along one path.

    Works on SymPy expressions, floats and arrays alike; the identity is the
    int 1 so floats stay floats (an empty path gives 1).
    """
    return functools.reduce(operator.mul, local_derivatives, 1)


def sum_over_paths(paths: Iterable[Iterable[Any]]) -> Any:
    """dL/dw as the sum over every path from w to L of that path's chain-rule product."""
    return functools.reduce(operator.add, (chain_rule(path) for path in paths), 0)


@functools.cache
def _evaluator(which: str) -> Evaluator:
    """The float64 evaluator of one per-sample form (``loss_expressions.per_sample_form``)."""
    from reference.loss_expressions import per_sample_form

    return compile_expression(*per_sample_form(which))


def mse(y_true: Any, y_pred: Any) -> float:
    """Mean squared error over all elements, float64."""
    return float(np.mean(_evaluator("squared_error")(y_true, y_pred)))


def mse_gradient(y_true: Any, y_pred: Any) -> FloatArray:
    """d MSE / d y_pred elementwise: the per-sample sympy.diff divided by the count."""
    per_sample = _evaluator("squared_error_slope")(y_true, y_pred)
    return per_sample / per_sample.size


def binary_cross_entropy(y_true: Any, p_pred: Any) -> float:
    """Mean binary cross-entropy of probabilities ``p_pred`` (clipped, see PROBABILITY_CLIP)."""
    clipped = np.clip(as_float64(p_pred), PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    return float(np.mean(_evaluator("bce")(y_true, clipped)))


def binary_cross_entropy_gradient(y_true: Any, p_pred: Any) -> FloatArray:
    """d mean-BCE / d p elementwise (sympy.diff of the per-sample loss, over the count).

    Evaluated as ``BINARY_CROSS_ENTROPY_SLOPE_STABLE``, which the test suite
    proves equal to ``sympy.diff(BINARY_CROSS_ENTROPY, p)``.
    """
    clipped = np.clip(as_float64(p_pred), PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
    per_sample = _evaluator("bce_slope")(y_true, clipped)
    return per_sample / per_sample.size


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
