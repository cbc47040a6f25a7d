"""The lecture's judgements about an activation, derived from its expression.

The lecture says sigmoid is bounded in (0, 1) but not zero-centred, that it
saturates and costs an exponential, that ReLU dies for negative inputs and is
not smooth at 0, that tanh' is at most 1. ``derive_facts`` reads every such
claim off an expression ``f(x)`` (parameters bound), so the keys of concept
questions follow when an expression changes (a shifted sigmoid, a ReLU
replaced by softplus):

* **range** and **sup f'**: ``reference.analysis`` branch by branch;
* **zero-centred**: f(0) = 0 and f takes both signs (inf f < 0 < sup f), the
  definition of ``reference.properties``;
* **saturating sides**: the ends -oo/oo where lim f' = 0;
* **dead region**: the x where f' = 0, solved per branch (``solveset``);
  it "dies for negative inputs" when that set covers an interval of x < 0;
* **smooth at 0**: the slopes of the branches left and right of 0 tend to the
  same limit (ReLU: 0 and 1; ELU with alpha = 1: 1 and 1);
* **evaluates an exponential**: ``exp`` in the expression tree once written
  with exponentials (``tanh`` rewritten to ``(e^x - e^-x)/(e^x + e^-x)``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from reference.activations import get_activation
from reference.analysis import Branch, analyse, branches
from reference.symbols import x

SIDES = ("-oo", "oo")
"""The two ends of the real line, as ``ActivationFacts.saturating`` names them."""


@dataclass(frozen=True)
class ActivationFacts:
    """What the lecture claims of an activation, each derived (see the module doc)."""

    name: str
    expr: sp.Expr
    output_range: sp.Set
    value_at_0: sp.Expr
    slope_max: sp.Expr
    slope_max_at: sp.Set
    slope_limits: tuple[tuple[str, sp.Expr], ...]
    dead_region: sp.Set
    slopes_at_0: tuple[sp.Expr, sp.Expr]
    evaluates_exp: bool

    @property
    def saturating(self) -> tuple[str, ...]:
        """The ends ("-oo", "oo") where f' tends to 0."""
        return tuple(end for end, limit in self.slope_limits if limit.is_zero)

    @property
    def saturates_both_sides(self) -> bool:
        return set(self.saturating) == set(SIDES)

    @property
    def saturates_for_positive_inputs(self) -> bool:
        return "oo" in self.saturating

    @property
    def zero_centred(self) -> bool:
        low, high = self.output_range.inf, self.output_range.sup
        return bool(self.value_at_0.is_zero) and bool(low.is_extended_negative) and bool(high.is_extended_positive)

    @property
    def bounded(self) -> bool:
        return bool(self.output_range.inf.is_finite) and bool(self.output_range.sup.is_finite)

    @property
    def dies_for_negative_inputs(self) -> bool:
        """f' = 0 on an interval of negative inputs: a unit there stops learning."""
        negative = self.dead_region.intersect(sp.Interval.open(-sp.oo, 0))
        return bool(sp.sympify(negative.measure).is_extended_positive)

    @property
    def smooth_at_0(self) -> bool:
        left, right = self.slopes_at_0
        return bool(sp.simplify(left - right) == 0)


def _slope_limits(df_pairs: list[Branch]) -> tuple[tuple[str, sp.Expr], ...]:
    limits = []
    for end in (-sp.oo, sp.oo):
        slope, _ = next(pair for pair in df_pairs if end in (pair[1].inf, pair[1].sup))
        limits.append((str(end), sp.limit(slope, x, end) if slope.has(x) else slope))
    return tuple(limits)


def _dead_region(df_pairs: list[Branch]) -> sp.Set:
    return sp.Union(*(sp.solveset(sp.Eq(slope, 0), x, interval) for slope, interval in df_pairs))


def _slopes_at_0(df_pairs: list[Branch]) -> tuple[sp.Expr, sp.Expr]:
    """lim f'(x) as x -> 0 from the left and from the right, each on the branch that holds
    that side (``sympy.limit`` of a whole Piecewise does not pick the branch by side)."""
    left = next(s for s, i in df_pairs if i.inf < 0 and i.sup >= 0)
    right = next(s for s, i in df_pairs if i.sup > 0 and i.inf <= 0)
    return sp.limit(left, x, 0, "-"), sp.limit(right, x, 0, "+")


def derive_facts(name: str, expr: sp.Expr) -> ActivationFacts:
    """Every fact of ``ActivationFacts`` for ``expr``, a function of ``reference.symbols.x``
    with no other free symbol (bind parameters first)."""
    if expr.free_symbols - {x}:
        raise ValueError(f"{name}: bind {sorted(map(str, expr.free_symbols - {x}))} before deriving facts")
    f_pairs = branches(expr)
    df_pairs = [(sp.diff(g, x), interval) for g, interval in f_pairs]
    values, slopes = analyse(f_pairs), analyse(df_pairs)
    return ActivationFacts(
        name=name, expr=expr, output_range=values.image,
        value_at_0=sp.simplify(expr.subs(x, 0)),
        slope_max=slopes.sup.value, slope_max_at=slopes.sup.at,
        slope_limits=_slope_limits(df_pairs), dead_region=_dead_region(df_pairs),
        slopes_at_0=_slopes_at_0(df_pairs),
        evaluates_exp=expr.rewrite(sp.exp).has(sp.exp),
    )


@functools.cache
def activation_facts(name: str) -> ActivationFacts:
    """``derive_facts`` of the registry's activation ``name`` at its default parameters (cached)."""
    act = get_activation(name)
    return derive_facts(name, act.bind(act.expr))


def slope_at(name: str, point: sp.Expr) -> sp.Expr:
    """f'(point) exactly, for the registry's ``name`` at its defaults (sigmoid'(0) = 1/4)."""
    act = get_activation(name)
    return sp.simplify(act.bind(act.derivative).subs(x, point))
