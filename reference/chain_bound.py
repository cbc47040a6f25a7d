"""The vanishing-gradient bound: a product of n derivatives of f is at most (sup |f'|)^n.

sup |f'| comes from ``reference.properties`` (sigmoid: 1/4, attained at 0),
so the bound for a chain of n sigmoids is (1/4)^n, and it is tight when every
pre-activation sits where |f'| is largest.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from reference.activations import get_activation
from reference.analysis import numeric_key, same_value
from reference.properties import derive_properties
from reference.symbols import x


def _representative(points: sp.Set) -> sp.Expr:
    """One concrete point of a non-empty set of x values (for a witness)."""
    if isinstance(points, sp.FiniteSet):
        return min(points, key=numeric_key)
    if isinstance(points, sp.Interval):
        if not points.left_open:
            return points.inf
        return points.inf + 1 if points.sup.is_infinite else (points.inf + points.sup) / 2
    return _representative(points.args[0])


@dataclass(frozen=True)
class ChainBound:
    """|f'(x_1) ... f'(x_n)| <= ``bound`` = ``factor_bound``**n for all real x_i.

    Proof: every factor lies in ``derivative_range``, which ``holds`` checks is a
    subset of [-M, M] with M = ``factor_bound`` = max(|sup f'|, |inf f'|); the
    absolute value of a product of n numbers of modulus <= M is <= M**n. When M
    is attained at ``witness`` (so ``tight``), all x_i = witness reach the bound.
    """

    name: str
    n: int
    factor_bound: sp.Expr
    bound: sp.Expr
    holds: bool
    tight: bool
    witness: sp.Expr | None


def chain_derivative_product(name: str, n: int) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """f'(x_1) * ... * f'(x_n) on fresh real symbols x_1..x_n (defaults bound)."""
    act = get_activation(name)
    slope = act.bind(act.derivative)
    xs = sp.symbols(f"x1:{n + 1}", real=True)
    return sp.Mul(*(slope.xreplace({x: xi}) for xi in xs)), tuple(xs)


@functools.cache
def chain_derivative_bound(name: str, n: int) -> ChainBound:
    """The vanishing-gradient bound for a chain of n ``name`` derivatives (sigmoid: (1/4)**n)."""
    props = derive_properties(name)
    top = (props.derivative_max, props.derivative_max_attained, props.derivative_max_at)
    bottom = (-props.derivative_min, props.derivative_min_attained, props.derivative_min_at)
    factor, attained, at = max((top, bottom), key=lambda t: numeric_key(t[0]))
    holds = bool(props.derivative_range.is_subset(sp.Interval(-factor, factor)))
    witness = _representative(at) if attained else None
    tight = False
    if witness is not None:
        product, xs = chain_derivative_product(name, n)
        reached = sp.Abs(product.subs({xi: witness for xi in xs}))
        tight = same_value(sp.simplify(reached), factor**n)
    return ChainBound(name, n, factor, factor**n, holds, tight, witness)
