"""The lecture's network and the deep chain, symbolic and as float64 oracles.

Lecture network (one input x, target y; every node uses the same activation):

    o1   = act(w1 x + b1)
    o2_1 = act(w2 o1 + b2)        o2_2 = act(w3 o1 + b3)
    o3   = act(w4 o2_1 + w5 o2_2 + b4)
    L    = (y - o3)^2             (averaged over a batch numerically)

Deep chain of n layers: h_0 = x, h_k = act(w_k h_{k-1}).

Every numeric oracle evaluates a ``Graph`` built here, with the activation's
numerically stable form; derivatives are ``sympy.diff`` of the nodes, never a
hand-written backward pass. Activations take their default parameters.

Importing this module imports no SymPy: ``PARAMETERS``, ``HIDDEN`` and the
oracles' signatures are plain, and the graphs (``reference.network_graphs``)
are built, importing SymPy, the first time an oracle or a graph is asked for.
``activation_expression``, ``activation_function``, ``concretize`` and
``DefinedFunction`` are reachable from here, from that module.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from reference.losses import gradient_descent_step, sum_over_paths
from reference.numeric import FloatArray, as_float64

if TYPE_CHECKING:
    import sympy as sp

    from reference.graph import Graph, PathTerm

PARAMETERS = ("w1", "w2", "w3", "w4", "w5", "b1", "b2", "b3", "b4")
"""Trainable parameters of the lecture network."""

HIDDEN = ("o1", "o2_1", "o2_2", "o3")
"""Activation nodes of the lecture network, in forward order (o3 is the prediction)."""

INPUTS = ("x", "y")
LOSS = "L"

_SYMBOLIC = ("activation_expression", "activation_function", "concretize", "DefinedFunction")


def __getattr__(name: str) -> Any:
    """The symbolic helpers of ``reference.network_graphs``, imported (with SymPy) on first use."""
    if name in _SYMBOLIC:
        from reference import network_graphs

        return getattr(network_graphs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

Form = Literal["function", "expr", "stable"]
"""How a graph writes its activation:

* ``"function"``: an opaque SymPy function ``sigmoid(z)`` whose derivative is
  ``sigmoid_prime(z)`` (see ``activation_function``). Paths stay readable and
  path sum == sympy.diff is a fast symbolic identity; ``concretize`` expands it.
* ``"expr"``: the defining expression substituted in (nested Piecewise for ReLU).
* ``"stable"``: the numerically stable equal form, for the float64 oracles.
"""


@functools.cache
def lecture_network(activation: str = "sigmoid", form: Form = "function") -> Graph:
    """The lecture network as a ``Graph`` (cached per activation and form; built by
    ``reference.network_graphs``, which imports SymPy)."""
    from reference.network_graphs import build_lecture_network

    return build_lecture_network(activation, form)


def paths(param: str, activation: str = "sigmoid") -> tuple[PathTerm, ...]:
    """Every chain-rule path from ``param`` to the loss (w1: two, via o2_1 and o2_2)."""
    if param not in PARAMETERS:
        raise KeyError(f"unknown parameter {param!r}; known: {', '.join(PARAMETERS)}")
    return lecture_network(activation).path_terms(param)


@dataclass(frozen=True)
class PathReport:
    """The chain-rule paths of one parameter and the proof that they add up to dL/dparam.

    ``local_sum`` is the sum of the paths' local products (node symbols);
    ``matches_diff`` is True iff the sum of the products at the forward values
    expands to exactly ``sympy.diff`` of the composed loss (the activation is
    the opaque ``activation_function``, so the identity is checked symbolically).
    """

    param: str
    activation: str
    terms: tuple[PathTerm, ...]
    local_sum: sp.Expr
    matches_diff: bool


def path_report(param: str, activation: str = "sigmoid") -> PathReport:
    """``paths`` of ``param`` with their sum and the check against ``sympy.diff``."""
    import sympy as sp

    terms = paths(param, activation)
    graph = lecture_network(activation)
    difference = graph.gradient(param) - graph.direct_gradient(param)
    return PathReport(param, activation, terms, sum_over_paths((t.local_product,) for t in terms),
                      sp.expand(difference) == 0)


def _checked(params: Mapping[str, float]) -> dict[str, float]:
    missing = sorted(set(PARAMETERS) - set(params))
    extra = sorted(set(params) - set(PARAMETERS))
    if missing or extra:
        raise ValueError(f"parameters must be exactly {', '.join(PARAMETERS)};"
                         f" missing {missing}, unexpected {extra}")
    return {k: float(params[k]) for k in PARAMETERS}


def forward(params: Mapping[str, float], x: Any, activation: str = "sigmoid") -> dict[str, FloatArray]:
    """o1, o2_1, o2_2, o3 in float64, each with the shape of ``x`` (scalar or 1-D)."""
    graph = lecture_network(activation, "stable")
    values = graph.evaluate({**_checked(params), "x": as_float64(x)}, stop_at=HIDDEN[-1])
    return {name: values[name] for name in HIDDEN}


def loss(params: Mapping[str, float], x: Any, y: Any, activation: str = "sigmoid") -> float:
    """mean((y - o3)^2) over the batch."""
    graph = lecture_network(activation, "stable")
    values = graph.evaluate({**_checked(params), "x": as_float64(x), "y": as_float64(y)})
    return float(np.mean(values[LOSS]))


def backward(params: Mapping[str, float], x: Any, y: Any,
             activation: str = "sigmoid") -> dict[str, float]:
    """dL/dp for every parameter, L = mean((y - o3)^2) over the batch.

    Per-sample gradients come from the graph; their mean is the gradient of the
    mean loss because differentiation is linear.
    """
    return loss_and_gradients(params, x, y, activation)[1]


def loss_and_gradients(params: Mapping[str, float], x: Any, y: Any,
                       activation: str = "sigmoid") -> tuple[float, dict[str, float]]:
    """``loss`` and ``backward`` from one forward pass."""
    graph = lecture_network(activation, "stable")
    values = {**_checked(params), "x": as_float64(x), "y": as_float64(y)}
    forward_values, grads = graph.forward_and_gradients(values)
    return float(np.mean(forward_values[LOSS])), {p: float(np.mean(grads[p])) for p in PARAMETERS}


def train(params: Mapping[str, float], x: Any, y: Any, lr: float, steps: int,
          activation: str = "sigmoid") -> tuple[dict[str, float], list[float]]:
    """``steps`` of plain gradient descent p <- p - lr dL/dp on the whole batch.

    Returns the final parameters (a new dict) and ``steps + 1`` losses:
    ``losses[k]`` is the loss after k updates (``losses[0]`` the initial one).
    """
    current = _checked(params)
    losses: list[float] = []
    for _ in range(steps):
        value, grads = loss_and_gradients(current, x, y, activation)
        losses.append(value)
        current = {p: float(gradient_descent_step(current[p], grads[p], lr)) for p in PARAMETERS}
    losses.append(loss(current, x, y, activation))
    return current, losses


@functools.cache
def deep_chain(n: int, activation: str = "sigmoid", form: Form = "function") -> Graph:
    """h_k = act(w_k h_{k-1}) for k = 1..n as a ``Graph`` with input h0 and output h{n}."""
    if n < 1:
        raise ValueError(f"a chain needs at least one layer, got n={n}")
    from reference.network_graphs import build_deep_chain

    return build_deep_chain(n, activation, form)


def _chain_values(x: Any, weights: Sequence[float]) -> dict[str, Any]:
    return {"h0": as_float64(x), **{f"w{k}": float(w) for k, w in enumerate(weights, start=1)}}


def deep_chain_forward(x: Any, weights: Sequence[float],
                       activation: str = "sigmoid") -> list[FloatArray]:
    """[h0 = x, h1, ..., hn] in float64 (n = len(weights)), each shaped like ``x``."""
    graph = deep_chain(len(weights), activation, "stable")
    values = graph.evaluate(_chain_values(x, weights))
    return [values[f"h{k}"] for k in range(len(weights) + 1)]


def deep_chain_gradients(x: Any, weights: Sequence[float],
                         activation: str = "sigmoid") -> FloatArray:
    """g[k] = d h_n / d w_{k+1}, shape (n, *x.shape): one row per weight, first layer first."""
    graph = deep_chain(len(weights), activation, "stable")
    grads = graph.numeric_gradients(_chain_values(x, weights))
    return np.stack([grads[f"w{k}"] for k in range(1, len(weights) + 1)])


def vanishing_bound(x: Any, weights: Sequence[float], activation: str = "sigmoid") -> FloatArray:
    """Upper bound on |d h_n / d w_1| = |x| * M**n * prod_{k>=2} |w_k|.

    d h_n/d w_1 = x f'(z_1) prod_{k>=2} w_k f'(z_k), and every |f'| <= M, the
    derived sup |f'| (``chain_derivative_bound``; sigmoid: M = 1/4).
    """
    from reference.chain_bound import chain_derivative_bound

    # (sup|f'|)**n exactly, then one rounding to float64.
    factor = float(chain_derivative_bound(activation, 1).factor_bound ** len(weights))
    return np.abs(as_float64(x)) * factor * float(np.prod(np.abs(as_float64(weights[1:]))))
