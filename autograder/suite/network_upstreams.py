"""The lecture network's and the deep chain's student functions as upstreams a downstream case
may substitute (``autograder/suite/substitution.py``): each answers with the reference's values, under the
student function's own parameter names (a stand-in is called as the student's code calls it).

Every answer converts its arguments with ``floats`` first: they come from the student's code, so
anything that is not numbers, or would broadcast past ``MAX_ELEMENTS``, is refused before the
reference computes anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autograder.suite.shared_tests import ACTIVATIONS_BY_NAME
from autograder.suite.substitution import Upstream, floats
from reference import losses, network
from reference.activations import get_activation


def _activation(name: object) -> str:
    """A name the suites test; ValueError for any other (no reference graph is built for it)."""
    if not isinstance(name, str) or name not in ACTIVATIONS_BY_NAME:
        raise ValueError("unknown activation")
    return name


def _activate(z: Any, activation: object = "sigmoid") -> Any:
    return get_activation(_activation(activation))(*floats(z))


def _activate_derivative(z: Any, activation: object = "sigmoid") -> Any:
    return get_activation(_activation(activation)).grad(*floats(z))


def _mse_loss(y: Any, y_hat: Any) -> float:
    return losses.mse(*floats(y, y_hat))


def _mse_loss_derivative(y: Any, y_hat: Any) -> Any:
    return losses.mse_gradient(*floats(y, y_hat))


def _chain_rule(local_derivatives: Any) -> Any:
    return losses.chain_rule(_factors(local_derivatives))


def _sum_over_paths(paths: Any) -> Any:
    if not isinstance(paths, list) or not all(isinstance(path, list) for path in paths):
        raise ValueError("paths must be lists of factors")
    floats(*(factor for path in paths for factor in path))  # refused before any product is formed
    return losses.sum_over_paths(_factors(path) for path in paths)


def _factors(factors: Any) -> list[Any]:
    """A path's factors as floats (a plain number stays a Python float, as the reference keeps it)."""
    if not isinstance(factors, list):
        raise ValueError("factors must be a list")
    return [float(a) if a.ndim == 0 else a for a in floats(*factors)]


def _gradient_descent_step(w: Any, grad: Any, lr: Any) -> Any:
    weights, gradient, rate = floats(w, grad, lr)
    return losses.gradient_descent_step(weights, gradient, float(rate))


def _params(params: object) -> dict[str, float]:
    if not isinstance(params, Mapping) or set(params) != set(network.PARAMETERS):
        raise ValueError("params must hold exactly the network's parameters")
    return {name: float(floats(params[name])[0]) for name in network.PARAMETERS}


def _forward(params: Any, x: Any, activation: object = "sigmoid") -> Any:
    (inputs,) = floats(x)
    return network.forward(_params(params), inputs, _activation(activation))


def _deep_chain_forward(x: Any, weights: Any, activation: object = "sigmoid") -> list[float]:
    (start,), (chain,) = floats(x), floats(weights)
    if start.ndim != 0 or chain.ndim != 1 or chain.size < 1:
        raise ValueError("a deep chain takes a scalar x and a 1-D sequence of weights")
    return [float(h) for h in network.deep_chain_forward(float(start), chain.tolist(), _activation(activation))]


def _backward(params: Any, x: Any, y: Any, activation: object = "sigmoid") -> Any:
    inputs, targets = floats(x, y)
    return network.backward(_params(params), inputs, targets, _activation(activation))


ACTIVATE = Upstream("activate", "activations", _activate)
ACTIVATE_DERIVATIVE = Upstream("activate_derivative", "activations", _activate_derivative)
MSE_LOSS = Upstream("mse_loss", "mse", _mse_loss)
MSE_LOSS_DERIVATIVE = Upstream("mse_loss_derivative", "mse", _mse_loss_derivative)
CHAIN_RULE = Upstream("chain_rule", "chain_rule", _chain_rule)
SUM_OVER_PATHS = Upstream("sum_over_paths", "two_paths", _sum_over_paths)
GRADIENT_DESCENT_STEP = Upstream("gradient_descent_step", "update", _gradient_descent_step)
FORWARD = Upstream("forward", "forward", _forward)
BACKWARD = Upstream("backward", "backward", _backward)
DEEP_CHAIN_FORWARD = Upstream("deep_chain_forward", "deep_chain_forward", _deep_chain_forward)

FORWARD_UPSTREAMS = (ACTIVATE,)
"""What ``forward`` is built from."""
BACKWARD_UPSTREAMS = (ACTIVATE, ACTIVATE_DERIVATIVE, MSE_LOSS_DERIVATIVE, SUM_OVER_PATHS, CHAIN_RULE,
                      FORWARD, MSE_LOSS)
"""What ``backward`` is built from (its own forward pass, or ``forward``), the first wrong one credited."""
TRAIN_UPSTREAMS = (FORWARD, MSE_LOSS, BACKWARD, GRADIENT_DESCENT_STEP, ACTIVATE, ACTIVATE_DERIVATIVE,
                   MSE_LOSS_DERIVATIVE, SUM_OVER_PATHS, CHAIN_RULE)
"""What ``train`` is built from: the pieces of a step, and what a train that inlines them calls."""

DEEP_CHAIN_FORWARD_UPSTREAMS = (ACTIVATE,)
"""What the vanishing assignment's ``deep_chain_forward`` is built from."""
DEEP_CHAIN_GRADIENTS_UPSTREAMS = (DEEP_CHAIN_FORWARD, ACTIVATE_DERIVATIVE, ACTIVATE)
"""What ``deep_chain_gradients`` is built from: the chain's values (``deep_chain_forward``, or ``activate``
in a loop of its own) and the slopes."""
