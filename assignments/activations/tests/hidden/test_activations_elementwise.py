"""Hidden suite, part 1: the thirteen elementwise functions of ``activations``.

Every expected value is derived by ``reference.activations`` (SymPy). Each
case carries the manifest skill it measures (``@pytest.mark.skill``, one skill
per student function) and the credit model (``autograder/grading/credit.py``)
prices it:

* ``<function>[...]``: the VALUE checks, one case per parameter setting, all
  points in one array (the edge points 0, +-1e-9, +-30, +-1000 and seeded
  random points in +-20), so returning zeros cannot collect the cases whose
  true value happens to be 0. A derivative also passes when it is the
  derivative of the student's OWN forward function in the same setting, point
  by point: wherever it is wrong, the forward (called as its own value check
  calls it) is wrong too, and the derivative is the forward's slope there, by
  differences at x +- h (one-sided beside a kink)
  (``autograder/suite/consistency.py``, ``derivative_reason``): a wrong
  sigmoid is charged to sigmoid, once, and a forward failing one cheap setting
  buys nothing in another.
* ``kink_convention``: the derivative at x = 0 (relu'(0) = 0, leaky'(0) = alpha,
  prelu'(0) = a, elu'(0) = alpha), with x = -1 and 1 beside it so a constant
  cannot pass; a value check of weight 0.5.
* CONTRACT checks (``@pytest.mark.contract``), earning only as far as the
  function's values are right: ``accepts_int_input`` (int arrays and scalars
  give float64 with the values of the float input), ``returns_array_of_input_shape``
  (shapes (), (5,), (2, 3)), ``finite_at_large_inputs`` (|x| up to 1000),
  ``no_floating_point_errors`` (the same under np.errstate(raise), underflow
  allowed) and ``does_not_modify_input``.

Non-mutation across a process boundary. The student's function receives a
decoded copy of the test's array, so a write into it could never be seen here
directly. The suite therefore asks for WATCHED inputs
(``student.with_options(readonly_inputs=True)``): the worker sends the inputs
back after the call and the grader compares them with what it sent, so any
in-place write (``x[x < 0] = 0``, ``np.exp(x, out=x)``, ``x *= alpha``) fails
this one check with "changed its input", whatever the code does inside the
worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pytest

from autograder.gradcheck import sample_away_from_kinks
from autograder.suite import (
    Expected,
    as_float_array,
    assert_close,
    assert_float_array_like,
    derive,
    fail,
)
from autograder.suite.activation_upstreams import ELEMENTWISE_FORWARDS
from autograder.suite.consistency import (
    Probe,
    degenerate_reason,
    derivative_reason,
    identity_reason,
    reference_or_consistent,
)
from autograder.suite.substitution import Upstream, judged_again_with
from autograder.tolerances import GRADCHECK_EPS, VALUES
from reference.activations import get_activation

EDGE = (0.0, 1e-9, -1e-9, 30.0, -30.0, 1000.0, -1000.0)
LARGE = np.array([-1000.0, -745.0, -710.0, -100.0, -30.0, 30.0, 100.0, 710.0, 745.0, 1000.0])
INT_ARRAY = np.array([-3, -2, -1, 1, 2, 3], dtype=np.int64)  # no 0: the kink has its own test
INT_SCALAR = 3
SHAPES = ((), (5,), (2, 3))
RANDOM_POINTS = 101
RANDOM_RANGE = 20.0
GRADCHECK_POINTS = 40
GRADCHECK_RANGE = 5.0


Kind = Literal["value", "dx", "da"]
"""What a student function returns: the activation's value f, df/dx, or df/da (PReLU's slope)."""


@dataclass(frozen=True)
class Function:
    """One student function: which reference expression it must equal, and with which parameters."""

    name: str
    activation: str
    kind: Kind
    forward: str = ""  # the student function it differentiates
    base: dict[str, float] = field(default_factory=dict)  # always passed (PReLU's a)
    variants: tuple[dict[str, float], ...] = ()  # other parameter values, checked too
    hint: str = ""

    @property
    def settings(self) -> list[dict[str, float]]:
        """The parameter settings checked: the base one (defaults) and each variant."""
        return [dict(self.base)] + [{**self.base, **v} for v in self.variants]

    @property
    def kinks(self) -> tuple[float, ...]:
        return get_activation(self.activation).kinks


_SIGMOID_HINT = ("sigmoid(x) = 1/(1+e^-x); for x < 0 use e^x/(1+e^x) so that exp never overflows")
_KINK_HINT = "the x <= 0 branch owns the kink: the derivative at x = 0 is its value on the left"
_WHERE_HINT = ("np.where evaluates both branches on every element: clamp exp's argument "
               "(np.exp(np.minimum(x, 0.0))) so it cannot overflow where it is not selected")

FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    Function("sigmoid", "sigmoid", "value", hint=_SIGMOID_HINT),
    Function("sigmoid_derivative", "sigmoid", "dx", "sigmoid",
             hint="sigmoid'(x) = sigmoid(x) (1 - sigmoid(x)), with a sigmoid that cannot overflow"),
    Function("tanh", "tanh", "value", hint="np.tanh is stable; (e^x - e^-x)/(e^x + e^-x) overflows"),
    Function("tanh_derivative", "tanh", "dx", "tanh", hint="tanh'(x) = 1 - tanh(x)^2"),
    Function("relu", "relu", "value", hint="relu(x) = max(0, x), as float64"),
    Function("relu_derivative", "relu", "dx", "relu", hint=f"1 where x > 0, else 0; {_KINK_HINT}"),
    Function("leaky_relu", "leaky_relu", "value", variants=({"alpha": 0.2},),
             hint="x where x > 0, else alpha * x; use the alpha you are given"),
    Function("leaky_relu_derivative", "leaky_relu", "dx", "leaky_relu", variants=({"alpha": 0.2},),
             hint=f"1 where x > 0, else alpha; {_KINK_HINT}"),
    Function("prelu", "prelu", "value", base={"a": 0.25}, variants=({"a": 1.5},),
             hint="x where x > 0, else a * x (max(a x, x) is only equal when a <= 1)"),
    Function("prelu_derivative", "prelu", "dx", "prelu", base={"a": 0.25}, variants=({"a": 1.5},),
             hint=f"1 where x > 0, else a; {_KINK_HINT}"),
    Function("prelu_grad_a", "prelu", "da", "prelu", base={"a": 0.25}, variants=({"a": 1.5},),
             hint="d prelu / d a = x where x <= 0, else 0"),
    Function("elu", "elu", "value", variants=({"alpha": 0.5},),
             hint=f"x where x > 0, else alpha (e^x - 1); {_WHERE_HINT}"),
    Function("elu_derivative", "elu", "dx", "elu", variants=({"alpha": 0.5},),
             hint=f"1 where x > 0, else alpha e^x; {_KINK_HINT}; {_WHERE_HINT}"),
)}

DERIVATIVES = [f for f in FUNCTIONS.values() if f.kind != "value"]
KINKED_DERIVATIVES = [f for f in DERIVATIVES if f.kinks]

_rng = np.random.default_rng(20240611)
RANDOM_X = _rng.uniform(-RANDOM_RANGE, RANDOM_RANGE, size=RANDOM_POINTS)
SHAPED_X = {shape: _rng.normal(0.0, 3.0, size=shape) for shape in SHAPES}
MUTATION_X = _rng.normal(0.0, 3.0, size=(2, 3))
VALUE_X = np.concatenate([np.array(EDGE), RANDOM_X])
KINK_X = np.array([-1.0, 0.0, 1.0])
GRADCHECK_X = {f.activation: sample_away_from_kinks(_rng, GRADCHECK_POINTS, low=-GRADCHECK_RANGE,
                                                    high=GRADCHECK_RANGE, kinks=f.kinks)
               for f in DERIVATIVES}


# --------------------------------------------------------------------------
# Helpers


def expected(fn: Function, x: Any, params: dict[str, float]) -> Expected:
    """The reference value of ``fn`` at ``x`` (computed before the student sees ``x``)."""
    act = get_activation(fn.activation)
    if fn.kind == "value":
        return derive(act.__call__, x, **params)
    if fn.kind == "dx":
        return derive(act.grad, x, **params)
    return derive(act.grad_param, "a", x, **params)


def call(student: Any, name: str, x: Any, params: dict[str, float]) -> Any:
    """``student.<name>(x, [a], [alpha=...])``: PReLU's ``a`` positionally, ``alpha`` by keyword."""
    function = getattr(student, name)
    rest = {k: v for k, v in params.items() if k != "a"}
    if "a" in params:
        return function(x, params["a"], **rest)
    return function(x, **rest)


def describe(name: str, x: Any, params: dict[str, float]) -> str:
    """``elu(x=-1000, alpha=0.5)`` for the failure message."""
    array = np.asarray(x)
    if array.ndim == 0:
        shown = f"x={array.item():g}" if array.dtype.kind == "f" else f"x={array.item()!r}"
    else:
        shown = f"x=<{array.dtype} array of shape {array.shape}>"
    return f"{name}({', '.join([shown] + [f'{k}={v:g}' for k, v in params.items()])})"


def setting_id(name: str, params: dict[str, float], fn: Function | None = None) -> str:
    """``elu-alpha=0.5``; parameters equal to the function's base setting are left out."""
    base = fn.base if fn is not None else {}
    extra = [f"{k}={v:g}" for k, v in params.items() if base.get(k) != v]
    return "-".join([name, *extra])


def float_result(got: Any, *, shape: tuple[int, ...], call_text: str, hint: str = "") -> np.ndarray:
    """A float64 ndarray of ``shape`` with finite values; for shape () a Python or numpy float also counts."""
    __tracebackhide__ = True
    if shape == () and type(got) in (float, np.float64):
        got = np.asarray(got, dtype=np.float64)
    return assert_float_array_like(got, call=call_text, shape=shape, hint=hint)


def every_setting(functions: list[Function], weight: float = 1.0) -> list[Any]:
    return [pytest.param(fn, params, id=setting_id(fn.name, params, fn),
                         marks=pytest.mark.skill(fn.name, weight=weight))
            for fn in functions for params in fn.settings]


def base_setting(functions: list[Function]) -> list[Any]:
    return [pytest.param(fn, fn.base, id=fn.name, marks=pytest.mark.skill(fn.name)) for fn in functions]


def forwards_of(fixtures: dict[str, Any]) -> tuple[Upstream, ...]:
    """What a derivative's failing case is judged again with: every forward substituted (one that raises
    or overflows costs the forward alone); a forward's own case is judged as it is."""
    return ELEMENTWISE_FORWARDS if fixtures["fn"].kind != "value" else ()


def value_kept(fn: Function) -> np.ndarray:
    """Which of ``VALUE_X`` ``fn``'s values are checked at: the kink itself is left to ``kink_convention``."""
    return VALUE_X != 0.0 if fn.kind != "value" and fn.kinks else np.ones(VALUE_X.shape, dtype=bool)


def value_points(fn: Function) -> np.ndarray:
    """Where ``fn``'s values are checked."""
    return VALUE_X[value_kept(fn)]


def same_as_float_input(student: Any, fn: Function, x: Any, params: dict[str, float], got: Any,
                        text: str) -> None:
    """``got`` (for int input ``x``) has the values the student's function gives for float ``x``."""
    __tracebackhide__ = True
    as_float = np.asarray(x, dtype=np.float64)
    own = as_float_array(call(student, fn.name, as_float.copy() if as_float.ndim else float(as_float), params),
                         call=describe(fn.name, as_float, params))
    if own.shape != np.shape(got) or not np.all(VALUES.close(np.asarray(got, dtype=np.float64), own)):
        fail(text, f"got {np.asarray(got)!r}, but {np.asarray(own)!r} for the same numbers as floats",
             "convert first: x = np.asarray(x, dtype=np.float64)")


# --------------------------------------------------------------------------
# Values against the reference: one pointed test per function


def probe_forward(student: Any, fn: Function, params: dict[str, float], x: np.ndarray) -> Probe:
    """The student's forward of ``fn`` at ``x`` and a step either side, in x (one call, so the probes
    cannot be told apart from the points) or in a (PReLU's slope); one-sided beside a kink."""
    step = GRADCHECK_EPS
    if fn.kind == "dx":
        both = np.concatenate([x, x + step, x - step])
        values = as_float_array(call(student, fn.forward, both.copy(), params), call=describe(fn.forward, both, params))
        at, ahead, behind = np.split(values.reshape(-1), 3) if values.shape == both.shape else (x * np.nan,) * 3
        kinks = np.asarray(fn.kinks, dtype=np.float64).reshape(1, -1)
        beside = np.abs(x.reshape(-1, 1) - kinks) <= step if fn.kinks else np.zeros((x.size, 1), dtype=bool)
        nearest = kinks[0, np.argmax(beside, axis=1)] if fn.kinks else np.zeros(x.size)
        side = np.where(np.any(beside, axis=1), np.sign(x - nearest), 0.0).astype(np.int8)
        return Probe(at, ahead, behind, step, side)

    def in_a(a: float) -> np.ndarray:
        moved = {**params, "a": a}
        return as_float_array(call(student, fn.forward, x.copy(), moved), call=describe(fn.forward, x, moved))
    return Probe(in_a(params["a"]), in_a(params["a"] + step), in_a(params["a"] - step), step,
                 np.zeros(x.size, dtype=np.int8))


def own_consistency(student: Any, fn: Function, params: dict[str, float], got: Any) -> str:
    """Why the derivative ``got`` (at ``value_points(fn)``) cannot earn consistency credit with the
    student's own forward in this setting ("" when it can): a degenerate forward, or the point-by-point
    rule of ``derivative_reason``. The credit model grants it only if the forward's own case in the
    same setting fails too."""
    forward = FUNCTIONS[fn.forward]
    x = value_points(fn)
    try:
        own_all = as_float_array(call(student, fn.forward, value_points(forward).copy(), params),
                                 call=describe(fn.forward, VALUE_X, params))
        derivative = as_float_array(got, call="")
        if own_all.shape != VALUE_X.shape or derivative.shape != x.shape:
            return "its values are not of the input's shape"
        reason = degenerate_reason(RANDOM_X, own_all[len(EDGE):])
        if reason:
            return reason
        own, want, own_want = own_all[value_kept(fn)], expected(fn, x, params).value, expected(forward, x, params).value
        reason = derivative_reason(x, derivative, want, own, own_want, probe_forward(student, fn, params, x))
        activation = get_activation(fn.activation)
        if reason and fn.kind == "dx" and activation.has_output_identity:
            return identity_reason(derivative, want, activation.grad_from_output(own, **params))
        return reason
    except AssertionError:  # a forward that returns no float array here is not one to be consistent with
        return "your forward returns no float array"


def forward_case(fn: Function, params: dict[str, float]) -> str:
    """The name of the forward's own value case in this setting (``elu[values-alpha=0.5]``)."""
    return f"{fn.forward}[{setting_id('values', params, FUNCTIONS[fn.forward])}]"


def assert_derivative_values(student: Any, fn: Function, params: dict[str, float],
                             record_property: Any) -> None:
    """Right values, or (one mistake costs once) the derivative of the student's own wrong forward."""
    __tracebackhide__ = True
    x = value_points(fn)
    text = describe(fn.name, x, params)
    got = call(student, fn.name, x.copy(), params)
    reference_or_consistent(
        record_property, lambda: assert_close(got, expected(fn, x, params), call=text, hint=fn.hint, inputs=x),
        lambda: "" if own_consistency(student, fn, params, got) else fn.forward, on=forward_case(fn, params))


def values_test(name: str) -> Any:
    """The value check of ``name``: one case per parameter setting, every point in one array."""
    fn = FUNCTIONS[name]
    cases = [pytest.param(params, id=setting_id("values", params, fn)) for params in fn.settings]

    def test(student: Any, params: dict[str, float], record_property: Any) -> None:
        if fn.kind != "value":
            assert_derivative_values(student, fn, params, record_property)
            return
        x = value_points(fn)
        got = call(student, name, x.copy(), params)
        assert_close(got, expected(fn, x, params), call=describe(name, x, params), hint=fn.hint, inputs=x)

    test.__doc__ = (f"{name} at 0, +-1e-9, +-30, +-1000 and {RANDOM_POINTS} seeded points in "
                    f"+-{RANDOM_RANGE:g}, every point in one array.")
    if fn.kind != "value":  # a forward that raises or overflows inside the derivative costs the forward alone
        test = judged_again_with(*ELEMENTWISE_FORWARDS)(test)
    return pytest.mark.skill(name)(pytest.mark.parametrize("params", cases)(test))


test_sigmoid = values_test("sigmoid")
test_sigmoid_derivative = values_test("sigmoid_derivative")
test_tanh = values_test("tanh")
test_tanh_derivative = values_test("tanh_derivative")
test_relu = values_test("relu")
test_relu_derivative = values_test("relu_derivative")
test_leaky_relu = values_test("leaky_relu")
test_leaky_relu_derivative = values_test("leaky_relu_derivative")
test_prelu = values_test("prelu")
test_prelu_derivative = values_test("prelu_derivative")
test_prelu_grad_a = values_test("prelu_grad_a")
test_elu = values_test("elu")
test_elu_derivative = values_test("elu_derivative")


# --------------------------------------------------------------------------
# Kinks and gradients


@pytest.mark.rule("kink-takes-the-left-branch")
@pytest.mark.parametrize(("fn", "params"), every_setting(KINKED_DERIVATIVES, weight=0.5))
@judged_again_with(*ELEMENTWISE_FORWARDS)
def test_kink_convention(student: Any, fn: Function, params: dict[str, float]) -> None:
    """At x = 0 the derivative takes its x <= 0 value: relu'(0) = 0, leaky'(0) = alpha, ..."""
    want = expected(fn, KINK_X, params)
    got = call(student, fn.name, KINK_X.copy(), params)
    assert_close(got, want, call=describe(fn.name, KINK_X, params), hint=_KINK_HINT, inputs=KINK_X)


# --------------------------------------------------------------------------
# The contract: dtype, shape, inputs, stability


@pytest.mark.contract
@pytest.mark.rule("accepts-int-input")
@pytest.mark.parametrize("kind", ["array", "scalar"])
@pytest.mark.parametrize(("fn", "params"), base_setting(list(FUNCTIONS.values())))
@judged_again_with(choose=forwards_of)
def test_accepts_int_input(student: Any, fn: Function, params: dict[str, float], kind: str) -> None:
    """Integer input gives float64 output with the values of the same numbers as floats."""
    x = INT_ARRAY.copy() if kind == "array" else INT_SCALAR
    text = describe(fn.name, x, params)
    got = call(student, fn.name, x, params)
    float_result(got, shape=np.shape(x), call_text=text,
                 hint="convert first: x = np.asarray(x, dtype=np.float64)")
    same_as_float_input(student, fn, x, params, got, text)


@pytest.mark.contract
@pytest.mark.rule("returns-float64-array")
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"shape={s}".replace(" ", ""))
@pytest.mark.parametrize(("fn", "params"), base_setting(list(FUNCTIONS.values())))
@judged_again_with(choose=forwards_of)
def test_returns_array_of_input_shape(student: Any, fn: Function, params: dict[str, float],
                                      shape: tuple[int, ...]) -> None:
    """A float64 numpy array of the input's shape comes back (any shape, elementwise)."""
    x = float(SHAPED_X[shape]) if shape == () else SHAPED_X[shape].copy()
    text = describe(fn.name, x, params)
    float_result(call(student, fn.name, x, params), shape=shape, call_text=text,
                 hint="work elementwise on the whole array (np.where, np.exp...), never loop or flatten")


@pytest.mark.contract
@pytest.mark.rule("no-input-mutation")
@pytest.mark.parametrize(("fn", "params"), base_setting(list(FUNCTIONS.values())))
@judged_again_with(choose=forwards_of)
def test_does_not_modify_input(student: Any, fn: Function, params: dict[str, float]) -> None:
    """The input comes back unchanged after the call (see the module docstring)."""
    x = MUTATION_X.copy()
    x.setflags(write=False)
    before = x.copy()
    text = describe(fn.name, x, params)
    got = call(student.with_options(readonly_inputs=True), fn.name, x, params)
    if not np.array_equal(x, before):
        fail(text, "changed its input array", "build a new array instead of writing into x")
    if got is x:
        fail(text, "returned its input array itself", "return a new array")


@pytest.mark.contract
@pytest.mark.rule("finite-for-abs-x-le-1000")
@pytest.mark.parametrize(("fn", "params"), base_setting(list(FUNCTIONS.values())))
@judged_again_with(choose=forwards_of)
def test_finite_at_large_inputs(student: Any, fn: Function, params: dict[str, float]) -> None:
    """No NaN or inf for |x| up to 1000."""
    text = describe(fn.name, LARGE, params)
    float_result(call(student, fn.name, LARGE.copy(), params), shape=LARGE.shape, call_text=text,
                 hint=fn.hint)


@pytest.mark.contract
@pytest.mark.rule("no-floating-point-errors")
@pytest.mark.parametrize(("fn", "params"), base_setting(list(FUNCTIONS.values())))
@judged_again_with(choose=forwards_of)
def test_no_floating_point_errors(strict_student: Any, fn: Function, params: dict[str, float]) -> None:
    """No overflow, invalid operation or division by zero for |x| up to 1000 (underflow is fine)."""
    text = describe(fn.name, LARGE, params) + " under np.errstate(over/invalid/divide='raise')"
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        got = call(strict_student, fn.name, LARGE.copy(), params)
    float_result(got, shape=LARGE.shape, call_text=text, hint=fn.hint)
