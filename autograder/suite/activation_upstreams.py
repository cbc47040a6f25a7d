"""The activations assignment's forward functions as upstreams a derivative's case may substitute
(``autograder/suite/substitution.py``): a derivative written through the student's own ``sigmoid``
(``s * (1 - s)``) that fails only because that ``sigmoid`` raises or overflows is judged again with
the reference's values in its place, so the mistake costs the forward alone.

Each answer converts its arguments with ``floats`` first (they come from the student's code) and
takes the student function's own parameter names and defaults, as the stub states them.
"""

from __future__ import annotations

from typing import Any

from autograder.suite.substitution import Upstream, floats
from reference.activations import get_activation
from reference.softmax import softmax as reference_softmax


def _parameter(value: Any) -> float:
    """A scalar parameter (alpha, a) as a float; ValueError for anything else."""
    (number,) = floats(value)
    if number.ndim != 0:
        raise ValueError("a parameter must be one number")
    return float(number)


def _sigmoid(x: Any) -> Any:
    return get_activation("sigmoid")(*floats(x))


def _tanh(x: Any) -> Any:
    return get_activation("tanh")(*floats(x))


def _relu(x: Any) -> Any:
    return get_activation("relu")(*floats(x))


def _leaky_relu(x: Any, alpha: Any = 0.01) -> Any:
    return get_activation("leaky_relu")(*floats(x), alpha=_parameter(alpha))


def _prelu(x: Any, a: Any) -> Any:
    return get_activation("prelu")(*floats(x), a=_parameter(a))


def _elu(x: Any, alpha: Any = 1.0) -> Any:
    return get_activation("elu")(*floats(x), alpha=_parameter(alpha))


def _softmax(z: Any, axis: Any = -1) -> Any:
    (logits,) = floats(z)
    if not isinstance(axis, int) or isinstance(axis, bool) or not -logits.ndim <= axis < max(logits.ndim, 1):
        raise ValueError("axis must be an axis of z")
    return reference_softmax(logits, axis=axis)


FORWARDS = {upstream.function: upstream for upstream in (
    Upstream("sigmoid", "sigmoid", _sigmoid),
    Upstream("tanh", "tanh", _tanh),
    Upstream("relu", "relu", _relu),
    Upstream("leaky_relu", "leaky_relu", _leaky_relu),
    Upstream("prelu", "prelu", _prelu),
    Upstream("elu", "elu", _elu),
    Upstream("softmax", "softmax", _softmax),
)}
"""Every forward function, by name: what a derivative (or the softmax Jacobian) is built from."""

ELEMENTWISE_FORWARDS = tuple(u for name, u in FORWARDS.items() if name != "softmax")
"""What a derivative may call: its own forward, or another (``tanh' = 4 sigmoid'(2x)``)."""
