"""Properties of every activation, derived by SymPy (never typed by hand).

For each activation ``f`` (parameters at their defaults: leaky alpha = 1/100,
ELU alpha = 1, PReLU a = 1/4) this module derives

* the output range of ``f`` and the range of ``f'``,
* the supremum of ``f'``, whether it is attained and where,
* zero-centredness, monotonicity and on which side(s) ``f'`` saturates.

Method, branch by branch. A ``Piecewise`` is split into its branches with
``Piecewise.as_expr_set_pairs``; each branch is an expression ``g`` that is
continuous on an interval ``I``, so its image is the interval between its
infimum and supremum (intermediate value theorem). Those lie among

* limits at an infinite end of ``I`` (``sympy.limit``; never attained),
* values at a finite end of ``I`` (attained iff the end belongs to ``I``;
  a value, not a limit, because every branch is continuous on the closure),
* values at critical points, ``g' = 0`` on ``I``: ``sympy.solveset`` when it
  returns a finite set (exact); otherwise (a ``ConditionSet``, e.g. SiLU) a
  sign-change scan of the float64 ``g'`` on ``I`` clipped to ``[-SCAN_LIMIT,
  SCAN_LIMIT]`` and ``sympy.nsolve`` on each bracket, reported with
  ``NUMERIC_DIGITS`` significant digits. Such results are marked
  ``exact=False``; a root with no sign change (a double root) or beyond the
  scan window would be missed, which is why they are not called exact.

The derivative on the ``x <= 0`` branch is the left derivative at the kink,
matching the registry's convention (relu'(0) = 0).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from reference.activations import ACTIVATIONS, get_activation
from reference.numeric import compile_expression
from reference.symbols import x

SCAN_LIMIT = 60.0
"""Half-width of the window scanned for sign changes of g' when solveset gives up."""

SCAN_POINTS = 4801
"""Grid points of that scan (spacing 0.025): far finer than any activation's features."""

NUMERIC_DIGITS = 15
"""Significant digits of numerically located extrema (float64 has 15-17)."""

_WORK_DIGITS = 40
"""Working precision for root polishing and for ordering candidate values."""

_TIE = sp.Float("1e-25", _WORK_DIGITS)
"""Two exact candidate values closer than this (at 40 digits) are the same value."""

_NUMERIC_TIE = sp.Float(10.0 ** (2 - NUMERIC_DIGITS), _WORK_DIGITS)
"""Relative tie tolerance once a value is a Float: 15-digit roots move values at 1e-15."""

Branch = tuple[sp.Expr, sp.Interval]


@dataclass(frozen=True)
class Candidate:
    """A possible extreme of a branch: ``value`` at the points ``at``.

    ``attained`` is False for a limit (at an infinite or excluded end);
    ``at`` is then where the limit is taken (e.g. ``{oo}``).
    """

    value: sp.Expr
    at: sp.Set
    attained: bool


@dataclass(frozen=True)
class Extreme:
    """The supremum (or infimum) of a function over a set of candidates."""

    value: sp.Expr
    attained: bool
    at: sp.Set


def branches(expr: sp.Expr) -> list[Branch]:
    """``expr`` as (branch expression, interval of x) pairs covering the real line."""
    folded = sp.piecewise_fold(expr)
    if not isinstance(folded, sp.Piecewise):
        return [(folded, sp.S.Reals)]
    pairs = [(e, s) for e, s in folded.as_expr_set_pairs(sp.S.Reals) if s != sp.S.EmptySet]
    for _, interval in pairs:
        # Every registry condition is a half-line; a Union here would need splitting.
        if not isinstance(interval, sp.Interval):
            raise NotImplementedError(f"branch over {interval} is not an interval")
    return pairs


def _numeric_roots(h: sp.Expr, interval: sp.Interval) -> list[sp.Float]:
    """Roots of ``h`` on ``interval`` where it changes sign, by nsolve on scanned brackets."""
    lo = max(float(interval.inf), -SCAN_LIMIT)
    hi = min(float(interval.sup), SCAN_LIMIT)
    grid = np.linspace(lo, hi, SCAN_POINTS)
    with np.errstate(all="ignore"):  # a scan value of inf/nan just yields no bracket
        values = compile_expression(h, [x])(grid)
    changes = np.nonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)[0]
    roots = []
    for i in changes:
        root = sp.nsolve(h, x, (float(grid[i]), float(grid[i + 1])),
                         solver="anderson", prec=_WORK_DIGITS)
        roots.append(sp.Float(root, _WORK_DIGITS))
    return roots


def critical_points(g: sp.Expr, interval: sp.Interval) -> tuple[list[sp.Expr], bool]:
    """Points of ``interval`` where g' = 0, and whether they are exact.

    Exact when ``solveset`` returns a finite set; otherwise located numerically
    (see the module docstring) and returned at working precision.
    """
    slope = sp.diff(g, x)
    solutions = sp.solveset(slope, x, interval)
    if isinstance(solutions, sp.FiniteSet):
        return sorted(solutions, key=lambda p: float(p)), True
    if solutions == sp.S.EmptySet:
        return [], True
    return _numeric_roots(slope, interval), False


def _limit(g: sp.Expr, end: sp.Expr) -> sp.Expr:
    """lim g at ``end``, keeping g's Floats as Floats.

    ``sympy.limit`` rationalises Floats (SELU's constants come back as 32-digit
    fractions), which would pass for exact; convert back at g's precision.
    """
    value = sp.limit(g, x, end)
    floats = list(g.atoms(sp.Float))
    if floats and value.is_finite and not value.has(sp.Float) and not value.is_zero:
        value = value.evalf(max(mpmath.libmp.prec_to_dps(f._prec) for f in floats))
    return value


def _end_candidate(g: sp.Expr, interval: sp.Interval, end: sp.Expr) -> Candidate:
    if end.is_infinite:
        return Candidate(_limit(g, end), sp.FiniteSet(end), False)
    # Branches are continuous on the closure of their interval, so the one-sided
    # limit at a finite end is the value there.
    return Candidate(sp.simplify(g.subs(x, end)), sp.FiniteSet(end), bool(end in interval))


def _rounded(value: sp.Expr) -> sp.Expr:
    return sp.Float(value, NUMERIC_DIGITS)


def branch_candidates(g: sp.Expr, interval: sp.Interval) -> tuple[list[Candidate], bool]:
    """Every candidate for the supremum and infimum of ``g`` over ``interval``, and
    whether the critical points were found exactly (False: by the numeric scan)."""
    if not g.has(x):
        return [Candidate(g, interval, True)], True
    candidates = [_end_candidate(g, interval, end) for end in (interval.inf, interval.sup)]
    points, exact = critical_points(g, interval)
    for point in points:
        if exact:
            candidates.append(Candidate(sp.simplify(g.subs(x, point)), sp.FiniteSet(point), True))
        else:
            value = g.evalf(_WORK_DIGITS, subs={x: point})
            candidates.append(Candidate(_rounded(value), sp.FiniteSet(_rounded(point)), True))
    return candidates, exact


def _key(value: sp.Expr) -> sp.Expr:
    """A comparable number for ``value`` (oo and -oo stay infinite)."""
    return value if value.is_infinite else sp.N(value, _WORK_DIGITS)


def _same(u: sp.Expr, v: sp.Expr) -> bool:
    if u.is_infinite or v.is_infinite:
        return bool(u == v)  # structural: both oo or both -oo
    if u.has(sp.Float) or v.has(sp.Float):
        scale = max(abs(_key(u)), abs(_key(v)), sp.S.One)
        return bool(abs(_key(u) - _key(v)) <= _NUMERIC_TIE * scale)
    return bool(abs(_key(u) - _key(v)) <= _TIE)


def extreme(candidates: list[Candidate], largest: bool = True) -> Extreme:
    """The supremum (``largest``) or infimum over ``candidates``, with where it is reached.

    Attained if any tying candidate is attained; ``at`` is then the union of the
    attaining points, else the union of the points where the limit is taken.
    """
    best = max(candidates, key=lambda c: _key(c.value) if largest else -_key(c.value))
    ties = [c for c in candidates if _same(c.value, best.value)]
    attained = [c for c in ties if c.attained]
    chosen = attained or ties
    # Prefer an exact representative when an exact and a numeric value tie.
    value = next((c.value for c in ties if not c.value.has(sp.Float)), best.value)
    return Extreme(value, bool(attained), sp.Union(*(c.at for c in chosen)))


def branch_image(candidates: list[Candidate]) -> sp.Set:
    """The image of one continuous branch: the interval between its inf and sup."""
    top, bottom = extreme(candidates, largest=True), extreme(candidates, largest=False)
    if _same(top.value, bottom.value):
        return sp.FiniteSet(top.value)
    return sp.Interval(bottom.value, top.value,
                       left_open=not bottom.attained, right_open=not top.attained)


@dataclass(frozen=True)
class Analysis:
    """Image, supremum, infimum and limits at -oo/+oo of a branchwise function.

    ``solved_exactly`` is False when some branch's critical points came from the
    numeric scan (even one that found none).
    """

    image: sp.Set
    sup: Extreme
    inf: Extreme
    limits: tuple[tuple[sp.Expr, sp.Expr], ...]
    solved_exactly: bool


def analyse(pairs: list[Branch]) -> Analysis:
    """Range and extremes of the function made of ``pairs`` (see the module docstring)."""
    candidates: list[Candidate] = []
    images: list[sp.Set] = []
    solved_exactly = True
    for g, interval in pairs:
        found, exact = branch_candidates(g, interval)
        solved_exactly &= exact
        if not g.has(x):
            # A constant branch reaching an infinity also has that constant as its limit.
            found += [Candidate(g, sp.FiniteSet(end), False)
                      for end in (interval.inf, interval.sup) if end.is_infinite]
        images.append(branch_image(found))
        candidates += found
    limits = tuple((c.at.args[0], c.value) for c in candidates
                   if not c.attained and isinstance(c.at, sp.FiniteSet) and c.at.args[0].is_infinite)
    return Analysis(sp.Union(*images), extreme(candidates, True), extreme(candidates, False),
                    tuple(sorted(limits, key=lambda pair: float(pair[0]))), solved_exactly)


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
    return bool(_key(value) < 0)


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


def _representative(points: sp.Set) -> sp.Expr:
    """One concrete point of a non-empty set of x values (for a witness)."""
    if isinstance(points, sp.FiniteSet):
        return min(points, key=_key)
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
    factor, attained, at = max((top, bottom), key=lambda t: _key(t[0]))
    holds = bool(props.derivative_range.is_subset(sp.Interval(-factor, factor)))
    witness = _representative(at) if attained else None
    tight = False
    if witness is not None:
        product, xs = chain_derivative_product(name, n)
        reached = sp.Abs(product.subs({xi: witness for xi in xs}))
        tight = _same(sp.simplify(reached), factor**n)
    return ChainBound(name, n, factor, factor**n, holds, tight, witness)


def display_number(value: sp.Expr, digits: int = 6) -> str:
    """A short label: rationals and +-oo exactly, anything else to ``digits`` digits."""
    if value.is_Rational or value.is_infinite:
        return str(value)
    return f"{float(value):.{digits}g}"


def display_set(points: sp.Set, digits: int = 6) -> str:
    """Interval notation for a set of reals: "(0, 1/4]", "{0, 1}", "[0, oo)"."""
    if isinstance(points, sp.Interval):
        left = "(" if points.left_open or points.inf.is_infinite else "["
        right = ")" if points.right_open or points.sup.is_infinite else "]"
        return f"{left}{display_number(points.inf, digits)}, {display_number(points.sup, digits)}{right}"
    if isinstance(points, sp.FiniteSet):
        return "{" + ", ".join(display_number(v, digits) for v in sorted(points, key=_key)) + "}"
    if isinstance(points, sp.Union):
        return " U ".join(display_set(part, digits) for part in points.args)
    return str(points)
