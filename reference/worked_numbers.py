"""The lecture's worked numbers, for any choice of the numbers in them.

* the chain product of the vanishing gradient (0.25 x 0.15 x 0.10 x 0.05 x 0.02
  in the lecture) and the weight it moves, w_new = w_old - eta * product,
  which stays w_new ~ w_old;
* the two-path gradient dL/dw1 of the lecture network worked by hand: each
  path's chain-rule product at the forward values (``reference.graph``'s path
  terms of the network of ``reference.network``), their sum, one update step;
* the first-layer gradient of a deep sigmoid chain against its bound
  |x| (1/4)^n prod_{k>=2} |w_k| (``reference.network.vanishing_bound``);
* the output layer of each task, the lecture's rule (``reference.guidance``)
  with the property that makes it right, derived.

Exact inputs (``Rational``) give exact or 30-digit results: a hand calculation
is compared with them, never with another float routine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from reference.concepts import activation_facts
from reference.graph import graph_symbol
from reference.guidance import OUTPUT_ACTIVATIONS
from reference.losses import chain_rule, sum_over_paths
from reference.network import deep_chain, lecture_network

DIGITS = 30
"""Digits of every evaluated worked number (far beyond any hand calculation's)."""


def chain_product(factors: Sequence[sp.Expr]) -> sp.Expr:
    """The product of the local derivatives down a chain, exactly."""
    return sp.nsimplify(chain_rule(sp.nsimplify(f) for f in factors))


def updated_weight(w_old: sp.Expr, lr: sp.Expr, gradient: sp.Expr) -> sp.Expr:
    """w_new = w_old - eta * dL/dw, exactly for exact inputs."""
    return sp.nsimplify(w_old) - sp.nsimplify(lr) * sp.nsimplify(gradient)


def relative_change(w_old: sp.Expr, lr: sp.Expr, gradient: sp.Expr) -> sp.Expr:
    """|w_new - w_old| / |w_old|: how far one step moves the weight, relative to it."""
    return sp.Abs(updated_weight(w_old, lr, gradient) - sp.nsimplify(w_old)) / sp.Abs(sp.nsimplify(w_old))


@dataclass(frozen=True)
class TwoPathGradient:
    """dL/d``param`` of the lecture network as the sum of its chain-rule paths.

    ``paths`` are the node names source first (w1 -> o1 -> o2_1 -> o3 -> L);
    ``products`` each path's product at the forward values; ``gradient`` their
    sum; ``updated`` the parameter after one step ``param - lr * gradient``.
    """

    param: str
    paths: tuple[tuple[str, ...], ...]
    products: tuple[sp.Float, ...]
    gradient: sp.Float
    updated: sp.Float


def two_path_gradient(values: Mapping[str, sp.Expr], lr: sp.Expr, param: str = "w1",
                      activation: str = "sigmoid") -> TwoPathGradient:
    """The paths of ``param`` evaluated at ``values`` (every parameter, x and y) to ``DIGITS``."""
    graph = lecture_network(activation, "expr")
    subs = {graph_symbol(k): sp.nsimplify(v) for k, v in values.items()}
    terms = graph.path_terms(param)
    products = tuple(sp.Float(sp.N(t.product.xreplace(subs), DIGITS), DIGITS) for t in terms)
    gradient = sp.Float(sum_over_paths((p,) for p in products), DIGITS)
    updated = sp.Float(sp.N(updated_weight(subs[graph_symbol(param)], lr, gradient), DIGITS), DIGITS)
    return TwoPathGradient(param, tuple(t.nodes for t in terms), products, gradient, updated)


@dataclass(frozen=True)
class ChainFirstLayer:
    """d h_n / d w_1 of the deep chain h_k = f(w_k h_(k-1)) at ``x`` and ``weights``, and its bound
    |x| (sup|f'|)^n prod_(k>=2) |w_k| (``reference.chain_bound``; sigmoid: (1/4)^n)."""

    n: int
    gradient: sp.Float
    bound: sp.Float


def chain_first_layer(x_value: sp.Expr, weights: Sequence[sp.Expr], activation: str = "sigmoid") -> ChainFirstLayer:
    """The first layer's gradient (the chain's one path, at the forward values) and its bound, to ``DIGITS``."""
    from reference.chain_bound import chain_derivative_bound

    n = len(weights)
    graph = deep_chain(n, activation, "expr")
    subs = {graph_symbol("h0"): sp.nsimplify(x_value),
            **{graph_symbol(f"w{k}"): sp.nsimplify(w) for k, w in enumerate(weights, start=1)}}
    gradient = sp.Float(sp.N(graph.gradient("w1").xreplace(subs), DIGITS), DIGITS)
    factor = chain_derivative_bound(activation, n).bound
    rest = sp.Mul(*(sp.Abs(sp.nsimplify(w)) for w in weights[1:]))
    bound = sp.Float(sp.N(sp.Abs(sp.nsimplify(x_value)) * factor * rest, DIGITS), DIGITS)
    return ChainFirstLayer(n, gradient, bound)


def output_layer_reason(task: str) -> str:
    """Why the lecture's output activation suits ``task``, from a derived property; raises
    ``ValueError`` if the property fails (a guidance entry the reference cannot justify)."""
    chosen = OUTPUT_ACTIVATIONS[task]
    if chosen == "sigmoid":
        output = activation_facts("sigmoid").output_range
        if not output.is_subset(sp.Interval(0, 1)):
            raise ValueError(f"sigmoid's range {output} is no probability")
        return f"one probability: sigmoid's range is {output}"
    if chosen == "softmax":
        from reference.softmax import symbolic_softmax

        total = sp.simplify(sum(symbolic_softmax(3)))
        if total != 1:
            raise ValueError(f"softmax's outputs add up to {total}")
        return "one probability per class: softmax's outputs are positive and add up to 1"
    if chosen == "linear":
        return "any real number: the identity's range is (-oo, oo), unbounded, as a regression target"
    raise ValueError(f"no derived reason for {chosen!r} on {task!r}")
