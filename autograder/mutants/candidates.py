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

SymPy derives each family's expressions once per kit and reference (``autograder.mutants.derivations``,
remembered through ``reference.remembered``: a process that finds them remembered imports no SymPy);
this module compiles them (``reference.numeric_form``) and builds each candidate once per process
(``functools.cache``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.derivation_cache import DERIVATIONS  # noqa: F401 - remembers the derivations below
from reference.numeric_form import NumpyForm, evaluator
from reference.remembered import remembered

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


def _compiled(form: NumpyForm) -> Function:
    return _quiet(evaluator(form))


def _derived(key: str, derivation: str, *args: Any) -> Any:
    """``autograder.mutants.derivations.<derivation>(*args)``, remembered under ``key``
    (``reference.remembered``): that module, and SymPy, are imported only when it is not."""
    def derive() -> Any:
        from autograder.mutants import derivations

        return getattr(derivations, derivation)(*args)
    return remembered(key, derive)


def _compiled_entries(key: str, derivation: str) -> tuple[tuple[str, str, Function], ...]:
    """A derivation's (tag, text, form) entries, with each form compiled."""
    return tuple((tag, text, _compiled(form)) for tag, text, form in _derived(key, derivation))


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


@functools.cache
def _elementwise(activation: str, which: str, bound: bool) -> tuple[Candidate, ...]:
    """The candidates of one activation form, as functions of (x, *params) (``bound``: the defaults
    substituted, as in ``activate(z, name)``), from ``derivations.derive_elementwise``'s forms."""
    forms = _derived(f"mutants/elementwise/{activation}/{which}/{'bound' if bound else 'free'}",
                     "derive_elementwise", activation, which, bound)
    candidates: list[Candidate] = []
    if forms["naive"] is not None:
        text, naive = forms["naive"]
        candidates.append(Candidate("overflow", text, evaluator(naive)))
    for tag, text, form in forms["found"]:
        candidates += _int_variants(tag, text, _compiled(form))
    reference = _compiled(forms["reference"])
    candidates.append(Candidate("sum", "the values are summed into one number where one value per element "
                                "belongs (np.sum over the whole array)", _reduced(reference, "sum")))
    candidates.append(Candidate("mean", "the values are averaged into one number where one value per element "
                                "belongs (np.mean over the whole array)", _reduced(reference, "mean")))
    return tuple(candidates)


def _elementwise_candidates(function: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> list[Candidate]:
    from reference.activations import ACTIVATIONS

    if function in ("activate", "activate_derivative"):
        name = kwargs.get("activation", args[1] if len(args) > 1 else "sigmoid")
        if not isinstance(name, str) or name not in ACTIVATIONS:
            return []
        found = _elementwise(name, "f" if function == "activate" else "df", True)

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
    found = _elementwise(activation, form, False)

    def with_params(candidate: Candidate) -> Candidate:
        inner = candidate.function

        def call(x: Any, *rest: Any, **named: Any) -> Any:
            values = dict(zip(act.param_names, rest))
            values.update(named)
            params = act.parameter_values(values)
            return inner(np.asarray(x, dtype=np.float64), *params)
        return Candidate(candidate.tag, candidate.text, call, candidate.also)
    return [with_params(c) for c in found]


# --------------------------------------------------------------------------- formulas

def _floats(value: Any) -> Any:
    return np.asarray(value, dtype=np.float64)


def _mse_values(y: Any, y_hat: Any) -> tuple[Any, ...]:
    a, b = np.broadcast_arrays(_floats(y), _floats(y_hat))
    return a, b, float(a.size)


def _bound_values(x: Any, weights: Any) -> tuple[Any, ...]:
    w = _floats(weights).reshape(-1)
    return abs(float(x)), float(w.size), float(np.prod(np.abs(w[1:])))


def _step_values(w: Any, grad: Any, lr: Any) -> tuple[Any, ...]:
    return _floats(w), _floats(grad), float(lr)


FORMULA_ARGUMENTS: dict[str, Callable[..., tuple[Any, ...]]] = {
    "mse_loss": _mse_values, "mse_loss_derivative": _mse_values,
    "gradient_descent_step": _step_values, "vanishing_bound": _bound_values}
"""The formulas' functions (``derivations.derive_formula``): how a call's arguments bind the symbols."""


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
    if function not in FORMULA_ARGUMENTS:
        return ()
    derived = _derived(f"mutants/formula/{function}", "derive_formula", function)
    if derived is None:
        return ()
    reduce = derived["reduce"]
    found: list[tuple[str, str, Function]] = []
    for tag, text, form in derived["entries"]:
        evaluate = _compiled(form)
        found.append((tag, text, _reduced(evaluate, reduce)))
        if reduce == "mean" and not tag:
            found.append(("sum", "the values are summed, not averaged", _reduced(evaluate, "sum")))
            found.append(("mean-twice", "the mean is divided by the number of values again (averaged twice)",
                          _reduced(evaluate, "mean-twice")))
        if reduce is None and not tag:
            found.append(("sum", "the values are summed into one number", _reduced(evaluate, "sum")))
            found.append(("mean", "the values are averaged into one number", _reduced(evaluate, "mean")))
    if derived["power"] is not None:
        text, base, power = derived["power"]
        inner = _compiled(base)
        found.append(("power", text, lambda *values: float(np.mean(inner(*values)) ** power)))
    bind = FORMULA_ARGUMENTS[function]
    return tuple(Candidate(tag, text, functools.partial(_bound_call, bind, evaluate))
                 for tag, text, evaluate in found)


def _bound_call(bind: Function, evaluate: Function, *args: Any, **kwargs: Any) -> Any:
    return evaluate(*bind(*args, **kwargs))


# --------------------------------------------------------------------------- softmax

@functools.cache
def _softmax_forms() -> tuple[tuple[str, str, Function], ...]:
    """softmax's ratio e / T and its rewrites (``derivations.derive_softmax_forms``), compiled."""
    return _compiled_entries("mutants/softmax", "derive_softmax_forms")


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
    """softmax's Jacobian delta_ij s_i - s_i s_j and its rewrites (``derivations.derive_jacobian_forms``),
    compiled."""
    return _compiled_entries("mutants/softmax-jacobian", "derive_jacobian_forms")


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
    _asked.setdefault(function)

    found = _elementwise_candidates(function, args, kwargs)
    if not found:
        found = _softmax_family(function)
    if not found:
        found = list(_formula_candidates(function))
    if not found:
        found = _fold_candidates(function)
    if not found:
        from autograder.mutants.graphs import graph_candidates  # SymPy: the graphs' changes are not remembered

        found = graph_candidates(function, args, kwargs)
    return found


def _elementwise_forms_of(function: str) -> list[tuple[str, str, bool]]:
    """(activation, form, bound) of the ``_elementwise`` calls of ``function`` ask for: ``activate``'s for
    the lecture's activations (what the suites ask it for; SymPy takes a minute over softplus' derivative
    bound to its default, so the others are derived only where asked)."""
    from reference.activations import LECTURE_ACTIVATIONS

    if function in ("activate", "activate_derivative"):
        return [(name, "f" if function == "activate" else "df", True) for name in LECTURE_ACTIVATIONS]
    form = _activation_of(function)
    return [] if form is None else [(*form, False)]


def remember_all(functions: Sequence[str]) -> None:
    """Derive now everything a diagnosis of ``functions`` and the reference's activations may ask
    SymPy for (``reference.remembered``): with a disk store, later processes import no SymPy for them.
    A graph's changes depend on its depth and are derived where asked."""
    from reference.activations import get_activation

    for function in functions:
        for activation, form, bound in _elementwise_forms_of(function):
            _elementwise(activation, form, bound)
            get_activation(activation).prepare()
        _formula_candidates(function)
        _softmax_family(function)


def warm(functions: Sequence[str]) -> None:
    """Build now the candidates that ``functions``' names alone determine (an activation's forms,
    a formula's rewrites), so that a grading process's forks start with them compiled; those that
    depend on a call's arguments (``activate``'s activation, a graph's depth) are built on first use."""
    for function in functions:
        form = _activation_of(function)
        if form is not None:
            _elementwise(*form, False)
        _formula_candidates(function)
