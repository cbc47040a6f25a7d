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

Importing this module imports no SymPy: the registry holds each activation's
name, parameter names, kinks and description, which is all a suite reads when
it is collected. The expressions (``reference.activation_forms``), their
derivatives and the float64 evaluators are built the first time one of them
is used, and kept on the ``Activation``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from reference.numeric import Evaluator, FloatArray
from reference.numeric_form import NumpyForm, evaluator
from reference.remembered import remembered

if TYPE_CHECKING:
    import sympy as sp

    from reference.activation_forms import ActivationForms


@dataclass(frozen=True)
class Activation:
    """An elementwise activation ``f(x; params)`` and everything derived from it.

    ``param_names`` and ``kinks`` are plain data; ``expr``, ``params``
    (name -> SymPy symbol), ``defaults``, ``stable`` and ``stable_derivative``
    come from ``reference.activation_forms`` on first use.
    """

    name: str
    param_names: tuple[str, ...] = ()
    kinks: tuple[float, ...] = ()
    description: str = ""

    @cached_property
    def _forms(self) -> ActivationForms:
        from reference.activation_forms import build_forms

        forms = build_forms(self.name)
        if tuple(forms.params) != self.param_names:
            raise RuntimeError(f"{self.name}: the registry names parameters {self.param_names}, "
                               f"its expressions {tuple(forms.params)}")
        return forms

    @property
    def expr(self) -> sp.Expr:
        """The defining expression f(x, params)."""
        return self._forms.expr

    @property
    def params(self) -> dict[str, sp.Symbol]:
        """Each parameter's SymPy symbol, by name (in ``param_names`` order)."""
        return self._forms.params

    @property
    def defaults(self) -> dict[str, sp.Expr]:
        """Each parameter's default value, exact (leaky_relu: alpha = 1/100)."""
        return self._forms.defaults

    @property
    def stable(self) -> sp.Expr | None:
        """An algebraically equal form that float64 evaluates accurately, if ``expr`` does not."""
        return self._forms.stable

    @property
    def stable_derivative(self) -> sp.Expr | None:
        """df/dx for numbers where sympy.diff of ``stable`` would lose digits (see the module doc)."""
        return self._forms.stable_derivative

    @property
    def symbols(self) -> tuple[sp.Symbol, ...]:
        from reference.symbols import x

        return (x, *self.params.values())

    def bind(self, expr: sp.Expr, **params: Any) -> sp.Expr:
        """``expr`` with the parameters replaced (defaults for those not given)."""
        import sympy as sp

        values = {**self.defaults, **{k: sp.nsimplify(v) for k, v in params.items()}}
        return expr.subs({self.params[k]: v for k, v in values.items() if k in self.params})

    @cached_property
    def derivative(self) -> sp.Expr:
        """df/dx, by ``sympy.diff``."""
        import sympy as sp

        from reference.symbols import x

        return sp.diff(self.expr, x)

    @cached_property
    def second_derivative(self) -> sp.Expr:
        import sympy as sp

        from reference.symbols import x

        return sp.diff(self.expr, x, 2)

    def param_derivative(self, param: str) -> sp.Expr:
        """df/d(param), by ``sympy.diff`` (PReLU's a is learned by backpropagation)."""
        import sympy as sp

        return sp.diff(self.expr, self.params[param])

    @cached_property
    def _numeric_form(self) -> sp.Expr:
        return self.stable if self.stable is not None else self.expr

    @cached_property
    def numeric_forms(self) -> dict[str, sp.Expr]:
        """What each evaluator computes: "f", "df" and "d<param>", by ``sympy.diff`` of the stable form."""
        import sympy as sp

        from reference.symbols import x

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
    def output_derivative(self) -> sp.Expr | None:
        """g(y, params) with f'(x) = g(f(x)): the lecture's identities (sigmoid' = s (1 - s),
        tanh' = 1 - t^2), derived: y = f(x) solved for x and put into df/dx, kept only when every
        inverse gives one g free of x and g(f(x)) - f'(x) simplifies to 0. None for an activation
        with a kink (its output does not say which branch) or without such an inverse."""
        import sympy as sp

        from reference.symbols import x

        if self.kinks:
            return None
        y = sp.Symbol("y")
        forward = self.expr.rewrite(sp.exp)
        slope = sp.diff(forward, x)
        try:
            found = {sp.factor(sp.simplify(slope.subs(x, inverse))) for inverse in sp.solve(sp.Eq(y, forward), x)}
        except NotImplementedError:
            return None
        if len(found) != 1:
            return None
        identity = found.pop()
        if x in identity.free_symbols or sp.simplify(identity.subs(y, forward) - slope) != 0:
            return None
        return identity

    @cached_property
    def default_values(self) -> dict[str, float]:
        """``defaults`` as float64 numbers (remembered: no SymPy once a store knows them)."""
        return remembered(f"activation/{self.name}/defaults",
                          lambda: {name: float(value) for name, value in self.defaults.items()})

    def parameter_values(self, params: dict[str, float]) -> list[float]:
        """Each parameter's value: given in ``params``, else its default, else NaN."""
        defaults = self.default_values
        return [float(params.get(k, defaults.get(k, float("nan")))) for k in self.param_names]

    def prepare(self) -> None:
        """Derive (or find remembered) what its numeric calls use: its evaluators, defaults and
        output identity (``reference.remembered``)."""
        _ = self._evaluators, self.default_values, self._output_form

    @property
    def has_output_identity(self) -> bool:
        """Whether ``output_derivative`` exists (remembered: no SymPy once a store knows it)."""
        return self._output_form is not None

    def grad_from_output(self, outputs: Any, **params: float) -> FloatArray:
        """``output_derivative`` at ``outputs`` (values of some forward function), in float64:
        the derivative a student's identity gives on their own forward's values."""
        return self._output_evaluator(outputs, *self.parameter_values(params))

    @cached_property
    def _output_form(self) -> NumpyForm | None:
        def derive() -> NumpyForm | None:
            import sympy as sp

            from reference.compile import numpy_form

            identity = self.output_derivative
            return None if identity is None else numpy_form(identity, (sp.Symbol("y"), *self.params.values()))
        return remembered(f"activation/{self.name}/output", derive)

    @cached_property
    def _output_evaluator(self) -> Evaluator:
        form = self._output_form
        if form is None:
            raise ValueError(f"{self.name}'s derivative is no function of its output")
        made: Evaluator = evaluator(form)
        return made

    @cached_property
    def _evaluators(self) -> dict[str, Evaluator]:
        def derive() -> dict[str, NumpyForm]:
            from reference.compile import numpy_form

            return {which: numpy_form(form, self.symbols) for which, form in self.numeric_forms.items()}
        return {which: evaluator(form) for which, form in remembered(f"activation/{self.name}/forms", derive).items()}

    def _call(self, which: str, values: Any, params: dict[str, float]) -> FloatArray:
        unknown = set(params) - set(self.param_names)
        if unknown:
            raise TypeError(f"{self.name} takes no parameter {sorted(unknown)}")
        return self._evaluators[which](values, *self.parameter_values(params))

    def __call__(self, values: Any, **params: float) -> FloatArray:
        """f(values) in float64, elementwise, for any input shape."""
        return self._call("f", values, params)

    def grad(self, values: Any, **params: float) -> FloatArray:
        """df/dx at ``values`` in float64, with the kink conventions above."""
        return self._call("df", values, params)

    def grad_param(self, param: str, values: Any, **params: float) -> FloatArray:
        """df/d(param) at ``values`` in float64."""
        return self._call(f"d{param}", values, params)


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("sigmoid", description="logistic sigmoid 1/(1+e^-x)"),
        Activation("tanh", description="hyperbolic tangent"),
        Activation("relu", kinks=(0.0,), description="max(0, x), relu'(0) = 0"),
        Activation("leaky_relu", ("alpha",), kinks=(0.0,), description="max(alpha x, x), alpha = 0.01"),
        Activation("prelu", ("a",), kinks=(0.0,), description="x if x > 0 else a x, a learned"),
        Activation("elu", ("alpha",), kinks=(0.0,), description="x if x > 0 else alpha (e^x - 1)"),
        Activation("softplus", description="log(1 + e^x), a smooth ReLU"),
        Activation("silu", description="x sigmoid(x), also called swish"),
        Activation("gelu", description="x Phi(x), erf form"),
        Activation("selu", kinks=(0.0,), description="scaled ELU with the self-normalising constants"),
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
