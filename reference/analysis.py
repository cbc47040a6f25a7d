"""The image and the extremes of a branchwise function of x, derived by SymPy.

This is the analysis behind ``reference.properties`` (ranges, sup f', ...)
and ``reference.chain_bound``; it knows nothing of activations.

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
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from reference.compile import compile_expression
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


def numeric_key(value: sp.Expr) -> sp.Expr:
    """A comparable number for ``value`` (oo and -oo stay infinite): 40 digits, so
    candidates that differ beyond float64's 17 are still ordered right."""
    return value if value.is_infinite else sp.N(value, _WORK_DIGITS)


def same_value(u: sp.Expr, v: sp.Expr) -> bool:
    """u and v are one value: within ``_TIE`` when exact, within ``_NUMERIC_TIE``
    (relative) once either is a Float, whose last digits the root finder chose."""
    if u.is_infinite or v.is_infinite:
        return bool(u == v)  # structural: both oo or both -oo
    if u.has(sp.Float) or v.has(sp.Float):
        scale = max(abs(numeric_key(u)), abs(numeric_key(v)), sp.S.One)
        return bool(abs(numeric_key(u) - numeric_key(v)) <= _NUMERIC_TIE * scale)
    return bool(abs(numeric_key(u) - numeric_key(v)) <= _TIE)


def extreme(candidates: list[Candidate], largest: bool = True) -> Extreme:
    """The supremum (``largest``) or infimum over ``candidates``, with where it is reached.

    Attained if any tying candidate is attained; ``at`` is then the union of the
    attaining points, else the union of the points where the limit is taken.
    """
    best = max(candidates, key=lambda c: numeric_key(c.value) if largest else -numeric_key(c.value))
    ties = [c for c in candidates if same_value(c.value, best.value)]
    attained = [c for c in ties if c.attained]
    chosen = attained or ties
    # Prefer an exact representative when an exact and a numeric value tie.
    value = next((c.value for c in ties if not c.value.has(sp.Float)), best.value)
    return Extreme(value, bool(attained), sp.Union(*(c.at for c in chosen)))


def branch_image(candidates: list[Candidate]) -> sp.Set:
    """The image of one continuous branch: the interval between its inf and sup."""
    top, bottom = extreme(candidates, largest=True), extreme(candidates, largest=False)
    if same_value(top.value, bottom.value):
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
