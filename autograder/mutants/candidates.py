"""Candidate mistakes of one student function, derived from the reference's own expressions.

``candidates(function, args, kwargs)`` gives callables with the student function's signature,
each the reference with one ``rewrites`` change (or the whole result transformed: int or bool dtype,
summed into one number, the defining form evaluated without its stable rewrite). The diagnosis
runs them in the trusted process on the logged arguments, exactly as it runs catalogued chaffs.

Four shapes of function are known:

* elementwise activations (``sigmoid_derivative``, ``prelu_grad_a``, ``activate(z, name)``):
  the activation's expression, its ``sympy.diff``, and the derivative written through the
  function (``sigma (1 - sigma)``, solved for by SymPy) applied to x in place of f(x), with a
  change made to the function's argument in place of its value (``sigma(1 - x)``), or, branch by
  branch, rewritten once (elu' = elu + alpha where x <= 0);
* folds of a list (``chain_rule``, ``sum_over_paths``): started from the other operation's
  identity, run over every element of the arrays in place of along the list, with its first or
  last item left out, or (a sum) divided by the number of items;
* formulas with a reduction (``mse_loss``, ``mse_loss_derivative``, ``gradient_descent_step``,
  ``vanishing_bound``): the reference's expression with its symbols bound from the arguments;
* the reference's graphs (``forward``, ``backward``, ``deep_chain_forward``,
  ``deep_chain_gradients``, ``train``): one node or one local derivative rewritten in every
  layer that shares it, the pre-activation in place of a layer's input, the loop a layer short.

Every candidate is built and compiled once per process (``functools.cache``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from autograder.mutants.rewrites import Rewrite, rewrites, show

Function = Callable[..., Any]


@dataclass(frozen=True)
class Candidate:
    tag: str
    """The change's family; "" for the reference itself."""
    text: str
    function: Function
    also: tuple[tuple[str, str], ...] = ()
    """A second mistake made together with this one: (tag, text)."""


def _quiet(evaluate: Function) -> Function:
    """``evaluate`` with float64 errors ignored: a value candidate is judged by its values, and
    only the unstable-form candidate may raise where the student's code raised."""
    def run(*args: Any) -> Any:
        with np.errstate(all="ignore"):
            return evaluate(*args)
    return run


def _compiled(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Function:
    from reference.compile import compile_expression

    return _quiet(compile_expression(expr, symbols))


def _as_int(result: Any) -> Any:
    with np.errstate(all="ignore"):  # a NaN or inf cast is this candidate's value, never an overflow error
        return np.asarray(result).astype(np.int64)


def _int_variants(tag: str, text: str, function: Function) -> list[Candidate]:
    """The candidate itself, and with its result in an integer dtype (a mask's ``.astype(int)`` or
    ``* 1``) or a boolean one (the mask itself): two mistakes of one function, both named."""
    def as_int(*args: Any, **kwargs: Any) -> Any:
        return _as_int(function(*args, **kwargs))
    def as_bool(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return np.asarray(function(*args, **kwargs)).astype(bool)
    words = "the result is an integer array (a mask turned into numbers keeps an int dtype)"
    mask = ("the result is a boolean array (a comparison such as x > 0 returned as it is, not turned into "
            "floats with .astype(float))")
    if not tag:
        return [Candidate(tag, text, function), Candidate("int", words, as_int), Candidate("bool", mask, as_bool)]
    return [Candidate(tag, text, function), Candidate(tag, text, as_int, (("int", words),)),
            Candidate(tag, text, as_bool, (("bool", mask),))]


# --------------------------------------------------------------------------- elementwise

def _activation_of(function: str) -> tuple[str, str] | None:
    """(activation, "f" | "df" | "d<param>") that a function of the activations assignment computes."""
    from reference.activations import ACTIVATIONS

    for name, act in ACTIVATIONS.items():
        if function == name:
            return name, "f"
        if function == f"{name}_derivative":
            return name, "df"
        for param in act.param_names:
            if function == f"{name}_grad_{param}":
                return name, f"d{param}"
    return None


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


@functools.cache
def _elementwise(activation: str, which: str, bound: bool) -> tuple[tuple[sp.Symbol, ...], tuple[Candidate, ...]]:
    """The candidates of one activation form, as functions of (x, *params) (``bound``: the defaults
    substituted, as in ``activate(z, name)``)."""
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
    candidates: list[Candidate] = []
    stable = act.stable if which == "f" else None
    if stable is not None:
        naive = sp.lambdify(symbols, prepare(act.expr), modules="numpy")
        candidates.append(Candidate("overflow", f"the defining formula {show(prepare(act.expr))} is computed "
                                    "as written, so exp overflows for large |x| (rewrite it so every "
                                    "exponent is <= 0)", naive))
    seen: set[sp.Expr] = set()
    for tag, text, expr in found:
        if expr in seen:
            continue
        seen.add(expr)
        candidates += _int_variants(tag, text, _compiled(expr, symbols))
    reference = _compiled(target, symbols)
    candidates.append(Candidate("sum", "the values are summed into one number where one value per element "
                                "belongs (np.sum over the whole array)", _reduced(reference, "sum")))
    candidates.append(Candidate("mean", "the values are averaged into one number where one value per element "
                                "belongs (np.mean over the whole array)", _reduced(reference, "mean")))
    return symbols, tuple(candidates)


def _elementwise_candidates(function: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> list[Candidate]:
    from reference.activations import ACTIVATIONS

    if function in ("activate", "activate_derivative"):
        name = kwargs.get("activation", args[1] if len(args) > 1 else "sigmoid")
        if not isinstance(name, str) or name not in ACTIVATIONS:
            return []
        _, found = _elementwise(name, "f" if function == "activate" else "df", True)

        def bound(candidate: Candidate) -> Candidate:
            inner = candidate.function
            return Candidate(candidate.tag, candidate.text,
                             lambda z, activation="sigmoid": inner(np.asarray(z, dtype=np.float64)), candidate.also)
        return [bound(c) for c in found]
    which = _activation_of(function)
    if which is None:
        return []
    activation, form = which
    act = ACTIVATIONS[activation]
    symbols, found = _elementwise(activation, form, False)

    def with_params(candidate: Candidate) -> Candidate:
        inner = candidate.function

        def call(x: Any, *rest: Any, **named: Any) -> Any:
            values = dict(zip(act.param_names, rest))
            values.update(named)
            params = [float(values.get(p, act.defaults.get(p, np.nan))) for p in act.param_names]
            return inner(np.asarray(x, dtype=np.float64), *params)
        return Candidate(candidate.tag, candidate.text, call, candidate.also)
    return [with_params(c) for c in found]


# --------------------------------------------------------------------------- formulas

def _floats(value: Any) -> Any:
    return np.asarray(value, dtype=np.float64)


@dataclass(frozen=True)
class Formula:
    """A reference expression over named symbols, the function binding them from a call, and how
    its value is returned (``reduce``: the mean of the elementwise values, or ``None``)."""

    expr: sp.Expr
    symbols: tuple[sp.Symbol, ...]
    bind: Callable[..., tuple[Any, ...]]
    reduce: str | None = None
    parameters: tuple[sp.Symbol, ...] = ()
    counts: tuple[sp.Symbol, ...] = ()


def _mse_values(y: Any, y_hat: Any) -> tuple[Any, ...]:
    a, b = np.broadcast_arrays(_floats(y), _floats(y_hat))
    return a, b, float(a.size)


def _bound_values(x: Any, weights: Any) -> tuple[Any, ...]:
    w = _floats(weights).reshape(-1)
    return abs(float(x)), float(w.size), float(np.prod(np.abs(w[1:])))


@functools.cache
def _formula(function: str) -> Formula | None:
    from reference.loss_expressions import SQUARED_ERROR, y, y_hat

    n = sp.Symbol("n", positive=True)
    if function == "mse_loss":
        return Formula(SQUARED_ERROR, (y, y_hat, n), _mse_values, "mean")
    if function == "mse_loss_derivative":
        return Formula(sp.diff(SQUARED_ERROR, y_hat) / n, (y, y_hat, n), _mse_values)
    if function == "gradient_descent_step":
        w, grad, lr = sp.symbols("w grad lr", real=True)
        # reference.losses.gradient_descent_step's rule w - lr dL/dw (its numeric form converts to float64)
        update = w - lr * grad
        return Formula(update, (w, grad, lr), lambda w_, g_, lr_: (_floats(w_), _floats(g_), float(lr_)),
                       parameters=(lr,))
    if function == "vanishing_bound":
        from reference.chain_bound import chain_derivative_bound

        x_abs, product = sp.symbols("abs_x prod_w", nonnegative=True)
        factor = chain_derivative_bound("sigmoid", 1).factor_bound
        return Formula(x_abs * factor ** n * product, (x_abs, n, product), _bound_values, counts=(n,))
    return None


def _reduced(evaluate: Function, reduce: str | None) -> Function:
    if reduce == "mean":
        return lambda *values: float(np.mean(evaluate(*values)))
    if reduce == "sum":
        return lambda *values: float(np.sum(evaluate(*values)))
    if reduce == "mean-twice":
        def twice(*values: Any) -> float:
            each = np.asarray(evaluate(*values))
            return float(np.mean(each) / max(each.size, 1))
        return twice
    return evaluate


@functools.cache
def _formula_candidates(function: str) -> tuple[Candidate, ...]:
    formula = _formula(function)
    if formula is None:
        return ()
    found: list[tuple[str, str, Function]] = []
    options: list[Rewrite] = [Rewrite(formula.expr, "", "")]
    options += rewrites(formula.expr, formula.parameters, formula.counts)
    for rewrite in options:
        evaluate = _compiled(rewrite.expr, formula.symbols)
        found.append((rewrite.tag, rewrite.text, _reduced(evaluate, formula.reduce)))
        if formula.reduce == "mean" and not rewrite.tag:
            found.append(("sum", "the values are summed, not averaged", _reduced(evaluate, "sum")))
            found.append(("mean-twice", "the mean is divided by the number of values again (averaged twice)",
                          _reduced(evaluate, "mean-twice")))
        if formula.reduce is None and not rewrite.tag:
            found.append(("sum", "the values are summed into one number", _reduced(evaluate, "sum")))
            found.append(("mean", "the values are averaged into one number", _reduced(evaluate, "mean")))
    if formula.reduce == "mean" and isinstance(formula.expr, sp.Pow):
        base, power = formula.expr.args
        inner = _compiled(base, formula.symbols)
        found.append(("power", f"the power {show(power)} is applied after averaging: mean({show(base)})^{show(power)}"
                      f" in place of mean({show(formula.expr)})",
                      lambda *values: float(np.mean(inner(*values)) ** float(power))))
    bind = formula.bind
    return tuple(Candidate(tag, text, functools.partial(_bound_call, bind, evaluate))
                 for tag, text, evaluate in found)


def _bound_call(bind: Function, evaluate: Function, *args: Any, **kwargs: Any) -> Any:
    return evaluate(*bind(*args, **kwargs))


# --------------------------------------------------------------------------- softmax

@functools.cache
def _softmax_forms() -> tuple[tuple[str, str, Function], ...]:
    """softmax_i = e_i / T (e = exp(z - max z), T = the sum of e along the axis) and its rewrites,
    as functions of (e, T)."""
    e, total = sp.symbols("e T", positive=True)
    ratio = e / total
    where = "with e = exp(z - max z) and T = the sum of e along the axis, "
    found = [("", "", ratio)] + [(r.tag, where + r.text, r.expr) for r in rewrites(ratio)]
    return tuple((tag, text, _compiled(expr, (e, total))) for tag, text, expr in found)


def _axis_of(z: Any, axis: Any) -> Any:
    return None if axis is None else int(axis) % max(np.ndim(z), 1)


def _softmax(ratio: Function, sum_axis: Callable[[Any, Any], Any], shift_axis: Callable[[Any, Any], Any],
             mean: bool = False) -> Function:
    """softmax with the normaliser summed (or averaged) along ``sum_axis(z, axis)`` and the max
    taken along ``shift_axis(z, axis)``."""
    def run(z: Any, axis: Any = -1) -> Any:
        values = _floats(z)
        with np.errstate(all="ignore"):
            e = np.exp(values - np.max(values, axis=shift_axis(values, axis), keepdims=True))
            reduce = np.mean if mean else np.sum
            return ratio(e, reduce(e, axis=sum_axis(values, axis), keepdims=True))
    return run


def _unshifted(z: Any, axis: Any = -1) -> Any:
    e = np.exp(_floats(z))  # the candidate overflows where the student's did (errstate is the call's)
    return e / np.sum(e, axis=axis, keepdims=True)


def _softmax_candidates() -> list[Candidate]:
    given = _axis_of

    def whole(z: Any, axis: Any) -> Any:
        return None

    def first(z: Any, axis: Any) -> Any:
        return 0

    def last(z: Any, axis: Any) -> Any:
        return -1

    forms = _softmax_forms()
    reference = forms[0][2]
    found = [Candidate(tag, text, _softmax(ratio, given, given)) for tag, text, ratio in forms]
    for axis_of, words in ((first, "along axis 0"), (whole, "over the whole array"),
                           (last, "along the last axis (the axis argument is ignored)")):
        for shift_of, shifted in ((axis_of, ""), (given, " (the max is taken along the given axis)"),
                                  (whole, "")):
            found.append(Candidate("axis", f"the normaliser sum of exp(z) runs {words}, not along the given "
                                   f"axis{shifted}", _softmax(reference, axis_of, shift_of)))
    found.append(Candidate("mean", "the exponentials are averaged along the axis, not summed",
                           _softmax(reference, given, given, mean=True)))
    found.append(Candidate("overflow", "exp(z) is computed without subtracting the max first, so it overflows "
                           "for large logits (softmax is unchanged by subtracting max z along the axis)",
                           _unshifted))
    return found


@functools.cache
def _jacobian_forms() -> tuple[tuple[str, str, Function], ...]:
    """J_ij = delta_ij s_i - s_i s_j (the closed form of ``reference.softmax.jacobian``) and its
    rewrites, as functions of (delta, s_i, s_j)."""
    delta, si, sj = sp.symbols("delta_ij s_i s_j", real=True)
    form = delta * si - si * sj
    where = f"in J_ij = {show(form)} (s = softmax(z)), "
    found = [("", "", form)] + [(r.tag, where + r.text, r.expr) for r in rewrites(form)]
    found.append(("transpose", f"the Jacobian is built from s_i s_j and delta_ij as a function of the wrong "
                  f"index: {show(form.xreplace({si: sj, sj: si}))}", form.xreplace({si: sj, sj: si})))
    return tuple((tag, text, _compiled(expr, (delta, si, sj))) for tag, text, expr in found)


def _jacobian(form: Function) -> Function:
    def run(z: Any) -> Any:
        from reference.softmax import softmax

        s = np.asarray(softmax(_floats(z).reshape(-1)), dtype=np.float64)
        return form(np.eye(s.size), s[:, None], s[None, :])
    return run


def _softmax_family(function: str) -> list[Candidate]:
    if function == "softmax":
        return _softmax_candidates()
    if function == "softmax_jacobian":
        return [Candidate(tag, text, _jacobian(form)) for tag, text, form in _jacobian_forms()]
    return []


# --------------------------------------------------------------------------- folds

FOLDS = {"chain_rule": ("mul", None), "sum_over_paths": ("add", "chain_rule")}
"""Functions that fold a list with one operation from its identity (the product of a path's local
derivatives, the sum over paths of each path's product): the operation, and the function applied
to each item first (None: the item itself)."""


def _fold(operation: str, inner: Function | None, start: Any, whole: bool,
          items_taken: slice = slice(None), mean: bool = False) -> Function:
    """The fold from ``start``; ``whole``: over every element of the arrays; ``items_taken``: over
    those items of the list only; ``mean``: the result divided by the number of items."""
    import operator

    combine = operator.mul if operation == "mul" else operator.add

    def run(items: Any) -> Any:
        values = [inner(item) if inner is not None else item for item in list(items)[items_taken]]
        if whole:
            flat = np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in values] or [np.zeros(0)])
            return float(np.prod(flat) if operation == "mul" else np.sum(flat))
        if not values and items_taken != slice(None):
            return float(start)  # a list left empty by the slice: the identity, as a float the code carries
        folded = functools.reduce(combine, values, start)
        return folded / len(values) if mean else folded
    return run


def _fold_candidates(function: str) -> list[Candidate]:
    if function not in FOLDS:
        return []
    from reference import losses

    operation, inner_name = FOLDS[function]
    inner = getattr(losses, inner_name) if inner_name else None
    word, identity, other = ("product", 1, 0) if operation == "mul" else ("sum", 0, 1)
    return [Candidate("", "", _fold(operation, inner, identity, False)),
            Candidate("start", f"the {word} starts at {other}, not at {identity} (the {word} of no terms is "
                      f"{identity}; starting at {other} {'makes every product 0' if other == 0 else 'adds 1'})",
                      _fold(operation, inner, other, False)),
            Candidate("axis", f"the {word} runs over every element of the arrays (one number), not along the "
                      f"list only (one {word} per sample: combine the items elementwise)",
                      _fold(operation, inner, identity, True)),
            Candidate("skip", f"the {word} leaves out the first item of the list (a loop over items[1:])",
                      _fold(operation, inner, identity, False, slice(1, None))),
            Candidate("skip", f"the {word} leaves out the last item of the list (a loop over items[:-1])",
                      _fold(operation, inner, identity, False, slice(None, -1))),
            *([Candidate("mean", "the items are averaged (the sum divided by the number of items), not added",
                         _fold(operation, inner, identity, False, mean=True))] if operation == "add" else [])]


# --------------------------------------------------------------------------- entry point

_asked: dict[str, None] = {}
"""The functions whose candidates this process was asked for, in order (a fork's are its parent's and its own)."""


def asked() -> tuple[str, ...]:
    """The functions ``candidates`` was asked about in this process: what a warm grading process
    compiles for its later forks (``autograder.grading.warm``)."""
    return tuple(_asked)


def candidates(function: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> list[Candidate]:
    """Every candidate mistake of ``function`` for calls like this one (same activation name)."""
    from autograder.mutants.graphs import graph_candidates

    _asked.setdefault(function)

    found = _elementwise_candidates(function, args, kwargs)
    if not found:
        found = _softmax_family(function)
    if not found:
        found = list(_formula_candidates(function))
    if not found:
        found = _fold_candidates(function)
    if not found:
        found = graph_candidates(function, args, kwargs)
    return found


def warm(functions: Sequence[str]) -> None:
    """Build now the candidates that ``functions``' names alone determine (an activation's forms,
    a formula's rewrites), so that a grading process's forks start with them compiled; those that
    depend on a call's arguments (``activate``'s activation, a graph's depth) are built on first use."""
    for function in functions:
        form = _activation_of(function)
        if form is not None:
            _elementwise(*form, False)
        _formula_candidates(function)
