"""The SymPy expressions of every activation (see ``reference.activations``).

``reference.activations`` holds what needs no SymPy (names, parameter names,
kinks); this module builds each activation's expressions the first time one
is asked for, importing SymPy then. One builder per activation, so asking for
ELU's derivative builds ELU alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from reference.stable_functions import expm1, log1p, normal_cdf
from reference.symbols import a, alpha, x


@dataclass(frozen=True)
class ActivationForms:
    """The symbolic side of one ``Activation`` (its fields of the same names)."""

    expr: sp.Expr
    params: dict[str, sp.Symbol] = field(default_factory=dict)
    defaults: dict[str, sp.Expr] = field(default_factory=dict)
    stable: sp.Expr | None = None
    stable_derivative: sp.Expr | None = None


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


def _exp_neg() -> sp.Expr:
    return sp.exp(-x)


_SELU_ALPHA = "1.6732632423543772848170429916717"
_SELU_SCALE = "1.0507009873554804934193349852946"


def _selu_constants() -> tuple[sp.Float, sp.Float]:
    """SELU's alpha and scale at 32 digits (Klambauer et al.)."""
    return sp.Float(_SELU_ALPHA, 32), sp.Float(_SELU_SCALE, 32)


def _sigmoid() -> ActivationForms:
    return ActivationForms(
        1 / (1 + _exp_neg()),
        stable=sp.Piecewise((sp.exp(x) / (1 + sp.exp(x)), x < 0), (1 / (1 + _exp_neg()), True)),
        stable_derivative=_sigmoid_derivative_stable())


def _tanh() -> ActivationForms:
    return ActivationForms(sp.tanh(x), stable=_tanh_stable())


def _relu() -> ActivationForms:
    return ActivationForms(_negative_branch(sp.S.Zero))


def _leaky_relu() -> ActivationForms:
    return ActivationForms(_negative_branch(alpha * x), {"alpha": alpha}, {"alpha": sp.Rational(1, 100)})


def _prelu() -> ActivationForms:
    return ActivationForms(_negative_branch(a * x), {"a": a}, {"a": sp.Rational(1, 4)})


def _elu() -> ActivationForms:
    return ActivationForms(_negative_branch(alpha * (sp.exp(x) - 1)), {"alpha": alpha},
                           {"alpha": sp.S.One}, stable=_negative_branch(alpha * expm1(x)))


def _softplus() -> ActivationForms:
    return ActivationForms(sp.log(1 + sp.exp(x)), stable=_softplus_stable())


def _silu() -> ActivationForms:
    return ActivationForms(
        x / (1 + _exp_neg()),
        stable=sp.Piecewise((x * sp.exp(x) / (1 + sp.exp(x)), x < 0), (x / (1 + _exp_neg()), True)),
        stable_derivative=_silu_derivative_stable())


def _gelu() -> ActivationForms:
    # x Phi(x): (1 + erf)/2 loses digits from x = -1 on and is 0 from x = -8.4 (as
    # was the derivative SymPy derives from it); normal_cdf keeps every digit.
    return ActivationForms(x / 2 * (1 + sp.erf(x / sp.sqrt(2))), stable=x * normal_cdf(x))


def _selu() -> ActivationForms:
    selu_alpha, selu_scale = _selu_constants()
    return ActivationForms(selu_scale * _negative_branch(selu_alpha * (sp.exp(x) - 1)),
                           stable=selu_scale * _negative_branch(selu_alpha * expm1(x)))


BUILDERS: dict[str, Callable[[], ActivationForms]] = {
    "sigmoid": _sigmoid, "tanh": _tanh, "relu": _relu, "leaky_relu": _leaky_relu,
    "prelu": _prelu, "elu": _elu, "softplus": _softplus, "silu": _silu, "gelu": _gelu,
    "selu": _selu,
}
"""How to build each activation's expressions, keyed by name."""


def build_forms(name: str) -> ActivationForms:
    """The expressions of activation ``name`` (built anew: ``Activation`` caches them)."""
    return BUILDERS[name]()
