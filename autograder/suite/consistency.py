"""Judging a downstream function against the student's own upstream ones.

"One mistake costs once": a derivative is also right when it is the
derivative of the student's own (wrong) forward function, ``backward`` when it
is the gradient of their own ``forward`` + ``mse_loss``, ``train`` when it
repeats their own ``backward`` and update. A check that passes this way calls
``credit_consistency(record_property, upstream)``; the credit model
(``autograder/grading/credit.py``) then grants it only if ``upstream`` is
wrong in its own checks.

Consistency is never credited against a degenerate upstream: one that is not
finite, constant (zeros, ones, any constant), or affine in its input (returns
its input, or a line). Against those, every "derivative" would be trivially
consistent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

CONSISTENT_WITH = "consistent_with"
"""The ``record_property`` key a consistency pass is reported under."""

DEGENERATE_SPREAD = 1e-9
"""Outputs whose range is below this (times their scale) are constant."""


def degenerate_reason(inputs: FloatArray, outputs: FloatArray) -> str:
    """Why ``outputs`` (of a function at ``inputs``) cannot earn consistency credit; "" if they can."""
    x = np.asarray(inputs, dtype=np.float64).reshape(-1)
    y = np.asarray(outputs, dtype=np.float64).reshape(-1)
    if y.shape != x.shape or not np.all(np.isfinite(y)):
        return "its values are not finite numbers of the input's shape"
    scale = max(1.0, float(np.max(np.abs(y))))
    if float(np.ptp(y)) <= DEGENERATE_SPREAD * scale:
        return "it returns a constant"
    design = np.stack([x, np.ones_like(x)], axis=1)
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    if float(np.max(np.abs(design @ coefficients - y))) <= DEGENERATE_SPREAD * scale:
        return "it is a straight line in its input"
    return ""


def depends_on(value_at: Callable[[float], float], point: float, step: float = 1e-3) -> bool:
    """Whether a scalar function of one parameter changes at all near ``point``."""
    values = [value_at(point + d) for d in (-step, 0.0, step)]
    return all(np.isfinite(values)) and float(np.ptp(values)) > DEGENERATE_SPREAD * max(
        1.0, float(np.max(np.abs(values))))


def credit_consistency(record_property: Callable[[str, Any], None], upstream: str) -> None:
    """Report that the current check passed by agreeing with the student's own ``upstream``."""
    record_property(CONSISTENT_WITH, upstream)
