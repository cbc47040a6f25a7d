"""Every activation of the unit as one SymPy expression.

Each ``Activation`` holds the defining expression ``f(x, params)``. Its
derivatives come from ``sympy.diff``, never typed by hand. Where the defining
form overflows or loses digits in float64 (``1/(1+exp(-x))`` overflows at
x = -1000, ``exp(x) - 1`` keeps 8 digits at x = -1e-9, ``1 - tanh(x)^2`` is 0
from x = 19.1), ``stable`` holds an algebraically equal form used for numbers,
written with ``expm1``, ``log1p`` and ``normal_cdf`` where those keep every
digit (see ``reference.numeric``). Numeric derivatives are ``sympy.diff`` of
that stable form, except where ``stable_derivative`` gives df/dx directly:
sympy.diff of e^x/(1+e^x) has an e^(2x) term, which exp's clamp (see
``reference.numeric``) turns into a 1e-304 error on sigmoid'(-690) ~ 3e-300.
The test suite proves branch by branch that every numeric form equals its
defining counterpart (``numeric_forms`` and ``defining_forms``), and
``tests/reference/test_precision.py`` checks every evaluator against the
defining expression at 50 digits.

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

from reference.numeric import Evaluator, FloatArray, compile_expression, expm1, log1p, normal_cdf
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
    stable_derivative: sp.Expr | None = None
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
    def numeric_forms(self) -> dict[str, sp.Expr]:
        """What each evaluator computes: "f", "df" and "d<param>", by ``sympy.diff`` of the stable form."""
        form = self._numeric_form
        slope = self.stable_derivative if self.stable_derivative is not None else sp.diff(form, x)
        forms = {"f": form, "df": slope}
        forms.update({f"d{name}": sp.diff(form, symbol) for name, symbol in self.params.items()})
        return forms

    @cached_property
    def defining_forms(self) -> dict[str, sp.Expr]:
        """The defining counterpart of each entry of ``numeric_forms``."""
        forms = {"f": self.expr, "df": self.derivative}
        forms.update({f"d{name}": self.param_derivative(name) for name in self.params})
        return forms

    @cached_property
    def _evaluators(self) -> dict[str, Evaluator]:
        return {which: compile_expression(form, self.symbols)
                for which, form in self.numeric_forms.items()}

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


def _tanh_stable() -> sp.Piecewise:
    """tanh through expm1(-2|x|): no overflow, every digit near 0, and sympy.diff of it
    is a sum of two positive terms (1 - tanh^2 would cancel to 0 from |x| = 19.1)."""
    e_neg, e_pos = expm1(2 * x), expm1(-2 * x)
    return sp.Piecewise((e_neg / (e_neg + 2), x < 0), (-e_pos / (e_pos + 2), True))


def _sigmoid_derivative_stable() -> sp.Piecewise:
    """sigma(x) (1 - sigma(x)) = e^-|x| / (1 + e^-|x|)^2: no e^(2x) term to be clamped."""
    e_pos, e_neg = sp.exp(x), sp.exp(-x)
    return sp.Piecewise((e_pos / (1 + e_pos)**2, x < 0), (e_neg / (1 + e_neg)**2, True))


def _silu_derivative_stable() -> sp.Piecewise:
    """sigma(x) (1 + x (1 - sigma(x))) over one denominator, again without e^(2x)."""
    e_pos, e_neg = sp.exp(x), sp.exp(-x)
    return sp.Piecewise((e_pos * (1 + x + e_pos) / (1 + e_pos)**2, x < 0),
                        ((1 + e_neg + x * e_neg) / (1 + e_neg)**2, True))


def _softplus_stable() -> sp.Piecewise:
    """log(1 + e^x) = log1p(e^-|x|) + max(x, 0): log1p keeps e^x's digits for x < -16."""
    return sp.Piecewise((log1p(sp.exp(x)), x < 0), (x + log1p(sp.exp(-x)), True))


_exp_neg = sp.exp(-x)
_SELU_ALPHA = sp.Float("1.6732632423543772848170429916717", 32)
_SELU_SCALE = sp.Float("1.0507009873554804934193349852946", 32)

ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation(
            "sigmoid", 1 / (1 + _exp_neg),
            stable=sp.Piecewise((sp.exp(x) / (1 + sp.exp(x)), x < 0), (1 / (1 + _exp_neg), True)),
            stable_derivative=_sigmoid_derivative_stable(),
            description="logistic sigmoid 1/(1+e^-x)",
        ),
        Activation("tanh", sp.tanh(x), stable=_tanh_stable(), description="hyperbolic tangent"),
        Activation("relu", _negative_branch(sp.S.Zero), kinks=(0.0,),
                   description="max(0, x), relu'(0) = 0"),
        Activation("leaky_relu", _negative_branch(alpha * x), {"alpha": alpha},
                   {"alpha": sp.Rational(1, 100)}, kinks=(0.0,),
                   description="max(alpha x, x), alpha = 0.01"),
        Activation("prelu", _negative_branch(a * x), {"a": a}, {"a": sp.Rational(1, 4)},
                   kinks=(0.0,), description="x if x > 0 else a x, a learned"),
        Activation("elu", _negative_branch(alpha * (sp.exp(x) - 1)), {"alpha": alpha},
                   {"alpha": sp.S.One}, kinks=(0.0,), stable=_negative_branch(alpha * expm1(x)),
                   description="x if x > 0 else alpha (e^x - 1)"),
        Activation("softplus", sp.log(1 + sp.exp(x)), stable=_softplus_stable(),
                   description="log(1 + e^x), a smooth ReLU"),
        Activation(
            "silu", x / (1 + _exp_neg),
            stable=sp.Piecewise((x * sp.exp(x) / (1 + sp.exp(x)), x < 0), (x / (1 + _exp_neg), True)),
            stable_derivative=_silu_derivative_stable(),
            description="x sigmoid(x), also called swish",
        ),
        # x Phi(x): (1 + erf)/2 loses digits from x = -1 on and is 0 from x = -8.4 (as
        # was the derivative SymPy derives from it); normal_cdf keeps every digit.
        Activation("gelu", x / 2 * (1 + sp.erf(x / sp.sqrt(2))), stable=x * normal_cdf(x),
                   description="x Phi(x), erf form"),
        Activation("selu", _SELU_SCALE * _negative_branch(_SELU_ALPHA * (sp.exp(x) - 1)),
                   kinks=(0.0,), stable=_SELU_SCALE * _negative_branch(_SELU_ALPHA * expm1(x)),
                   description="scaled ELU with the self-normalising constants"),
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
