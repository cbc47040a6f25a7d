"""Numpy forms: the reference's expressions printed as numpy code and run without SymPy, exactly as
lambdify's functions; and a form's text is checked before it is ever compiled."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from reference.activations import ACTIVATIONS
from reference.compile import _lambdified, numpy_form
from reference.numeric_form import FormError, NumpyForm, evaluator, function_of
from reference.symbols import x

GRID = np.concatenate([np.linspace(-800.0, 800.0, 401), np.linspace(-3.0, 3.0, 601), [0.0, -0.0, 1e-300, -1e-300]])


def _parameters(count: int) -> list[np.ndarray]:
    return [np.full_like(GRID, 0.3) for _ in range(count)]


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_every_activation_form_prints_and_computes_what_lambdify_computes_bit_for_bit(name: str) -> None:
    act = ACTIVATIONS[name]
    args = [GRID, *_parameters(len(act.param_names))]
    for which, expr in act.numeric_forms.items():
        form = numpy_form(expr, act.symbols)
        assert form.storable, f"{name} {which} did not print as a numpy form"
        with np.errstate(all="ignore"):
            ours, theirs = evaluator(form)(*args), _lambdified(expr, act.symbols, False)(*args)
        assert ours.dtype == np.float64
        np.testing.assert_array_equal(ours, theirs, err_msg=f"{name} {which}")


def test_a_raw_form_is_lambdify_s_own_function_with_numpy_s_names() -> None:
    expr = 1 / (1 + sp.exp(-x))
    form = numpy_form(expr, (x,), raw=True)
    assert form.raw and form.storable
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(evaluator(form)(GRID), sp.lambdify((x,), expr, modules="numpy")(GRID))


def test_a_max_prints_through_reduce_and_a_conjunction_through_a_ufunc_s_reduce() -> None:
    a = sp.Symbol("a")
    for expr in (sp.Max(0, x), sp.Piecewise((a, (x <= 0) & (a * x <= 0)), (1, True))):
        form = numpy_form(expr, (x, a))
        assert form.storable
        np.testing.assert_array_equal(evaluator(form)(GRID, 0.5), _lambdified(expr, (x, a), False)(GRID, 0.5))


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')",
    "x.__class__",
    "numpy.load(x)",
    "numpy.save(x, x)",
    "numpy.lib.stride_tricks",
    "open(x)",
    "(lambda: 1)()",
    "x[0]",
    "'text'",
    "[y for y in x]",
    "vars()",
    "numpy.fromfile",
    "maximum.at(x, 0, 1)",
])
def test_a_text_outside_numpy_arithmetic_is_refused_before_it_is_compiled(text: str) -> None:
    with pytest.raises(FormError):
        function_of(("x",), text, "reference")
    with pytest.raises(FormError):
        evaluator(NumpyForm(("x",), body=text))


def test_arguments_must_be_plain_names() -> None:
    for arguments in (("__builtins__",), ("lambda",), ("x y",)):
        with pytest.raises(FormError):
            function_of(arguments, "1", "numpy")


def test_a_form_runs_without_builtins() -> None:
    with pytest.raises(FormError):
        function_of(("x",), "len(x)", "numpy")
    assert function_of(("x",), "where(less(x, 0), 0, x)", "numpy")(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]


def test_an_expression_lambdify_prints_outside_the_syntax_keeps_lambdify_s_function_and_is_not_storable() -> None:
    expr = sp.erf(x)  # lambdify's numpy code calls erf, which is no numpy function
    form = numpy_form(expr, (x,), raw=True)
    assert not form.storable and form.fallback is not None
    assert evaluator(form) is form.fallback
