"""Properties of every activation, derived by SymPy (never typed by hand).

For each activation ``f`` (parameters at their defaults: leaky alpha = 1/100,
ELU alpha = 1, PReLU a = 1/4) this module derives

* the output range of ``f`` and the range of ``f'``,
* the supremum of ``f'``, whether it is attained and where,
* zero-centredness, monotonicity and on which side(s) ``f'`` saturates,

by ``reference.analysis`` of f and f' branch by branch. The derivative on the
``x <= 0`` branch is the left derivative at the kink, matching the registry's
convention (relu'(0) = 0).

The vanishing-gradient bound built on sup |f'| is ``reference.chain_bound``
(its names are still importable from here); how sets and numbers are shown is
``autograder.reference_display``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy as sp

from reference.activations import ACTIVATIONS, get_activation
from reference.analysis import (
    NUMERIC_DIGITS,
    SCAN_LIMIT,
    SCAN_POINTS,
    Analysis,
    Branch,
    Candidate,
    Extreme,
    analyse,
    branch_candidates,
    branch_image,
    branches,
    critical_points,
    extreme,
    numeric_key,
)
from reference.symbols import x

if TYPE_CHECKING:
    from reference.chain_bound import ChainBound, chain_derivative_bound, chain_derivative_product

__all__ = [
    "ActivationProperties", "derive_properties", "all_properties",
    # Re-exported for callers that import them from here.
    "NUMERIC_DIGITS", "SCAN_LIMIT", "SCAN_POINTS", "Analysis", "Branch", "Candidate", "Extreme",
    "analyse", "branch_candidates", "branch_image", "branches", "critical_points", "extreme",
    "ChainBound", "chain_derivative_bound", "chain_derivative_product",
]

_CHAIN_BOUND_NAMES = ("ChainBound", "chain_derivative_bound", "chain_derivative_product")


def __getattr__(name: str) -> Any:
    """The chain-bound names, from ``reference.chain_bound`` (which imports this module,
    so they are looked up on first use rather than imported at the top)."""
    if name in _CHAIN_BOUND_NAMES:
        from reference import chain_bound

        return getattr(chain_bound, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _bounds_json(s: sp.Set) -> dict[str, Any]:
    return {"range": [str(s.inf), str(s.sup)],
            "closed": [bool(s.inf in s), bool(s.sup in s)],
            "set": str(s)}


def _where(points: sp.Set) -> str:
    """A single point as that point ("0"), anything else as the set's SymPy string."""
    if isinstance(points, sp.FiniteSet) and len(points) == 1:
        return str(points.args[0])
    return str(points)


@dataclass(frozen=True)
class ActivationProperties:
    """Derived properties of one activation at its default parameters.

    * ``output_range``/``derivative_range``: images of f and f' over the reals,
      as SymPy sets (open ends are suprema/infima that are not attained).
    * ``derivative_max``: sup f'. ``derivative_max_attained`` says whether some x
      reaches it; ``derivative_max_at`` is the set of those x, or, when it is
      not attained, where f' tends to it (e.g. ``{oo}`` for softplus).
    * ``zero_centered``: f(0) = 0 and f takes both signs (inf f < 0 < sup f).
    * ``monotonic``: f' >= 0 on every branch (f is continuous, so non-decreasing).
    * ``saturating``: the sides ("-oo", "oo") where f' tends to 0; empty if none.
    * ``exact``: every critical point was solved exactly and no reported number
      is a float (numeric roots, SELU's constants);
      ``derivative_max_exact`` says the same of ``derivative_max`` and its place
      alone (GELU: sup f' is exact at sqrt(2), its output minimum is numeric).
    """

    name: str
    parameters: tuple[tuple[str, sp.Expr], ...]
    value_at_0: sp.Expr
    derivative_at_0: sp.Expr
    output_range: sp.Set
    derivative_range: sp.Set
    derivative_max: sp.Expr
    derivative_max_attained: bool
    derivative_max_at: sp.Set
    derivative_max_exact: bool
    derivative_min: sp.Expr
    derivative_min_attained: bool
    derivative_min_at: sp.Set
    zero_centered: bool
    monotonic: bool
    saturating: tuple[str, ...]
    exact: bool

    def to_json(self) -> dict[str, Any]:
        """Plain data (str, bool, list, dict) for JSON; numbers as exact SymPy strings."""
        out = _bounds_json(self.output_range)
        deriv = _bounds_json(self.derivative_range)
        return {
            "name": self.name,
            "parameters": {k: str(v) for k, v in self.parameters},
            "exact": self.exact,
            "value_at_0": str(self.value_at_0),
            "derivative_at_0": str(self.derivative_at_0),
            "output_range": out["range"], "output_range_closed": out["closed"],
            "output_set": out["set"],
            "derivative_range": deriv["range"], "derivative_range_closed": deriv["closed"],
            "derivative_set": deriv["set"],
            "derivative_max": str(self.derivative_max),
            "derivative_max_attained": self.derivative_max_attained,
            "derivative_max_at": _where(self.derivative_max_at),
            "derivative_max_exact": self.derivative_max_exact,
            "derivative_min": str(self.derivative_min),
            "derivative_min_attained": self.derivative_min_attained,
            "derivative_min_at": _where(self.derivative_min_at),
            "zero_centered": self.zero_centered,
            "monotonic": self.monotonic,
            "saturating": list(self.saturating),
        }


def _is_negative(value: sp.Expr) -> bool:
    return bool(numeric_key(value) < 0)


@functools.cache
def derive_properties(name: str) -> ActivationProperties:
    """Every property of activation ``name`` at its defaults, derived by SymPy (cached)."""
    act = get_activation(name)
    f = act.bind(act.expr)
    f_pairs = branches(f)
    df_pairs = [(sp.diff(g, x), interval) for g, interval in f_pairs]
    values, slopes = analyse(f_pairs), analyse(df_pairs)
    at_0 = sp.simplify(f.subs(x, 0))
    # The branch that owns x = 0 gives f'(0): the registry's kink convention.
    slope_at_0 = next(sp.simplify(d.subs(x, 0)) for d, i in df_pairs if sp.S.Zero in i)
    reported: list[sp.Basic] = [values.image, slopes.image, slopes.sup.at, slopes.inf.at]
    return ActivationProperties(
        name=name,
        parameters=tuple((k, v) for k, v in act.defaults.items()),
        value_at_0=at_0, derivative_at_0=slope_at_0,
        output_range=values.image, derivative_range=slopes.image,
        derivative_max=slopes.sup.value, derivative_max_attained=slopes.sup.attained,
        derivative_max_at=slopes.sup.at,
        derivative_max_exact=slopes.solved_exactly
        and not (slopes.sup.value.has(sp.Float) or slopes.sup.at.has(sp.Float)),
        derivative_min=slopes.inf.value, derivative_min_attained=slopes.inf.attained,
        derivative_min_at=slopes.inf.at,
        zero_centered=bool(at_0.is_zero) and _is_negative(values.inf.value)
        and _is_negative(-values.sup.value),
        monotonic=not _is_negative(slopes.inf.value),
        saturating=tuple(str(end) for end, limit in slopes.limits if limit.is_zero),
        exact=values.solved_exactly and slopes.solved_exactly
        and not any(obj.has(sp.Float) for obj in reported),
    )


def all_properties() -> dict[str, ActivationProperties]:
    """``derive_properties`` for every activation of the registry, in registry order."""
    return {name: derive_properties(name) for name in ACTIVATIONS}
