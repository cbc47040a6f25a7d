"""The lecture network and the deep chain as SymPy graphs (see ``reference.network``).

This module imports SymPy; ``reference.network`` builds its graphs through it
on first use, so its constants and signatures cost nothing to import.
"""

from __future__ import annotations

import functools

import sympy as sp

from reference.activations import get_activation
from reference.graph import Graph, graph_symbol
from reference.network import INPUTS, LOSS, PARAMETERS, Form
from reference.symbols import x as activation_input


def activation_expression(activation: str, form: Form = "expr") -> sp.Expr:
    """The activation in ``reference.symbols.x`` with its defaults bound.

    ``form="stable"`` gives the numerically stable equal form when there is one.
    """
    act = get_activation(activation)
    chosen = act.stable if form == "stable" and act.stable is not None else act.expr
    return act.bind(chosen)


class DefinedFunction(sp.Function):
    """A one-argument function that stands for ``definition`` (an expression in x)."""

    nargs = 1
    definition: sp.Expr = sp.S.Zero

    def expand_definition(self) -> sp.Expr:
        return self.definition.xreplace({activation_input: self.args[0]})


@functools.cache
def activation_function(activation: str) -> type[DefinedFunction]:
    """The opaque function ``activation(z)``; d/dz is ``activation_prime(z)``.

    ``activation_prime`` stands for ``sympy.diff`` of the activation's defining
    expression (defaults bound), so the kink conventions carry over.
    """
    definition = activation_expression(activation, "expr")
    prime = type(f"{activation}_prime", (DefinedFunction,),
                 {"definition": sp.diff(definition, activation_input)})

    def fdiff(self: DefinedFunction, argindex: int = 1) -> sp.Expr:
        return prime(self.args[0])

    return type(activation, (DefinedFunction,), {"definition": definition, "fdiff": fdiff})


def concretize(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every opaque activation (and derivative) replaced by its definition."""
    return expr.replace(lambda e: isinstance(e, DefinedFunction),
                        lambda e: e.expand_definition())


def _act(activation: str, form: Form, pre_activation: sp.Expr) -> sp.Expr:
    if form == "function":
        return activation_function(activation)(pre_activation)
    # xreplace does not rewrite inside the replacement, so the network input,
    # also named x, is never substituted twice.
    return activation_expression(activation, form).xreplace({activation_input: pre_activation})


def build_lecture_network(activation: str, form: Form) -> Graph:
    """The lecture network's nodes, o1 .. o3 and the loss L (see ``reference.network``)."""
    s = graph_symbol
    nodes = (
        ("o1", _act(activation, form, s("w1") * s("x") + s("b1"))),
        ("o2_1", _act(activation, form, s("w2") * s("o1") + s("b2"))),
        ("o2_2", _act(activation, form, s("w3") * s("o1") + s("b3"))),
        ("o3", _act(activation, form, s("w4") * s("o2_1") + s("w5") * s("o2_2") + s("b4"))),
        (LOSS, (s("y") - s("o3")) ** 2),
    )
    return Graph(nodes, INPUTS, PARAMETERS, LOSS)


def build_deep_chain(n: int, activation: str, form: Form) -> Graph:
    """h_k = act(w_k h_{k-1}) for k = 1..n, input h0 and output h{n}."""
    s = graph_symbol
    nodes = tuple((f"h{k}", _act(activation, form, s(f"w{k}") * s(f"h{k - 1}")))
                  for k in range(1, n + 1))
    return Graph(nodes, ("h0",), tuple(f"w{k}" for k in range(1, n + 1)), f"h{n}")
