"""One-step rewrites of a SymPy expression tree: the slips students make in a formula.

Each ``Rewrite`` is the reference expression with one change (a sign flipped, a
factor 2 or 1/2, a term or a factor dropped, a 1 added to a denominator, a power lost or moved, a branch on
the wrong side of a kink, the kink given to neither branch, a max or min of the branches in place of the
branch, a parameter applied twice, inverted or left out, a count off by one) and a sentence that says
which change, in the expression's own terms.
Nothing here knows a function of the unit: every candidate comes from the tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sympy as sp

MAX_REWRITES = 400
"""More rewrites of one expression than this are not kept (every unit expression has far fewer)."""


@dataclass(frozen=True)
class Rewrite:
    expr: sp.Expr
    tag: str
    """The family of the change ("sign", "factor", "drop-term", ...), for reports and tests."""
    text: str
    """What the change is, said to a student ("the sign of exp(-x) is flipped")."""


def show(expr: sp.Basic) -> str:
    """An expression as a student reads it: ``**`` as ``^``."""
    return str(sp.sstr(expr)).replace("**", "^")


def _subterms(expr: sp.Expr) -> list[sp.Expr]:
    """Every distinct non-numeric subexpression, the whole first (conditions of branches excluded)."""
    seen: dict[sp.Expr, None] = {}

    def walk(e: sp.Basic) -> None:
        if isinstance(e, sp.Piecewise):
            seen.setdefault(e, None)
            for value, _ in e.args:
                walk(value)
            return
        if isinstance(e, sp.Expr) and not e.is_number:
            seen.setdefault(e, None)
            for arg in e.args:
                walk(arg)
    walk(expr)
    return list(seen)


def _signs(expr: sp.Expr, sub: sp.Expr) -> Iterator[Rewrite]:
    what = "the whole result" if sub == expr else show(sub)
    yield Rewrite(expr.xreplace({sub: -sub}), "sign", f"the sign of {what} is flipped")


def _factors(expr: sp.Expr, sub: sp.Expr) -> Iterator[Rewrite]:
    yield Rewrite(expr.xreplace({sub: 2 * sub}), "factor", f"{show(sub)} is doubled (an extra factor 2)")
    yield Rewrite(expr.xreplace({sub: sub / 2}), "factor", f"{show(sub)} is halved (a factor 2 is missing)")


def _drops(expr: sp.Expr, sub: sp.Expr) -> Iterator[Rewrite]:
    if isinstance(sub, sp.Add):
        for term in sub.args:
            rest = sp.Add(*(t for t in sub.args if t is not term))
            yield Rewrite(expr.xreplace({sub: rest}), "drop-term",
                          f"the term {show(term)} is missing from {show(sub)}")
    if isinstance(sub, sp.Mul):
        for factor in sub.args:
            if factor == -1:
                continue
            rest = sp.Mul(*(f for f in sub.args if f is not factor))
            yield Rewrite(expr.xreplace({sub: rest}), "drop-factor",
                          f"the factor {show(factor)} is missing from {show(sub)}")


def _powers(expr: sp.Expr, sub: sp.Expr) -> Iterator[Rewrite]:
    if isinstance(sub, sp.Pow):
        base, exponent = sub.args
        if exponent.is_Integer and abs(int(exponent)) >= 2:
            lost = base if exponent > 0 else 1 / base
            yield Rewrite(expr.xreplace({sub: lost}), "power",
                          f"the power {show(exponent)} is missing: {show(lost)} in place of {show(sub)}")
        elif not exponent.is_number:
            if exponent.could_extract_minus_sign():  # 4^(-n) is (1/4)^n
                base, exponent = 1 / base, -exponent
            yield Rewrite(expr.xreplace({sub: base * exponent}), "power",
                          f"{show(base)}·{show(exponent)} in place of the power {show(base)}^{show(exponent)}")
    if isinstance(sub, sp.Add):
        for term in sub.args:
            coefficient, power = term.as_coeff_Mul()
            if isinstance(power, sp.Pow) and power.exp.is_Integer and int(power.exp) >= 2:
                inner = sp.Add(*(t for t in sub.args if t is not term), coefficient * power.base)
                moved = inner ** power.exp
                yield Rewrite(expr.xreplace({sub: moved}), "power",
                              f"the power {show(power.exp)} is applied to all of {show(inner)}: "
                              f"{show(moved)} in place of {show(sub)}")


def _extra_one(expr: sp.Expr, sub: sp.Expr) -> Iterator[Rewrite]:
    """A denominator with a 1 added (the 1 + ... of 1 / (1 + e^-x) carried to another fraction)."""
    if isinstance(sub, sp.Pow) and sub.exp == -1 and not sub.base.is_number:
        grown = 1 + sub.base
        yield Rewrite(expr.xreplace({sub: 1 / grown}), "extra-term",
                      f"the denominator has an extra 1: {show(grown)} in place of {show(sub.base)}")


def _mirrored(condition: sp.Basic) -> sp.Basic | None:
    """The condition on the other side of its kink (x > 0 -> x < 0), or None."""
    flips = {sp.StrictGreaterThan: sp.StrictLessThan, sp.StrictLessThan: sp.StrictGreaterThan,
             sp.GreaterThan: sp.LessThan, sp.LessThan: sp.GreaterThan}
    kind = flips.get(type(condition))
    return None if kind is None else kind(*condition.args)


def _kink_moved(condition: sp.Basic) -> sp.Basic | None:
    """The condition with the kink given to the other branch (x <= 0 -> x < 0), or None."""
    moves = {sp.StrictGreaterThan: sp.GreaterThan, sp.GreaterThan: sp.StrictGreaterThan,
             sp.StrictLessThan: sp.LessThan, sp.LessThan: sp.StrictLessThan}
    kind = moves.get(type(condition))
    return None if kind is None else kind(*condition.args)


def _branches(expr: sp.Expr, sub: sp.Expr) -> Iterator[Rewrite]:
    if not isinstance(sub, sp.Piecewise) or len(sub.args) != 2:
        return
    (first, condition), (second, rest) = sub.args
    if rest is not sp.true:
        return
    swapped = sp.Piecewise((second, condition), (first, True))
    yield Rewrite(expr.xreplace({sub: swapped}), "side",
                  f"the branches are on the wrong side: {show(second)} where {show(condition)}, "
                  f"{show(first)} elsewhere")
    mirrored = _mirrored(condition)
    if mirrored is not None:
        yield Rewrite(expr.xreplace({sub: sp.Piecewise((first, mirrored), (second, True))}), "side",
                      f"the condition is on the wrong side of the kink: {show(first)} where "
                      f"{show(mirrored)}, {show(second)} elsewhere")
    moved = _kink_moved(condition)
    if moved is not None:
        yield Rewrite(expr.xreplace({sub: sp.Piecewise((first, moved), (second, True))}), "kink",
                      f"the kink belongs to the wrong branch: {show(first)} where {show(moved)} "
                      f"(the reference's condition is {show(condition)})")
    strict = _strict(condition)
    if strict is not None:
        other = _mirrored(strict)
        neither = sp.Piecewise((first, strict), (second, other), (0, True))
        yield Rewrite(expr.xreplace({sub: neither}), "kink",
                      f"at the kink ({show(condition.args[0])} = {show(condition.args[1])}) neither branch applies, "
                      f"so the value there "
                      f"is 0: {show(first)} only where {show(strict)}, {show(second)} only where {show(other)} "
                      f"(the reference gives the kink to one branch: {show(condition)})")
        halfway = (first + second) / 2
        if halfway not in (first, second, 0):
            yield Rewrite(expr.xreplace({sub: sp.Piecewise((first, strict), (second, other), (halfway, True))}),
                          "kink", f"at the kink ({show(condition.args[0])} = {show(condition.args[1])}) the value "
                          f"is halfway between the branches, {show(halfway)} (np.heaviside(x, 0.5), say), where "
                          f"the reference gives the kink to one branch: {show(first)} where {show(condition)}")
    yield from _extremes(expr, sub, first, second, condition)


def _strict(condition: sp.Basic) -> sp.Basic | None:
    """The condition without its kink (x >= 0 -> x > 0), or None."""
    kinds = {sp.StrictGreaterThan: sp.StrictGreaterThan, sp.GreaterThan: sp.StrictGreaterThan,
             sp.StrictLessThan: sp.StrictLessThan, sp.LessThan: sp.StrictLessThan}
    kind = kinds.get(type(condition))
    return None if kind is None else kind(*condition.args)


def _extremes(expr: sp.Expr, sub: sp.Expr, first: sp.Expr, second: sp.Expr,
              condition: sp.Basic) -> Iterator[Rewrite]:
    """A max or a min of the two branches (or of a factor of each) in place of the branch: max(x, a)
    where x belongs for x > 0 and a x elsewhere."""
    def pieces(value: sp.Expr) -> list[sp.Expr]:
        return list(dict.fromkeys([value, *(sp.Mul.make_args(value) if isinstance(value, sp.Mul) else ())]))
    branch = f"{show(first)} where {show(condition)}, {show(second)} elsewhere"
    variables = condition.free_symbols
    for u in pieces(first):
        for v in pieces(second):
            if u == v or not (u.free_symbols | v.free_symbols) & variables:
                continue
            for name, extreme in (("max", sp.Max), ("min", sp.Min)):
                yield Rewrite(expr.xreplace({sub: extreme(u, v)}), "extreme",
                              f"{name}({show(u)}, {show(v)}) is used in place of the branches ({branch})")


def _symbols(expr: sp.Expr, parameters: tuple[sp.Symbol, ...], counts: tuple[sp.Symbol, ...]) -> Iterator[Rewrite]:
    free = expr.free_symbols
    for p in parameters:
        if p in free:
            yield Rewrite(expr.xreplace({p: p * p}), f"{p.name}-twice", f"{p.name} is applied twice")
            yield Rewrite(expr.xreplace({p: 1 / p}), f"{p.name}-inverted", f"divided by {p.name} in place of "
                          f"multiplied by it")
            yield Rewrite(expr.xreplace({p: sp.S.One}), f"{p.name}-missing", f"{p.name} is left out: 1 where "
                          f"{p.name} belongs")
    for n in counts:
        if n in free:
            for shift, word in ((1, "one too many"), (-1, "one too few")):
                yield Rewrite(expr.xreplace({n: n + shift}), "index",
                              f"{n.name} is off by one ({show(n + shift)}: {word})")


def _erases_the_input(rewritten: sp.Expr, expr: sp.Expr) -> bool:
    """Whether one change left a number where the expression depended on its symbols (1 - tanh^2
    with the factor tanh^2 dropped is 1 - 1 = 0): no slip anyone makes, and a constant answer (a
    stub's zeros) would otherwise be named after it."""
    return bool(rewritten.is_number) and not expr.is_number


def rewrites(expr: sp.Expr, parameters: tuple[sp.Symbol, ...] = (),
             counts: tuple[sp.Symbol, ...] = ()) -> tuple[Rewrite, ...]:
    """Every one-step rewrite of ``expr`` that changes it, each once (the first wording kept).

    ``parameters`` may be applied twice or inverted (a learning rate); ``counts`` may be off by one
    (a number of layers)."""
    found: dict[sp.Expr, Rewrite] = {}
    # A parameter or a count changed is the more telling name when another change gives the same value.
    for rewrite in _symbols(expr, parameters, counts):
        found.setdefault(rewrite.expr, rewrite)
    for sub in _subterms(expr):
        for rule in (_branches, _powers, _drops, _signs, _factors, _extra_one):
            for rewrite in rule(expr, sub):
                if rewrite.expr != expr and not _erases_the_input(rewrite.expr, expr):
                    found.setdefault(rewrite.expr, rewrite)
    return tuple(found.values())[:MAX_REWRITES]
