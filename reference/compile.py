"""Compile SymPy expressions into stable float64 numpy evaluators (see ``reference.numeric``).

An expression is printed by ``sympy.lambdify`` into numpy code and kept as a ``NumpyForm``
(``reference.numeric_form``: plain data, run without SymPy); ``compile_expression`` is
``evaluator(numpy_form(...))``. Printing checks that the form, rebuilt from its text, calls
exactly the functions lambdify's own function calls; an expression whose printed code is outside
what a form holds keeps lambdify's function (``NumpyForm.fallback``) and is never remembered.

Importing this module imports SymPy; ``reference.numeric.compile_expression``
imports it on first use, so the numeric side of the reference stays light.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import sympy as sp

from reference.numeric import NUMPY_NAMESPACE, Evaluator
from reference.numeric_form import (
    FormError,
    Names,
    NumpyForm,
    evaluator,
    masked_evaluator,
    names_used,
    plain_evaluator,
)


def _printed(expr: sp.Expr, symbols: Sequence[sp.Symbol], names: Names) -> tuple[tuple[str, ...], str]:
    """(argument names, expression text) of lambdify's function of ``expr``; a ``FormError`` when
    that function is more than one returned expression, or a name in it means something else
    in a form."""
    modules: Any = NUMPY_NAMESPACE if names == "reference" else "numpy"
    function = sp.lambdify(symbols, expr, modules=modules)
    tree = ast.parse(inspect.getsource(function))
    definition = tree.body[0] if len(tree.body) == 1 else None
    if not (isinstance(definition, ast.FunctionDef) and len(definition.body) == 1
            and isinstance(definition.body[0], ast.Return) and definition.body[0].value is not None):
        raise FormError("lambdify's function is more than one returned expression")
    arguments = tuple(a.arg for a in definition.args.args)
    text = ast.unparse(definition.body[0].value)
    for name, meaning in names_used(text, arguments, names).items():
        if function.__globals__.get(name) is not meaning:
            raise FormError(f"{name!r} means another function in lambdify's code")
    return arguments, text


def _lambdified(expr: sp.Expr, symbols: Sequence[sp.Symbol], raw: bool) -> Callable[..., Any]:
    """What ``numpy_form``'s form computes, straight from lambdify (a form that could not be printed)."""
    if raw:
        function: Callable[..., Any] = sp.lambdify(symbols, expr, modules="numpy")
        return function
    folded = sp.piecewise_fold(expr)
    if isinstance(folded, sp.Piecewise):
        return masked_evaluator([(plain_evaluator(sp.lambdify(symbols, value, modules=NUMPY_NAMESPACE)),
                                  sp.lambdify(symbols, cond, modules="numpy")) for value, cond in folded.args])
    return plain_evaluator(sp.lambdify(symbols, folded, modules=NUMPY_NAMESPACE))


def numpy_form(expr: sp.Expr, symbols: Sequence[sp.Symbol], *, raw: bool = False) -> NumpyForm:
    """``expr`` as a function of ``symbols``, printed as numpy code (see ``NumpyForm``; ``raw``:
    lambdify's function itself, with numpy's names only)."""
    try:
        if raw:
            arguments, body = _printed(expr, symbols, "numpy")
            return NumpyForm(arguments, body=body, raw=True)
        folded = sp.piecewise_fold(expr)
        if not isinstance(folded, sp.Piecewise):
            arguments, body = _printed(folded, symbols, "reference")
            return NumpyForm(arguments, body=body)
        branches = []
        arguments = ()
        for value, cond in folded.args:
            arguments, value_text = _printed(value, symbols, "reference")
            condition_arguments, condition_text = _printed(cond, symbols, "numpy")
            if condition_arguments != arguments:
                raise FormError("a condition's arguments differ from its value's")
            branches.append((value_text, condition_text))
        return NumpyForm(arguments, branches=tuple(branches))
    except FormError:
        names = tuple(str(s) for s in symbols)
        return NumpyForm(names, raw=raw, fallback=_lambdified(expr, symbols, raw))


def compile_expression(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Evaluator:
    """A float64 evaluator of ``expr`` as a function of ``symbols``, broadcasting its inputs."""
    made: Evaluator = evaluator(numpy_form(expr, symbols))
    return made
