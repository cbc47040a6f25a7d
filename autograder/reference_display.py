"""How ``autograder reference`` shows the reference's exact numbers and sets.

Rationals and infinities print exactly ("1/4", "oo"); anything else (sqrt(2),
a numerically located root) prints to a few digits, so a table stays narrow
while ``--json`` keeps the exact SymPy strings.
"""

from __future__ import annotations

import sympy as sp

from reference.analysis import numeric_key


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
        return "{" + ", ".join(display_number(v, digits) for v in sorted(points, key=numeric_key)) + "}"
    if isinstance(points, sp.Union):
        return " U ".join(display_set(part, digits) for part in points.args)
    return str(points)
