"""Hidden suite, part 1: the thirteen elementwise functions of ``activations``.

Every expected value is derived by ``reference.activations`` (SymPy) at fixed
or seeded inputs. Each check is its own pointed test, so a student loses only
the points of what is wrong:

* ``<function>[x=...]``: values at the edge points 0, +-1e-9, +-30, +-1000, and
  at seeded random points (``[random]``, and ``[random-alpha=0.2]`` etc. for a
  non-default parameter);
* ``kink_convention``: the derivative at x = 0 (relu'(0) = 0, leaky'(0) = alpha,
  prelu'(0) = a, elu'(0) = alpha);
* ``derivative_matches_own_forward``: each derivative against central
  differences of the student's OWN forward function, at seeded points at least
  ``KINK_MARGIN`` away from the kink (``prelu_grad_a`` against differences in a);
* ``accepts_int_input``: int arrays and int scalars give float64 results;
* ``returns_array_of_input_shape``: float64 ndarray of the input's shape for
  shapes (), (5,), (2, 3) (for a scalar input a Python or numpy float is accepted);
* ``finite_at_large_inputs``: no NaN or inf for |x| up to 1000;
* ``no_floating_point_errors``: the same inputs with overflow, invalid and
  divide-by-zero raising (underflow allowed), so ``np.where(x > 0, 1, np.exp(x))``
  fails even though its values are right;
* ``does_not_modify_input``: see below.

Non-mutation across a process boundary. The student's function receives a
decoded copy of the test's array, so a write into it could never be seen here.
The suite therefore asks the sandbox for READ-ONLY inputs
(``student.with_options(readonly_inputs=True)``): any in-place write in the
student's code (``x[x < 0] = 0``, ``np.exp(x, out=x)``, ``x *= alpha``) raises
"assignment destination is read-only" and this one test fails with it, while
every other test hands over ordinary arrays so one habit costs one test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from autograder.gradcheck import (
    central_difference,
    compare_gradients,
    sample_away_from_kinks,
)
from autograder.suite import (
    Expected,
    as_float_array,
    assert_close,
    assert_float_array_like,
    assert_gradcheck,
    derive,
    fail,
)
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


@dataclass(frozen=True)
class Function:
    """One student function: which reference expression it must equal, and with which parameters."""

    name: str
    activation: str
    kind: str  # "value": f; "dx": df/dx; "da": df/da
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


def every_setting(functions: list[Function]) -> list[Any]:
    return [pytest.param(fn, params, id=setting_id(fn.name, params, fn))
            for fn in functions for params in fn.settings]


def base_setting(functions: list[Function]) -> list[Any]:
    return [pytest.param(fn, fn.base, id=fn.name) for fn in functions]


# --------------------------------------------------------------------------
# Values against the reference: one pointed test per function


def values_test(name: str, points: float = 3) -> Any:
    """The test of ``name``'s values at the edge points and at seeded random points."""
    fn = FUNCTIONS[name]
    cases = [pytest.param(x, fn.base, id=f"x={x:g}") for x in EDGE]
    cases += [pytest.param(RANDOM_X, params, id=setting_id("random", params, fn)) for params in fn.settings]

    @pytest.mark.points(points)
    @pytest.mark.parametrize(("x", "params"), cases)
    def test(student: Any, x: Any, params: dict[str, float]) -> None:
        want = expected(fn, x, params)
        got = call(student, name, np.copy(x) if isinstance(x, np.ndarray) else x, params)
        assert_close(got, want, call=describe(name, x, params), hint=fn.hint)

    test.__doc__ = f"{name} at 0, +-1e-9, +-30, +-1000 and {RANDOM_POINTS} seeded points in +-{RANDOM_RANGE:g}."
    return test


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


@pytest.mark.points(6)
@pytest.mark.parametrize(("fn", "params"), every_setting(KINKED_DERIVATIVES))
def test_kink_convention(student: Any, fn: Function, params: dict[str, float]) -> None:
    """At x = 0 the derivative takes its x <= 0 value: relu'(0) = 0, leaky'(0) = alpha, ..."""
    want = expected(fn, 0.0, params)
    got = call(student, fn.name, 0.0, params)
    assert_close(got, want, call=describe(fn.name, 0.0, params), hint=_KINK_HINT)


@pytest.mark.points(10)
@pytest.mark.parametrize(("fn", "params"), every_setting(DERIVATIVES))
def test_derivative_matches_own_forward(student: Any, fn: Function, params: dict[str, float]) -> None:
    """The student's derivative against central differences of the student's own forward function."""
    x = GRADCHECK_X[fn.activation]
    text = describe(fn.name, x, params)
    analytic = as_float_array(call(student, fn.name, x.copy(), params), call=text, hint=fn.hint)
    if analytic.shape != x.shape:
        fail(text, f"got shape {analytic.shape}, should be {x.shape}", fn.hint)
    if fn.kind == "dx":
        def forward(v: np.ndarray) -> np.ndarray:
            return as_float_array(call(student, fn.forward, v, params), call=describe(fn.forward, v, params))
        numeric = central_difference(forward, x)
        labels = [f"x={v:.6g}" for v in x]
    else:  # d prelu / d a: vary a, keep x
        def forward_in_a(a: np.ndarray) -> np.ndarray:
            moved = {**params, "a": float(a)}
            return as_float_array(call(student, fn.forward, x.copy(), moved), call=describe(fn.forward, x, moved))
        numeric = central_difference(forward_in_a, np.float64(params["a"]))
        labels = [f"x={v:.6g}, a={params['a']:g}" for v in x]
    report = compare_gradients(analytic, numeric, labels)
    assert_gradcheck(report, call=f"{fn.name} vs central differences of your {fn.forward}",
                     hint=f"{fn.hint}; if {fn.forward} itself is wrong, fix it first")


# --------------------------------------------------------------------------
# The contract: dtype, shape, inputs, stability


@pytest.mark.points(4)
@pytest.mark.parametrize("kind", ["array", "scalar"])
@pytest.mark.parametrize(("fn", "params"), base_setting(list(FUNCTIONS.values())))
def test_accepts_int_input(student: Any, fn: Function, params: dict[str, float], kind: str) -> None:
    """Integer input gives float64 output with the right values."""
    x = INT_ARRAY.copy() if kind == "array" else INT_SCALAR
    want = expected(fn, x, params)
    text = describe(fn.name, x, params)
    got = call(student, fn.name, x, params)
    shape = np.shape(x)
    float_result(got, shape=shape, call_text=text,
                 hint="convert first: x = np.asarray(x, dtype=np.float64)")
    assert_close(got, want, call=text, hint=fn.hint)


@pytest.mark.points(4)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"shape={s}".replace(" ", ""))
@pytest.mark.parametrize(("fn", "params"), base_setting(list(FUNCTIONS.values())))
def test_returns_array_of_input_shape(student: Any, fn: Function, params: dict[str, float],
                                      shape: tuple[int, ...]) -> None:
    """A float64 numpy array of the input's shape comes back (any shape, elementwise)."""
    x = float(SHAPED_X[shape]) if shape == () else SHAPED_X[shape].copy()
    text = describe(fn.name, x, params)
    float_result(call(student, fn.name, x, params), shape=shape, call_text=text,
                 hint="work elementwise on the whole array (np.where, np.exp...), never loop or flatten")


@pytest.mark.points(4)
@pytest.mark.parametrize(("fn", "params"), base_setting(list(FUNCTIONS.values())))
def test_does_not_modify_input(student: Any, fn: Function, params: dict[str, float]) -> None:
    """The input is handed over read-only; writing into it fails (see the module docstring)."""
    x = MUTATION_X.copy()
    x.setflags(write=False)
    before = x.copy()
    text = describe(fn.name, x, params)
    got = call(student.with_options(readonly_inputs=True), fn.name, x, params)
    if not np.array_equal(x, before):
        fail(text, "changed its input array", "build a new array instead of writing into x")
    if got is x:
        fail(text, "returned its input array itself", "return a new array")


@pytest.mark.points(4)
@pytest.mark.parametrize(("fn", "params"), base_setting(list(FUNCTIONS.values())))
def test_finite_at_large_inputs(student: Any, fn: Function, params: dict[str, float]) -> None:
    """No NaN or inf for |x| up to 1000."""
    text = describe(fn.name, LARGE, params)
    float_result(call(student, fn.name, LARGE.copy(), params), shape=LARGE.shape, call_text=text,
                 hint=fn.hint)


@pytest.mark.points(4)
@pytest.mark.parametrize(("fn", "params"), base_setting(list(FUNCTIONS.values())))
def test_no_floating_point_errors(strict_student: Any, fn: Function, params: dict[str, float]) -> None:
    """No overflow, invalid operation or division by zero for |x| up to 1000 (underflow is fine)."""
    text = describe(fn.name, LARGE, params) + " under np.errstate(over/invalid/divide='raise')"
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        got = call(strict_student, fn.name, LARGE.copy(), params)
    float_result(got, shape=LARGE.shape, call_text=text, hint=fn.hint)
