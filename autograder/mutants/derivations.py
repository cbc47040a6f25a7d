"""What SymPy derives for the derived mistakes (``autograder.mutants.candidates``), as numpy forms.

Each ``derive_*`` function changes the reference's own expressions (``autograder.mutants.rewrites``)
and returns plain data: each candidate's tag and sentence with its expression printed as numpy code
(``reference.numeric_form.NumpyForm``). ``candidates`` asks for them through ``reference.remembered``,
so a process that finds them remembered (``autograder.derivation_cache``) never imports this module,
nor SymPy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from autograder.mutants.rewrites import Rewrite, rewrites, show
from reference.compile import numpy_form
from reference.numeric_form import NumpyForm

Entry = tuple[str, str, NumpyForm]
"""A candidate's tag (its family; "" for the reference itself), its sentence and its expression."""


def compiled(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Callable[..., Any]:
    """``expr``'s float64 evaluator, float64 errors ignored, as every candidate's (``candidates._compiled``)."""
    from autograder.mutants.candidates import _compiled

    return _compiled(numpy_form(expr, symbols))


def _through_function(f: sp.Expr, df: sp.Expr, x: sp.Symbol) -> sp.Expr | None:
    """P with df = P(f), P a polynomial of degree <= 2 solved for by SymPy (sigma' = s (1 - s),
    tanh' = 1 - t^2), or None when the derivative is no such polynomial of the function."""
    if f.has(sp.Piecewise):
        return None
    s = sp.Symbol("s")
    c = sp.symbols("c0:3")
    residual = df - (c[0] + c[1] * f + c[2] * f ** 2)
    points = [sp.Rational(k, 3) for k in (-2, 1, 4)]
    solution = sp.solve([residual.subs(x, p) for p in points], c, dict=True)
    if not solution:
        return None
    poly = sum((solution[0].get(ci, ci) * s ** i for i, ci in enumerate(c)), sp.S.Zero)
    if poly.free_symbols - {s} or sp.simplify((df - poly.subs(s, f)).rewrite(sp.exp)) != 0:
        return None
    return sp.expand(poly)


def _argument_changed(poly: sp.Expr, s: sp.Symbol, f: sp.Expr, x: sp.Symbol,
                      name: str) -> list[tuple[str, str, sp.Expr]]:
    """The derivative written through the function, P(s) with s = f(x), with a change of the function's
    value made to its argument instead: f(1 - x) in place of 1 - f(x) (each factor a + b s of P with
    a != 0, either sign, in place of that factor)."""
    value = sp.Symbol(f"{name}(x)")
    _, factors = sp.factor_list(poly, s)
    found = []
    for factor, _ in factors:
        slope, offset = sp.diff(factor, s), factor.subs(s, 0)
        if not (slope.is_number and slope != 0 and offset.is_number and offset != 0):
            continue
        for term in (factor, sp.expand(-factor)):
            rest = sp.cancel(poly / term)
            argument = term.subs(s, x)
            changed = (rest * f.subs(x, argument)).subs(s, f)
            found.append(("argument", f"{name}({show(argument)}) is computed where {show(term.subs(s, value))} "
                          f"belongs: the change is made to {name}'s argument, not to its value "
                          f"(in {show(rest.subs(s, value))}·({show(term.subs(s, value))}))", changed))
    return found


def _through_branches(f: sp.Expr, df: sp.Expr, x: sp.Symbol, name: str,
                      parameters: tuple[sp.Symbol, ...]) -> list[tuple[str, str, sp.Expr]]:
    """For a function with branches: each branch's derivative written through the function's value on
    that branch, a + b s with s = f(x) (a, b free of x: elu' = elu + alpha where x <= 0), rewritten once
    (a parameter applied twice, inverted or left out, a term dropped)."""
    if not (isinstance(f, sp.Piecewise) and isinstance(df, sp.Piecewise) and len(f.args) == len(df.args)):
        return []
    if [c for _, c in f.args] != [c for _, c in df.args]:
        return []
    s = sp.Symbol(f"{name}(x)")  # the function's value, as the sentence names it
    found = []
    for i, ((value, condition), (slope, _)) in enumerate(zip(f.args, df.args)):
        if not value.has(x) or not slope.has(x):
            continue
        a, b = sp.symbols("a b")
        points = [sp.Rational(-1, 2), sp.Rational(-3, 2)]
        solution = sp.solve([(slope - (a + b * value)).subs(x, p) for p in points], (a, b), dict=True)
        if not solution or solution[0].get(b, 0) == 0:
            continue
        poly = solution[0][a] + solution[0][b] * s
        if poly.has(x) or sp.simplify((slope - poly.subs(s, value)).rewrite(sp.exp)) != 0:
            continue
        where = "elsewhere" if condition is sp.true else f"where {show(condition)}"
        for r in rewrites(poly, tuple(p for p in parameters if poly.has(p))):
            branches = [((r.expr.subs(s, value) if j == i else d), c) for j, (d, c) in enumerate(df.args)]
            found.append((r.tag, f"{r.text}, in the derivative written through the function, {show(poly)} "
                          f"{where}", sp.Piecewise(*branches)))
    return found


def _branch_forward(f: sp.Expr, df: sp.Expr) -> list[tuple[str, str, sp.Expr]]:
    """The derivative with one branch's value replaced by the function's value on that branch (the
    function's slope kept where it is linear, its value copied where it is not)."""
    if not (isinstance(f, sp.Piecewise) and isinstance(df, sp.Piecewise) and len(f.args) == len(df.args)):
        return []
    if [c for _, c in f.args] != [c for _, c in df.args]:
        return []
    found = []
    for i, ((value, condition), (slope, _)) in enumerate(zip(f.args, df.args)):
        if value == slope:
            continue
        branches = [(value if j == i else d, c) for j, (d, c) in enumerate(df.args)]
        where = "elsewhere" if condition is sp.true else f"where {show(condition)}"
        found.append(("forward", f"{where}, the function's value {show(value)} is used in place of its "
                      f"derivative {show(slope)}", sp.Piecewise(*branches)))
    return found


def derive_elementwise(activation: str, which: str, bound: bool) -> dict[str, Any]:
    """The candidates of one activation form, as functions of (x, *params) (``bound``: the defaults
    substituted, as in ``activate(z, name)``): ``found`` (entries, the reference first, each
    expression once), ``naive`` (the defining formula as written, lambdify's raw function, for a
    form with a stable rewrite; else None) and ``reference``."""
    from reference.activations import get_activation
    from reference.symbols import x

    act = get_activation(activation)
    forms = {"f": act.expr, "df": act.derivative}
    forms.update({f"d{p}": act.param_derivative(p) for p in act.param_names})
    prepare = act.bind if bound else (lambda e: e)
    target = prepare(forms[which])
    symbols = (x,) if bound else act.symbols
    found: list[tuple[str, str, sp.Expr]] = [("", "", target)]
    found += [(r.tag, r.text, r.expr) for r in rewrites(target)]
    other = "df" if which == "f" else "f"
    found.append(("forward" if which != "f" else "derivative",
                  f"{'the function itself' if which != 'f' else 'the derivative'} is computed in place of "
                  f"{'its derivative' if which != 'f' else 'the function'}: {show(prepare(forms[other]))}",
                  prepare(forms[other])))
    if which == "df":
        found += _branch_forward(prepare(act.expr), target)
        found += _through_branches(prepare(act.expr), target, x, activation, () if bound else act.symbols[1:])
        on_output = target.xreplace({x: prepare(act.expr)})
        found.append(("input", f"the derivative is evaluated at the function's output, not at x: "
                      f"{activation}'({activation}(x)) in place of {activation}'(x)", on_output))
        poly = _through_function(prepare(act.expr), target, x)
        if poly is not None:
            s = sp.Symbol("s")
            on_input = poly.subs(s, x)
            found.append(("input", f"the derivative written through the function, {show(poly)} with "
                          f"s = {activation}(x), is applied to x itself: {show(on_input)}", on_input))
            through = poly.subs(s, prepare(act.expr))
            found += [(r.tag, f"{r.text} in {show(poly)} (s = {activation}(x))", r.expr.subs(s, prepare(act.expr)))
                      for r in rewrites(poly) if r.expr.subs(s, prepare(act.expr)) != through]
            found += _argument_changed(poly, s, prepare(act.expr), x, activation)
    naive = None
    if which == "f" and act.stable is not None:
        naive = (f"the defining formula {show(prepare(act.expr))} is computed as written, so exp overflows for "
                 "large |x| (rewrite it so every exponent is <= 0)",
                 numpy_form(prepare(act.expr), symbols, raw=True))
    seen: set[sp.Expr] = set()
    entries: list[Entry] = []
    for tag, text, expr in found:
        if expr not in seen:
            seen.add(expr)
            entries.append((tag, text, numpy_form(expr, symbols)))
    return {"found": entries, "naive": naive, "reference": numpy_form(target, symbols)}


@dataclass(frozen=True)
class Formula:
    """A reference expression over named symbols (bound from a call by ``candidates.FORMULA_ARGUMENTS``)
    and how its value is returned (``reduce``: the mean of the elementwise values, or ``None``)."""

    expr: sp.Expr
    symbols: tuple[sp.Symbol, ...]
    reduce: str | None = None
    parameters: tuple[sp.Symbol, ...] = ()
    counts: tuple[sp.Symbol, ...] = ()


def _formula(function: str) -> Formula | None:
    from reference.loss_expressions import SQUARED_ERROR, y, y_hat

    n = sp.Symbol("n", positive=True)
    if function == "mse_loss":
        return Formula(SQUARED_ERROR, (y, y_hat, n), "mean")
    if function == "mse_loss_derivative":
        return Formula(sp.diff(SQUARED_ERROR, y_hat) / n, (y, y_hat, n))
    if function == "gradient_descent_step":
        w, grad, lr = sp.symbols("w grad lr", real=True)
        # reference.losses.gradient_descent_step's rule w - lr dL/dw (its numeric form converts to float64)
        return Formula(w - lr * grad, (w, grad, lr), parameters=(lr,))
    if function == "vanishing_bound":
        from reference.chain_bound import chain_derivative_bound

        x_abs, product = sp.symbols("abs_x prod_w", nonnegative=True)
        factor = chain_derivative_bound("sigmoid", 1).factor_bound
        return Formula(x_abs * factor ** n * product, (x_abs, n, product), counts=(n,))
    return None


def derive_formula(function: str) -> dict[str, Any] | None:
    """A formula's candidates (None: ``function`` is no formula): ``entries`` (the reference first,
    then each rewrite), ``reduce`` (how the value is returned) and ``power`` (for a mean of a power:
    the sentence, the base's form and the exponent of the power applied after averaging; else None)."""
    formula = _formula(function)
    if formula is None:
        return None
    options: list[Rewrite] = [Rewrite(formula.expr, "", "")]
    options += rewrites(formula.expr, formula.parameters, formula.counts)
    entries: list[Entry] = [(r.tag, r.text, numpy_form(r.expr, formula.symbols)) for r in options]
    power = None
    if formula.reduce == "mean" and isinstance(formula.expr, sp.Pow):
        base, exponent = formula.expr.args
        power = (f"the power {show(exponent)} is applied after averaging: mean({show(base)})^{show(exponent)}"
                 f" in place of mean({show(formula.expr)})", numpy_form(base, formula.symbols), float(exponent))
    return {"entries": entries, "reduce": formula.reduce, "power": power}


def derive_softmax_forms() -> list[Entry]:
    """softmax_i = e_i / T (e = exp(z - max z), T = the sum of e along the axis) and its rewrites,
    as functions of (e, T)."""
    e, total = sp.symbols("e T", positive=True)
    ratio = e / total
    where = "with e = exp(z - max z) and T = the sum of e along the axis, "
    found = [("", "", ratio)] + [(r.tag, where + r.text, r.expr) for r in rewrites(ratio)]
    return [(tag, text, numpy_form(expr, (e, total))) for tag, text, expr in found]


def derive_jacobian_forms() -> list[Entry]:
    """J_ij = delta_ij s_i - s_i s_j (the closed form of ``reference.softmax.jacobian``) and its
    rewrites, as functions of (delta, s_i, s_j)."""
    delta, si, sj = sp.symbols("delta_ij s_i s_j", real=True)
    form = delta * si - si * sj
    where = f"in J_ij = {show(form)} (s = softmax(z)), "
    found = [("", "", form)] + [(r.tag, where + r.text, r.expr) for r in rewrites(form)]
    found.append(("transpose", f"the Jacobian is built from s_i s_j and delta_ij as a function of the wrong "
                  f"index: {show(form.xreplace({si: sj, sj: si}))}", form.xreplace({si: sj, sj: si})))
    return [(tag, text, numpy_form(expr, (delta, si, sj))) for tag, text, expr in found]


