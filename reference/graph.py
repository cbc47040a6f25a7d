"""A small symbolic computational graph and the chain rule as a sum over paths.

A ``Graph`` is a list of nodes in topological order; each node is a SymPy
expression of named symbols: inputs, parameters and earlier nodes. The
gradient of the output with respect to any name ``w`` is the lecture's rule

    dL/dw = sum over every path w -> ... -> L of the product of the local
            derivatives d child / d parent along the path,

where every local derivative is ``sympy.diff`` of the child's expression with
respect to the parent's symbol, evaluated at the forward values (each node
symbol replaced by its composed expression).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from reference.compile import compile_expression
from reference.losses import chain_rule, sum_over_paths
from reference.numeric import Evaluator, FloatArray, as_float64


def graph_symbol(name: str) -> sp.Symbol:
    """The symbol every graph uses for ``name`` (real, so SymPy simplifies freely)."""
    return sp.Symbol(name, real=True)


def _placeholders(arity: int) -> tuple[sp.Symbol, ...]:
    return tuple(graph_symbol(f"__arg{i}") for i in range(arity))


def canonical_form(expr: sp.Expr) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """``expr`` with its free symbols (sorted by name) renamed to positional placeholders.

    Identical layers (h_k = act(w_k h_{k-1}) for every k) then share one
    template, so their derivatives and compiled evaluators are computed once.
    """
    args = tuple(sorted(expr.free_symbols, key=lambda s: s.name))
    return expr.xreplace(dict(zip(args, _placeholders(len(args))))), args


@functools.cache
def _template_derivative(template: sp.Expr, index: int, arity: int) -> sp.Expr:
    return sp.diff(template, _placeholders(arity)[index])


def local_diff(expr: sp.Expr, wrt: sp.Symbol) -> sp.Expr:
    """``sympy.diff(expr, wrt)``, computed once per canonical template."""
    template, args = canonical_form(expr)
    if wrt not in args:
        return sp.S.Zero
    derivative = _template_derivative(template, args.index(wrt), len(args))
    return derivative.xreplace(dict(zip(_placeholders(len(args)), args)))


@functools.cache
def _compiled_template(template: sp.Expr, arity: int) -> Evaluator:
    return compile_expression(template, _placeholders(arity))


@functools.cache
def _compiled_template_derivative(template: sp.Expr, index: int, arity: int) -> Evaluator:
    return _compiled_template(_template_derivative(template, index, arity), arity)


@dataclass(frozen=True)
class PathTerm:
    """One chain-rule path ``nodes[0] -> ... -> nodes[-1]`` (source first, output last).

    ``factors`` are the local derivatives in the lecture's order, output first:
    d nodes[-1]/d nodes[-2], ..., d nodes[1]/d nodes[0], each in node symbols.
    ``local_product`` is their product; ``product`` is it at the forward values.
    """

    nodes: tuple[str, ...]
    factors: tuple[sp.Expr, ...]
    local_product: sp.Expr
    product: sp.Expr

    def to_json(self) -> dict[str, Any]:
        """Plain data as SymPy strings: ``product`` is the readable ``local_product``;
        ``product_at_forward_values`` is ``product``."""
        return {"nodes": list(self.nodes), "factors": [str(f) for f in self.factors],
                "product": str(self.local_product),
                "product_at_forward_values": str(self.product)}


@dataclass(frozen=True)
class Graph:
    """Nodes ``(name, expression)`` in topological order over ``inputs`` and ``parameters``.

    ``output`` names the node that gradients are taken of (the loss).
    """

    nodes: tuple[tuple[str, sp.Expr], ...]
    inputs: tuple[str, ...]
    parameters: tuple[str, ...]
    output: str

    def __post_init__(self) -> None:
        known = set(self.inputs) | set(self.parameters)
        for name, expr in self.nodes:
            unknown = {s.name for s in expr.free_symbols} - known
            if unknown:
                raise ValueError(f"node {name!r} uses undefined {sorted(unknown)}")
            known.add(name)
        if self.output not in dict(self.nodes):
            raise ValueError(f"output {self.output!r} is not a node")

    @cached_property
    def expressions(self) -> dict[str, sp.Expr]:
        return dict(self.nodes)

    @cached_property
    def _canonical(self) -> dict[str, tuple[sp.Expr, tuple[sp.Symbol, ...]]]:
        return {name: canonical_form(expr) for name, expr in self.nodes}

    def node_parents(self, name: str) -> tuple[str, ...]:
        """The names a node's expression uses, sorted by name."""
        return tuple(s.name for s in self._canonical[name][1])

    def children(self, name: str) -> tuple[str, ...]:
        """Nodes whose expression uses ``name``, in topological order."""
        return tuple(n for n, e in self.nodes if graph_symbol(name) in e.free_symbols)

    def paths(self, source: str) -> tuple[tuple[str, ...], ...]:
        """Every path from ``source`` to the output, each as names source-first."""
        if source == self.output:
            return ((source,),)
        return tuple((source, *rest) for child in self.children(source)
                     for rest in self.paths(child))

    @cached_property
    def _local_derivatives(self) -> dict[tuple[str, str], sp.Expr]:
        # Per-graph memo (functools.cache on a method would keep every graph alive).
        return {}

    def local_derivative(self, child: str, parent: str) -> sp.Expr:
        """d child / d parent by ``sympy.diff``, in the child's argument symbols."""
        key = (child, parent)
        if key not in self._local_derivatives:
            self._local_derivatives[key] = local_diff(self.expressions[child],
                                                      graph_symbol(parent))
        return self._local_derivatives[key]

    @cached_property
    def composed(self) -> dict[str, sp.Expr]:
        """Each node as an expression of the inputs and parameters only."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for name, expr in self.nodes:
            values[graph_symbol(name)] = expr.xreplace(values)
        return {s.name: e for s, e in values.items()}

    def at_forward_values(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with every node symbol replaced by that node's composed expression."""
        return expr.xreplace({graph_symbol(n): e for n, e in self.composed.items()})

    def path_term(self, path: tuple[str, ...]) -> PathTerm:
        """The chain-rule term of one path (see ``PathTerm``)."""
        edges = list(zip(path[1:], path[:-1]))[::-1]
        factors = tuple(self.local_derivative(child, parent) for child, parent in edges)
        local = chain_rule(factors)
        return PathTerm(tuple(path), factors, local, self.at_forward_values(local))

    def path_terms(self, source: str) -> tuple[PathTerm, ...]:
        """``path_term`` of every path from ``source`` to the output."""
        self._check_name(source)
        return tuple(self.path_term(p) for p in self.paths(source))

    def gradient(self, source: str) -> sp.Expr:
        """d output / d source as the sum over paths of the chain-rule products."""
        return sp.sympify(sum_over_paths((t.product,) for t in self.path_terms(source)))

    def direct_gradient(self, source: str) -> sp.Expr:
        """d output / d source by ``sympy.diff`` of the composed output (the cross-check)."""
        self._check_name(source)
        return sp.diff(self.composed[self.output], graph_symbol(source))

    def _check_name(self, name: str) -> None:
        if name not in self.expressions and name not in self.parameters + self.inputs:
            known = ", ".join(self.parameters + self.inputs + tuple(self.expressions))
            raise KeyError(f"unknown name {name!r}; known: {known}")

    # Numeric evaluation works on the canonical templates: every evaluator takes
    # the node's arguments (``node_parents``) in order, whatever it depends on.
    def _node_evaluator(self, name: str) -> Evaluator:
        template, args = self._canonical[name]
        return _compiled_template(template, len(args))

    def _edge_evaluator(self, child: str, parent: str) -> Evaluator:
        template, args = self._canonical[child]
        return _compiled_template_derivative(template, self.node_parents(child).index(parent),
                                             len(args))

    def evaluate(self, values: Mapping[str, Any], stop_at: str | None = None) -> dict[str, FloatArray]:
        """Forward pass in float64: ``values`` (inputs and parameters) plus every node.

        With ``stop_at``, nodes after that one are skipped (so a forward pass of a
        network does not need the loss's target). A missing value is a KeyError.
        """
        out = {k: as_float64(v) for k, v in values.items()}
        for name, _ in self.nodes:
            # Underflow to a subnormal or 0 is the correctly rounded value of a
            # node that is tiny (e.g. w * h with h = 1e-305); overflow still raises.
            with np.errstate(under="ignore"):
                out[name] = self._node_evaluator(name)(*(out[a] for a in self.node_parents(name)))
            if name == stop_at:
                break
        return out

    def numeric_gradients(self, values: Mapping[str, Any]) -> dict[str, FloatArray]:
        """d output / d name in float64 for every input and parameter, elementwise."""
        return self.forward_and_gradients(values)[1]

    def forward_and_gradients(
        self, values: Mapping[str, Any]
    ) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
        """The forward values and d output / d name for every input and parameter.

        Reverse accumulation over the graph: the adjoint of a name is the sum over
        its children of (child's adjoint) * (local derivative). Expanding the
        recursion gives exactly the sum over paths of the chain-rule products;
        it just shares common path suffixes instead of recomputing them.
        """
        forward = self.evaluate(values)
        shape = np.broadcast_shapes(*(v.shape for v in forward.values()))
        adjoint: dict[str, FloatArray] = {self.output: np.ones(shape)}
        for name, _ in reversed(self.nodes):
            if name not in adjoint:
                continue
            args = [forward[a] for a in self.node_parents(name)]
            for parent in self.node_parents(name):
                # A product of several tiny local derivatives (saturated sigmoids,
                # 1e-300 each) can lie below float64's range: rounding it to a
                # subnormal or 0 is the correct result, not an error.
                with np.errstate(under="ignore"):
                    term = adjoint[name] * self._edge_evaluator(name, parent)(*args)
                adjoint[parent] = adjoint.get(parent, np.zeros(shape)) + term
        grads = {n: adjoint.get(n, np.zeros(shape)) for n in self.inputs + self.parameters}
        return forward, grads
