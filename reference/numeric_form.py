"""SymPy expressions kept as the numpy code ``lambdify`` prints for them, and run without SymPy.

A ``NumpyForm`` is plain data: the argument names and the printed expression text (one text, or
a ``Piecewise``'s value and condition texts). ``reference.compile.numpy_form`` prints it from a
SymPy expression; ``evaluator(form)`` turns it back into the float64 evaluator
``reference.compile.compile_expression`` returns, importing nothing but numpy. So a derivation
remembered as forms (``reference.remembered``) costs a fresh process neither SymPy's import nor
its work.

A text is only ever compiled after a check of its syntax tree: arithmetic, comparisons, calls of
numpy's ufuncs and a few more of its functions (and the reference's stable ones, ``NUMPY_NAMESPACE``)
on the arguments and number literals, nothing else (no attribute but ``numpy.<name>`` and a ufunc's
``reduce``, no name starting with ``_``, no builtins). A text outside that is a ``FormError``,
never run: a remembered form read back from a file cannot run anything but numpy arithmetic.
"""

from __future__ import annotations

import ast
import functools
import keyword
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from reference.numeric import NUMPY_NAMESPACE, Evaluator, FloatArray, as_float64

Names = Literal["reference", "numpy"]
"""Where a text's function names come from: numpy with the reference's stable functions in front
(``NUMPY_NAMESPACE``, as the reference's evaluators are compiled), or numpy alone (conditions,
and the defining formula run as written)."""

_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call, ast.keyword, ast.Name,
          ast.Constant, ast.Attribute, ast.Tuple, ast.List, ast.Load, ast.IfExp,
          ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
"""The syntax a form's text may use (``ast.operator`` and the like: +, **, <=, and, not ...)."""
_MODULE = "numpy"
_NUMPY_ALSO = frozenset({"select", "where", "clip", "amax", "amin", "nan", "inf", "pi", "e", "euler_gamma"})
"""numpy names a form may use besides its ufuncs (what lambdify prints for a ``Piecewise``, ``Max``,
constants); nothing that reads or writes files or builds objects."""


class FormError(ValueError):
    """A text that is not a numpy expression of the form's arguments (it is never compiled)."""


@dataclass(frozen=True)
class NumpyForm:
    """An expression as numpy code: ``body`` (a ``Piecewise``: ``branches``, each value with its
    condition, the first true one applying) over ``arguments``.

    ``raw``: the printed function itself (what ``sympy.lambdify(..., modules="numpy")`` returns:
    its result as numpy gives it); else the reference's evaluator (float64 inputs, broadcast,
    float64 result, a ``Piecewise`` computed branch by branch on its own elements only).
    ``fallback``: the evaluator, when the expression printed to something this module cannot
    rebuild faithfully; such a form is never remembered (``remembered``)."""

    arguments: tuple[str, ...]
    body: str = ""
    branches: tuple[tuple[str, str], ...] = ()
    raw: bool = False
    fallback: Callable[..., Any] | None = field(default=None, compare=False, repr=False)

    @property
    def storable(self) -> bool:
        return self.fallback is None

    def texts(self) -> list[tuple[str, Names]]:
        """Each text of the form with the names it is compiled with (a condition, and a raw form, see
        numpy's alone)."""
        if self.branches:
            return [text for value, condition in self.branches
                    for text in ((value, "reference"), (condition, "numpy"))]
        return [(self.body, "numpy" if self.raw else "reference")]


def _numpy(name: str) -> Any:
    """numpy's ``name``, if a form may use it: a ufunc, or one of ``_NUMPY_ALSO``."""
    value = getattr(np, name, None)
    if isinstance(value, np.ufunc) or (name in _NUMPY_ALSO and value is not None):
        return value
    raise FormError(f"numpy's {name!r} is not allowed in a numpy form")


def _resolve(name: str, names: Names) -> Any:
    """What ``name`` means in a text: the module, a reference function, a numpy function."""
    if name == _MODULE:
        return np
    if name == "reduce":  # lambdify prints Max(a, b, ...) as reduce(maximum, [a, b, ...])
        return functools.reduce
    if names == "reference":
        overrides = NUMPY_NAMESPACE[0]
        if name in overrides:
            return overrides[name]
    return _numpy(name)


def _checked_tree(text: str, arguments: Sequence[str], names: Names) -> tuple[ast.expr, dict[str, Any]]:
    """The parsed ``text`` and the names it uses; a ``FormError`` for anything outside the syntax."""
    for argument in arguments:
        if not argument.isidentifier() or keyword.iskeyword(argument) or argument.startswith("__"):
            raise FormError(f"argument {argument!r} is no plain name")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise FormError(f"not an expression: {err.msg}") from None
    used: dict[str, Any] = {}
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise FormError(f"{type(node).__name__} is not allowed in a numpy form")
        if isinstance(node, ast.Constant) and type(node.value) not in (int, float, complex, bool, type(None)):
            raise FormError(f"constant {node.value!r:.40} is not a number")
        if isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner == _MODULE:
                _numpy(node.attr)
            elif not (owner is not None and node.attr == "reduce" and isinstance(getattr(np, owner, None), np.ufunc)):
                raise FormError(f"attribute {node.attr!r} of anything but numpy or a ufunc's reduce")
        if isinstance(node, ast.Name):
            if node.id.startswith("_") and node.id not in arguments:
                raise FormError(f"name {node.id!r}")
            if node.id not in arguments:
                used[node.id] = _resolve(node.id, names)
    return tree.body, used


def function_of(arguments: Sequence[str], text: str, names: Names) -> Callable[..., Any]:
    """The function ``lambda *arguments: text``, after ``text`` passed the check (``FormError``)."""
    body, used = _checked_tree(text, arguments, names)
    signature = ast.arguments(posonlyargs=[], args=[ast.arg(arg=a) for a in arguments], vararg=None,
                              kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    tree = ast.fix_missing_locations(ast.Expression(body=ast.Lambda(args=signature, body=body)))
    code = compile(tree, "<numpy form>", "eval")
    made: Callable[..., Any] = eval(code, {"__builtins__": {}, **used})  # noqa: S307 - checked above
    return made


def names_used(text: str, arguments: Sequence[str], names: Names) -> Mapping[str, Any]:
    """What each name ``text`` uses (besides its arguments) means (``FormError`` if outside the syntax)."""
    return _checked_tree(text, arguments, names)[1]


def plain_evaluator(function: Callable[..., Any]) -> Evaluator:
    """``function`` on float64 inputs, its result broadcast to their shape, in float64."""
    def evaluate(*args: Any) -> FloatArray:
        arrays = [as_float64(v) for v in args]
        shape = np.broadcast_shapes(*(v.shape for v in arrays))
        return np.broadcast_to(as_float64(function(*arrays)), shape).astype(np.float64)

    return evaluate


def masked_evaluator(branches: Sequence[tuple[Evaluator, Callable[..., Any]]]) -> Evaluator:
    """A ``Piecewise``: each (value, condition) branch's value on the elements whose first true
    condition is its own, computed on those elements only (0 where none holds)."""
    def evaluate(*args: Any) -> FloatArray:
        arrays = np.broadcast_arrays(*(as_float64(v) for v in args))
        out = np.zeros(arrays[0].shape, dtype=np.float64)
        undecided = np.ones(arrays[0].shape, dtype=bool)
        for value_fn, cond_fn in branches:
            mask = undecided & np.broadcast_to(np.asarray(cond_fn(*arrays), dtype=bool), undecided.shape)
            if mask.any():
                out[mask] = value_fn(*(v[mask] for v in arrays))
            undecided &= ~mask
        return out

    return evaluate


def checked(form: NumpyForm) -> NumpyForm:
    """``form``, once every text of it passed the check (``FormError`` else), without compiling it:
    a form read back from a file holding anything else is never compiled."""
    for text, names in form.texts():
        names_used(text, form.arguments, names)
    return form


def evaluator(form: NumpyForm) -> Callable[..., Any]:
    """The function ``form`` describes (see ``NumpyForm``); a ``FormError`` for a text outside the syntax."""
    if form.fallback is not None:
        return form.fallback
    functions = [function_of(form.arguments, text, names) for text, names in form.texts()]
    if form.raw:
        return functions[0]
    if not form.branches:
        return plain_evaluator(functions[0])
    return masked_evaluator([(plain_evaluator(value), condition)
                             for value, condition in zip(functions[::2], functions[1::2], strict=True)])
