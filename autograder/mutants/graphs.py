"""Candidate mistakes of the functions the reference computes on its graphs.

The lecture network and the deep chain are ``reference.graph.Graph`` s written with the
opaque activation (``sigmoid(z)``, ``sigmoid_prime(z)``), so every local derivative reads as
the lecture writes it (``w4*sigmoid_prime(w4*o2_1 + w5*o2_2 + b4)``). A candidate rewrites one
local derivative's template (every layer sharing it gets the same change, as a student's loop
does), puts a layer's pre-activation, its own output or the input of the layer below where its
input belongs, uses the derivative in place of the activation in the forward pass (or the
activation of the weight alone, f(w)·h), applies the weights in reverse order, stops a loop one
layer early at either end, reuses the first step's gradients in every step, or replaces a weight by
its neighbour. Gradients are accumulated backwards from the output, as ``Graph`` does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from autograder.mutants.candidates import Candidate, _as_int
from autograder.mutants.derivations import compiled
from autograder.mutants.rewrites import rewrites, show

Edges = Mapping[tuple[str, str], sp.Expr]
EDGE_FAMILIES = ("sign", "factor", "drop-factor", "power")
"""The rewrites tried on a local derivative (dropping a term of f'(z) itself is the activation's own
mistake, named by its own function)."""


@dataclass(frozen=True)
class Change:
    tag: str
    text: str
    edges: Edges
    """The local derivatives that differ from the reference's (child, parent) -> expression."""


def _graph(function: str, n: int, activation: str) -> Any:
    from reference.network import deep_chain, lecture_network

    return lecture_network(activation) if function in ("forward", "backward", "train") else deep_chain(n, activation)


def _concrete(expr: sp.Expr) -> sp.Expr:
    from reference.network import concretize

    return concretize(expr)


@functools.cache
def _edge(expr: sp.Expr) -> tuple[tuple[str, ...], Callable[..., Any]]:
    symbols = tuple(sorted(expr.free_symbols, key=lambda s: s.name))
    return tuple(s.name for s in symbols), compiled(_concrete(expr), symbols)


def _pre_activation(graph: Any, node: str) -> sp.Expr | None:
    expr = graph.expressions.get(node)
    return expr.args[0] if expr is not None and len(expr.args) == 1 else None


def _edge_changes(graph: Any, single: bool) -> list[Change]:
    """The changes of ``graph``'s local derivatives; ``single``: also each weight's own (a graph of
    fixed size: the chain's changes must come in the same order at every depth)."""
    from reference.graph import canonical_form

    edges = {(child, parent): graph.local_derivative(child, parent)
             for child, _ in graph.nodes for parent in graph.node_parents(child)}
    by_template: dict[sp.Expr, list[tuple[str, str]]] = {}
    for key, expr in edges.items():
        by_template.setdefault(canonical_form(expr)[0], []).append(key)
    changes: list[Change] = []
    for keys in by_template.values():
        first = edges[keys[0]]
        for rewrite in rewrites(first):
            if rewrite.tag not in EDGE_FAMILIES:
                continue
            args = canonical_form(first)[1]
            changed = {}
            for key in keys:
                mapping = dict(zip(args, canonical_form(edges[key])[1]))
                changed[key] = rewrite.expr.xreplace(mapping)
            where = f"d{keys[0][0]}/d{keys[0][1]}" + (f" (and {len(keys) - 1} more like it)" if len(keys) > 1 else "")
            changes.append(Change(rewrite.tag, f"in the local derivative {where} = {show(first)}: {rewrite.text}",
                                  changed))
    parameters = set(graph.parameters)
    changes += _slope_on_output(graph, edges, single)
    changes += _swapped_factors(graph, edges) if single else []
    for which in ("parent", "child", "output", "below"):
        changed = {}
        for (child, parent), expr in edges.items():
            if parent not in parameters:
                continue
            factors = sp.Mul.make_args(expr)
            for factor in factors:
                if not isinstance(factor, sp.Symbol) or factor.name in parameters:
                    continue
                if which == "output":  # the layer's own output where its input belongs
                    swapped: sp.Expr | None = sp.Symbol(child) if factor.name in (*graph.expressions,
                                                                                 *graph.inputs) else None
                elif which == "below":  # the input of the layer below where that layer's output belongs
                    swapped = _layer_input(graph, factor.name)
                elif which == "child" or factor.name in graph.expressions:  # the input's own z too
                    swapped = _pre_activation(graph, factor.name if which == "parent" else child)
                else:
                    swapped = None
                if swapped is not None:  # only this factor: the same symbol inside f'(z) stays
                    changed[(child, parent)] = sp.Mul(*(swapped if f is factor else f for f in factors))
        if not changed:
            continue
        if which == "output":
            tag, text = "index", ("a layer's own output is used where its input (the output of the layer below) "
                                  "belongs in dL/dw: a layer off by one")
        elif which == "below":
            tag, text = "index", ("the input of the layer below is used where that layer's output (this layer's "
                                  "input) belongs in dL/dw: a layer off by one, one layer too far down")
        else:
            whose = "its own layer's" if which == "child" else "that layer's"
            tag, text = "pre-activation", (f"a layer's pre-activation ({whose} z = w·h) is used where the layer's "
                                           "input h, the activation of the layer below, belongs in dL/dw")
        changes.append(Change(tag, text, changed))
        if single and len(changed) > 1:  # one layer's or one weight's gradients, as a student writes each by hand
            layers = sorted({child for child, _ in changed})
            for layer in layers if len(layers) > 1 else ():
                mine = {key: expr for key, expr in changed.items() if key[0] == layer}
                if len(mine) > 1:
                    changes.append(Change(tag, f"{text} (in layer {layer}'s weights only)", mine))
            for (child, parent), expr in changed.items():
                changes.append(Change(tag, f"{text} (in d{child}/d{parent} only: {show(expr)})",
                                      {(child, parent): expr}))
    return changes


def _layer_input(graph: Any, node: str) -> sp.Expr | None:
    """The one input (not a parameter) that ``node``'s layer reads, or None."""
    if node not in graph.expressions:
        return None
    inputs = [p for p in graph.node_parents(node) if p not in graph.parameters]
    return sp.Symbol(inputs[0]) if len(inputs) == 1 else None


def _slope_on_output(graph: Any, edges: Edges, single: bool) -> list[Change]:
    """The activation's derivative evaluated at the layer's output f(z) in place of its z: in every
    layer, and (``single``) in one layer alone."""
    from reference.network_graphs import DefinedFunction

    changed: dict[tuple[str, str], sp.Expr] = {}
    for (child, parent), expr in edges.items():
        if child not in graph.expressions:
            continue
        primes = [e for e in sp.preorder_traversal(expr) if isinstance(e, DefinedFunction)]
        if len(primes) == 1:
            changed[(child, parent)] = expr.xreplace({primes[0]: primes[0].func(sp.Symbol(child, real=True))})
    if not changed:
        return []
    text = "the activation's derivative is evaluated at the layer's output f(z), not at its pre-activation z"
    found = [Change("input", text, changed)]
    layers = sorted({child for child, _ in changed})
    for layer in layers if single and len(layers) > 1 else ():
        found.append(Change("input", f"{text} (in layer {layer} only)",
                            {key: expr for key, expr in changed.items() if key[0] == layer}))
    return found


def _swapped_factors(graph: Any, edges: Edges) -> list[Change]:
    """Two local derivatives of one node (or into one node) with their weight, or their input, exchanged:
    w4 and w5 swapped between the two paths, say."""
    parameters = set(graph.parameters)
    found = []
    keys = [k for k in edges if k[0] in graph.expressions]
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            if a[0] != b[0] and a[1] != b[1]:
                continue
            fa = [f for f in sp.Mul.make_args(edges[a]) if isinstance(f, sp.Symbol)]
            fb = [f for f in sp.Mul.make_args(edges[b]) if isinstance(f, sp.Symbol)]
            if len(fa) != 1 or len(fb) != 1 or fa[0] == fb[0]:
                continue
            if (fa[0].name in parameters) != (fb[0].name in parameters):
                continue
            x, y = fa[0], fb[0]
            swapped = {a: edges[a].xreplace({x: y}), b: edges[b].xreplace({y: x})}
            found.append(Change("swap", f"{x} and {y} are swapped between d{a[0]}/d{a[1]} and d{b[0]}/d{b[1]}",
                                swapped))
    return found


@functools.cache
def _changes(function: str, n: int, activation: str) -> tuple[Change, ...]:
    return (Change("", "", {}), *_edge_changes(_graph(function, n, activation), function != "deep_chain_gradients"))


def _forward(graph: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """Every node's value from ``values``, each node's expression compiled with its activation made
    concrete (the graph's own evaluators keep the opaque activation)."""
    out = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
    for name, expr in graph.nodes:
        names, evaluate = _edge(expr)
        out[name] = evaluate(*(out[a] for a in names))
    return out


def _gradients(graph: Any, values: Mapping[str, Any], edges: Edges) -> dict[str, Any]:
    """d output / d name for every input and parameter, by reverse accumulation with ``edges`` in
    place of the reference's local derivatives."""
    with np.errstate(all="ignore"):
        forward = _forward(graph, values)
        shape = np.broadcast_shapes(*(np.shape(v) for v in forward.values()))
        adjoint: dict[str, Any] = {graph.output: np.ones(shape)}
        for name, _ in reversed(graph.nodes):
            if name not in adjoint:
                continue
            for parent in graph.node_parents(name):
                expr = edges.get((name, parent))
                if expr is None:
                    expr = graph.local_derivative(name, parent)
                names, evaluate = _edge(expr)
                term = adjoint[name] * evaluate(*(forward[a] for a in names))
                adjoint[parent] = adjoint.get(parent, np.zeros(shape)) + term
    return {p: adjoint.get(p, np.zeros(shape)) for p in graph.inputs + graph.parameters}


def _activation(args: tuple[Any, ...], kwargs: Mapping[str, Any], position: int) -> str:
    name = kwargs.get("activation", args[position] if len(args) > position else "sigmoid")
    return name if isinstance(name, str) else "sigmoid"


def _chain_gradients(index: int, activation: str) -> Callable[..., Any]:
    """The ``index``-th change of a chain as deep as each call's weights (the changes of chains of
    every depth come in the same order: one per local-derivative template)."""
    def run(x: Any, weights: Any, activation: str = activation) -> Any:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        graph = _graph("deep_chain_gradients", w.size, activation)
        edges = _changes("deep_chain_gradients", w.size, activation)[index].edges
        values = {"h0": np.asarray(x, dtype=np.float64), **{f"w{k}": float(v) for k, v in enumerate(w, 1)}}
        grads = _gradients(graph, values, edges)
        return np.stack([grads[f"w{k}"] for k in range(1, w.size + 1)])
    return run


def _first_left(gradients: Callable[..., Any]) -> Callable[..., Any]:
    """``gradients`` with the first entry left at 0 (a loop a layer short at its end)."""
    def run(*args: Any, **kwargs: Any) -> Any:
        values = np.array(gradients(*args, **kwargs), dtype=np.float64)
        values[:1] = 0.0
        return values
    return run


def _backward(change: Change) -> Callable[..., Any]:
    from reference.network import PARAMETERS

    def run(params: Mapping[str, Any], x: Any, y: Any, activation: str = "sigmoid") -> Any:
        graph = _graph("backward", 0, activation)
        values = {**{k: float(params[k]) for k in PARAMETERS}, "x": np.asarray(x, dtype=np.float64),
                  "y": np.asarray(y, dtype=np.float64)}
        grads = _gradients(graph, values, change.edges)
        return {p: float(np.mean(grads[p])) for p in PARAMETERS}
    return run


def _train(lr_power: int, sign: float = -1.0, once: bool = False) -> Callable[..., Any]:
    """The reference's loop with the step's learning rate to ``lr_power``, its direction ``sign``, and
    (``once``) the gradients of the first step reused in every step."""
    from reference.network import PARAMETERS, loss_and_gradients

    def run(params: Mapping[str, Any], x: Any, y: Any, lr: float = 0.5, steps: int = 100,
            activation: str = "sigmoid") -> Any:
        current = {p: float(params[p]) for p in PARAMETERS}
        losses = []
        first: dict[str, Any] | None = None
        with np.errstate(all="ignore"):
            for _ in range(int(steps)):
                value, grads = loss_and_gradients(current, x, y, activation)
                if once:
                    first = grads if first is None else first
                    grads = first
                losses.append(value)
                current = {p: current[p] + sign * float(lr) ** lr_power * grads[p] for p in PARAMETERS}
        return current, losses
    return run


def _chain_forward(skip_last: bool, derivative: bool, reverse: bool = False,
                   outside: bool = False) -> Callable[..., Any]:
    """The chain's values with the loop a layer short, the derivative in place of the activation, the
    weights in reverse order, or (``outside``) the activation applied to the weight alone, f(w)·h."""
    from reference.network import deep_chain_forward
    from reference.network_graphs import activation_function

    def run(x: Any, weights: Any, activation: str = "sigmoid") -> Any:
        w = list(np.asarray(weights, dtype=np.float64).reshape(-1))
        if skip_last:
            w = w[:-1]
        if reverse:
            w = w[::-1]
        if outside:
            names, evaluate = _edge(activation_function(activation)(sp.Symbol("z")))
            values = [float(x)]
            with np.errstate(all="ignore"):
                for weight in w:
                    values.append(float(evaluate(weight)) * values[-1])
            return values
        if not derivative:
            return [float(v) for v in deep_chain_forward(x, w, activation)] if w else [float(x)]
        prime = activation_function(activation)(sp.Symbol("z")).fdiff()
        names, evaluate = _edge(prime)
        values = [float(x)]
        for weight in w:
            values.append(float(evaluate(weight * values[-1])))
        return values
    return run


def _network_forward(swap: tuple[str, str]) -> Callable[..., Any]:
    from reference.network import forward

    def run(params: Mapping[str, Any], x: Any, activation: str = "sigmoid") -> Any:
        changed = dict(params)
        changed[swap[1]] = params[swap[0]]
        return forward(changed, x, activation)
    return run


def _network_swap(a: str, b: str) -> Callable[..., Any]:
    from reference.network import forward

    def run(params: Mapping[str, Any], x: Any, activation: str = "sigmoid") -> Any:
        changed = dict(params)
        changed[a], changed[b] = params[b], params[a]
        return forward(changed, x, activation)
    return run


def _rewired(node: str, old: str, new: str) -> Callable[..., Any]:
    """The network's forward pass with ``node`` reading ``new`` where ``old`` belongs."""
    from reference.graph import graph_symbol
    from reference.network import HIDDEN, PARAMETERS, lecture_network

    def run(params: Mapping[str, Any], x: Any, activation: str = "sigmoid") -> Any:
        graph = lecture_network(activation, "stable")
        out: dict[str, Any] = {p: np.asarray(float(params[p])) for p in PARAMETERS}
        out["x"] = np.asarray(x, dtype=np.float64)
        with np.errstate(all="ignore"):
            for name, expr in graph.nodes:
                if name not in HIDDEN:
                    continue
                if name == node:
                    expr = expr.xreplace({graph_symbol(old): graph_symbol(new)})
                names, evaluate = _edge(expr)
                out[name] = np.broadcast_to(evaluate(*(out[a] for a in names)), out["x"].shape).copy()
        return {name: out[name] for name in HIDDEN}
    return run


def _rewirings() -> list[Candidate]:
    """Each layer reading another earlier value (the input x, another layer's output) in place of one
    of its inputs."""
    from reference.network import HIDDEN, lecture_network

    graph = lecture_network("sigmoid", "stable")
    found = []
    earlier: list[str] = list(graph.inputs[:1])
    for name, _ in graph.nodes:
        if name not in HIDDEN:
            continue
        for parent in graph.node_parents(name):
            if parent in graph.parameters or parent not in (*earlier, *HIDDEN):
                continue
            for other in earlier:
                if other != parent:
                    found.append(Candidate("input", f"{name} is computed from {other} where {parent} belongs (the "
                                           "wrong layer's value feeds it)", _rewired(name, parent, other)))
        earlier.append(name)
    return found


def graph_candidates(function: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> list[Candidate]:
    if function == "deep_chain_gradients" and len(args) >= 2:
        n = int(np.asarray(args[1]).size)
        activation = _activation(args, kwargs, 2)
        found = [Candidate(c.tag, c.text, _chain_gradients(i, activation))
                 for i, c in enumerate(_changes(function, n, activation))]
        reference = found[0].function
        return [*found, Candidate("int", "the gradients are kept in an integer array (np.zeros_like of int "
                                  "weights), so each one is cut to an integer",
                                  lambda *a, **k: _as_int(reference(*a, **k))),
                Candidate("index", "the backward loop stops one layer short, before the first layer: the first "
                          "weight's gradient is never written (it keeps its initial 0); the range must reach "
                          "index 0", _first_left(reference))]
    if function == "backward":
        activation = _activation(args, kwargs, 3)
        return [Candidate(c.tag, c.text, _backward(c)) for c in _changes(function, 0, activation)]
    if function == "train":
        return [Candidate("", "", _train(1)),
                Candidate("lr-twice", "the learning rate is applied twice (the step lr·dL/dw is multiplied by lr "
                          "again)", _train(2)),
                Candidate("sign", "the step goes up the gradient, w + lr·dL/dw, not down it (gradient ascent: "
                          "the loss grows)", _train(1, 1.0)),
                Candidate("lr-inverted", "the gradient is divided by the learning rate, not multiplied by it",
                          _train(-1)),
                Candidate("stale", "the gradients are computed once, before the loop, and reused in every step; "
                          "compute them again from the current weights inside the loop", _train(1, once=True))]
    if function == "deep_chain_forward":
        return [Candidate("", "", _chain_forward(False, False)),
                Candidate("index", "the loop stops one layer early: h_n is missing", _chain_forward(True, False)),
                Candidate("forward", "each layer applies the activation's derivative in place of the activation",
                          _chain_forward(False, True)),
                Candidate("order", "the weights are applied in reverse order: the first layer uses the last weight",
                          _chain_forward(False, False, reverse=True)),
                Candidate("argument", "each layer applies the activation to the weight alone and multiplies by the "
                          "layer's input, f(w)·h, in place of f(w·h)", _chain_forward(False, False, outside=True))]
    if function == "forward":
        from reference.network import PARAMETERS

        found = [Candidate("", "", _network_forward((PARAMETERS[0], PARAMETERS[0])))]
        for a, b in zip(PARAMETERS, PARAMETERS[1:]):
            if a[0] == b[0]:
                found.append(Candidate("index", f"{a} is used where {b} belongs (an index off by one)",
                                       _network_forward((a, b))))
                found.append(Candidate("index", f"{b} is used where {a} belongs (an index off by one)",
                                       _network_forward((b, a))))
        for i, a in enumerate(PARAMETERS):
            for b in PARAMETERS[i + 1:]:
                if a[0] == b[0]:
                    found.append(Candidate("swap", f"{a} and {b} are swapped", _network_swap(a, b)))
        return found + _rewirings()
    return []
