"""Every activation of the unit as one SymPy expression.

Each ``Activation`` holds the defining expression ``f(x, params)``. Its
derivatives come from ``sympy.diff``, never typed by hand. Where the defining
form overflows in float64 (``1/(1+exp(-x))`` at x = -1000), ``stable`` holds an
algebraically equal ``Piecewise`` used for numbers; the test suite proves
branch by branch that it equals ``expr``, and numeric derivatives are
``sympy.diff`` of that stable form.

Kink conventions (match PyTorch and JAX, and the lecture's ``a_i y_i if y_i <= 0``):
the ``x <= 0`` branch owns the kink, so relu'(0) = 0, leaky_relu'(0) = alpha,
prelu'(0) = a, elu'(0) = alpha, selu'(0) = scale * alpha. No ``Max`` or
``Heaviside`` appears, so SymPy's ``Heaviside(0) = 1/2`` cannot leak in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sympy as sp

from reference.numeric import Evaluator, FloatArray, compile_expression
from reference.symbols import a, alpha, x


@dataclass(frozen=True)
class Activation:
    """An elementwise activation ``f(x; params)`` and everything derived from it."""

    name: str
    expr: sp.Expr
    params: dict[str, sp.Symbol] = field(default_factory=dict)
    defaults: dict[str, sp.Expr] = field(default_factory=dict)
    kinks: tuple[float, ...] = ()
    stable: sp.Expr | None = None
    description: str = ""

    @property
    def symbols(self) -> tuple[sp.Symbol, ...]:
        return (x, *self.params.values())

    def bind(self, expr: sp.Expr, **params: Any) -> sp.Expr:
        """``expr`` with the parameters replaced (defaults for those not given)."""
        values = {**self.defaults, **{k: sp.nsimplify(v) for k, v in params.items()}}
        return expr.subs({self.params[k]: v for k, v in values.items() if k in self.params})

    @cached_property
    def derivative(self) -> sp.Expr:
        """df/dx, by ``sympy.diff``."""
        return sp.diff(self.expr, x)

    @cached_property
    def second_derivative(self) -> sp.Expr:
        return sp.diff(self.expr, x, 2)

    def param_derivative(self, param: str) -> sp.Expr:
        """df/d(param), by ``sympy.diff`` (PReLU's a is learned by backpropagation)."""
        return sp.diff(self.expr, self.params[param])

    @cached_property
    def _numeric_form(self) -> sp.Expr:
        return self.stable if self.stable is not None else self.expr

    @cached_property
    def _evaluators(self) -> dict[str, Evaluator]:
        form = self._numeric_form
        evaluators = {"f": compile_expression(form, self.symbols),
                      "df": compile_expression(sp.diff(form, x), self.symbols)}
        for name, symbol in self.params.items():
            evaluators[f"d{name}"] = compile_expression(sp.diff(form, symbol), self.symbols)
        return evaluators

    def _call(self, which: str, values: Any, params: dict[str, float]) -> FloatArray:
        unknown = set(params) - set(self.params)
        if unknown:
            raise TypeError(f"{self.name} takes no parameter {sorted(unknown)}")
        args = [float(params.get(k, self.defaults.get(k, float("nan")))) for k in self.params]
        return self._evaluators[which](values, *args)

    def __call__(self, values: Any, **params: float) -> FloatArray:
        """f(values) in float64, elementwise, for any input shape."""
        return self._call("f", values, params)

    def grad(self, values: Any, **params: float) -> FloatArray:
        """df/dx at ``values`` in float64, with the kink conventions above."""
        return self._call("df", values, params)

    def grad_param(self, param: str, values: Any, **params: float) -> FloatArray:
        """df/d(param) at ``values`` in float64."""
        return self._call(f"d{param}", values, params)


def _negative_branch(negative: sp.Expr, positive: sp.Expr = x) -> sp.Piecewise:
    """A two-branch function whose x <= 0 branch owns the kink at 0."""
    return sp.Piecewise((negative, x <= 0), (positive, True))


_exp_neg = sp.exp(-x)
_SELU_ALPHA = sp.Float("1.6732632423543772848170429916717", 32)
_SELU_SCALE = sp.Float("1.0507009873554804934193349852946", 32)

ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation(
            "sigmoid", 1 / (1 + _exp_neg),
            stable=sp.Piecewise((sp.exp(x) / (1 + sp.exp(x)), x < 0), (1 / (1 + _exp_neg), True)),
            description="logistic sigmoid 1/(1+e^-x)",
        ),
        Activation("tanh", sp.tanh(x), description="hyperbolic tangent"),
        Activation("relu", _negative_branch(sp.S.Zero), kinks=(0.0,),
                   description="max(0, x), relu'(0) = 0"),
        Activation("leaky_relu", _negative_branch(alpha * x), {"alpha": alpha},
                   {"alpha": sp.Rational(1, 100)}, kinks=(0.0,),
                   description="max(alpha x, x), alpha = 0.01"),
        Activation("prelu", _negative_branch(a * x), {"a": a}, {"a": sp.Rational(1, 4)},
                   kinks=(0.0,), description="x if x > 0 else a x, a learned"),
        Activation("elu", _negative_branch(alpha * (sp.exp(x) - 1)), {"alpha": alpha},
                   {"alpha": sp.S.One}, kinks=(0.0,),
                   description="x if x > 0 else alpha (e^x - 1)"),
        Activation(
            "softplus", sp.log(1 + sp.exp(x)),
            stable=sp.Piecewise((sp.log(1 + sp.exp(x)), x < 0), (x + sp.log(1 + _exp_neg), True)),
            description="log(1 + e^x), a smooth ReLU",
        ),
        Activation(
            "silu", x / (1 + _exp_neg),
            stable=sp.Piecewise((x * sp.exp(x) / (1 + sp.exp(x)), x < 0), (x / (1 + _exp_neg), True)),
            description="x sigmoid(x), also called swish",
        ),
        Activation("gelu", x / 2 * (1 + sp.erf(x / sp.sqrt(2))),
                   description="x Phi(x), erf form"),
        Activation("selu", _SELU_SCALE * _negative_branch(_SELU_ALPHA * (sp.exp(x) - 1)),
                   kinks=(0.0,), description="scaled ELU with the self-normalising constants"),
    )
}
"""Every elementwise activation, keyed by name."""

LECTURE_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu")
"""The elementwise activations the lecture itself covers (softmax is separate)."""


def get_activation(name: str) -> Activation:
    """The activation called ``name``, or a ``KeyError`` that lists the known names."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise KeyError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}") from None
