"""Hidden-test factories shared by the assignment suites.

Several assignments have students write the same function: ``backprop`` and
``vanishing`` both ask for ``activate(z, name)`` and ``activate_derivative(z,
name)``. Their checks live here, once, and each suite binds them to its own
test names (pytest collects a module attribute ``test_*`` whatever the
function's own name is):

    test_activate = activate_values_test("activate")
    test_activate_derivative = activate_values_test("activate_derivative")
    test_activate_derivative_at_kink = activate_kink_test()
    test_activate_stable = activate_stable_test()
    test_activate_rejects_unknown = activate_rejects_unknown_test()

Every case carries ``@pytest.mark.skill(skill)`` (``"activations"`` unless a
suite names another of its manifest's skills) and the credit model
(``autograder/grading/credit.py``) prices it. Every expected value is
``derive(<reference function>, ...)``.

The generic contract checks (``int_input_test``, ``readonly_input_test``)
take a table ``{case id: (student function, arguments, skill)}``, so one suite
can check its activations, its loss and its update with one test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import pytest

from autograder.suite.expect import (
    as_float_array,
    assert_close,
    assert_float_array_like,
    assert_raises_value_error,
    derive,
    fail,
)
from autograder.tolerances import VALUES
from reference.activations import get_activation

TestFunction = Callable[..., None]
ActivateFunction = Literal["activate", "activate_derivative"]

ACTIVATIONS_BY_NAME: tuple[str, ...] = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
"""The activations ``activate(z, name)`` and ``activate_derivative(z, name)`` are tested with, by name."""

KINKED_BY_NAME: tuple[str, ...] = tuple(name for name in ACTIVATIONS_BY_NAME if get_activation(name).kinks)

EDGE_AWAY_FROM_KINK = np.array([1e-9, -1e-9, 30.0, -30.0, 1000.0, -1000.0])
"""The edge points except the kink itself (0 has its own check, with the convention)."""

RANDOM_POINTS = np.random.default_rng(20240611).uniform(-6.0, 6.0, size=24)
VALUE_POINTS = np.concatenate([EDGE_AWAY_FROM_KINK, RANDOM_POINTS])
"""Where activate and activate_derivative are compared with the reference (one call each)."""

KINK_POINTS = np.array([-1.0, 0.0, 1.0])
STABILITY_POINTS = np.array([[-1000.0, -30.0, -1e-9, 0.0], [1e-9, 30.0, 700.0, 1000.0]])
INT_POINTS = np.array([-3, -1, 0, 2, 5])
"""An int array for the int-input contract (0 included: the result is compared with the float input's)."""

_VALUE_HINTS: dict[ActivateFunction, str] = {
    "activate": "compare with the table of the activations; the sigmoid must not overflow at -1000",
    "activate_derivative": "sigmoid' = sigmoid (1 - sigmoid) <= 1/4, tanh' = 1 - tanh^2, "
                           "relu-family: 1 for z > 0",
}
KINK_HINT = "the z <= 0 branch owns the kink: relu'(0) = 0, leaky_relu'(0) = 0.01, elu'(0) = 1"
INT_HINT = "convert inputs with np.asarray(value, dtype=np.float64) first"

ContractCases = Mapping[str, tuple[str, tuple[Any, ...], str]]
"""case id -> (the student function, its arguments, the manifest skill the case measures)"""


def _typed(test: Any) -> TestFunction:
    """``test`` as pytest's mark decorators leave it (typed Any)."""
    bound: TestFunction = test
    return bound


def _reference(function: ActivateFunction, activation: str) -> Callable[..., Any]:
    forward = get_activation(activation)
    return forward if function == "activate" else forward.grad


def activate_values_test(function: ActivateFunction, skill: str = "activations") -> TestFunction:
    """``function(z, name)`` for every activation by name: the edge points and the seeded points in one array."""

    @pytest.mark.skill(skill)
    @pytest.mark.parametrize("activation", ACTIVATIONS_BY_NAME)
    def test(student: Any, activation: str) -> None:
        got = getattr(student, function)(VALUE_POINTS.copy(), activation)
        assert_close(got, derive(_reference(function, activation), VALUE_POINTS),
                     call=f"{function}(z=[edge and random points], {activation!r})", inputs=VALUE_POINTS,
                     hint=_VALUE_HINTS[function])

    test.__doc__ = (f"{function}(z, name) at the edge points and {RANDOM_POINTS.size} seeded points, "
                    "in one array.")
    return _typed(test)


def activate_kink_test(skill: str = "activations", weight: float = 0.5) -> TestFunction:
    """The kink convention of activate_derivative at z = 0, with z = -1 and 1 beside it."""

    @pytest.mark.skill(skill, weight=weight)
    @pytest.mark.rule("kink-takes-the-left-branch")
    @pytest.mark.parametrize("activation", KINKED_BY_NAME)
    def test(student: Any, activation: str) -> None:
        """The kink convention at z = 0, with z = -1 and 1 beside it (a constant cannot pass)."""
        got = student.activate_derivative(KINK_POINTS.copy(), activation)
        assert_close(got, derive(get_activation(activation).grad, KINK_POINTS),
                     call=f"activate_derivative(z=[-1, 0, 1], {activation!r})", inputs=KINK_POINTS,
                     hint=KINK_HINT)

    return _typed(test)


def stable_test(skill: str, check: Callable[[Any, str], object]) -> TestFunction:
    """A contract check of ``skill`` for every activation by name: ``check(strict_student, activation)``
    calls a student function at large pre-activations and fails on a result that is not finite or
    not of its shape. ``strict_student`` runs the call under np.errstate(raise) in the sandbox, so an
    overflow, 0/0 or log(0) inside the student's code fails the case too. The test's docstring is
    ``check``'s."""

    @pytest.mark.skill(skill)
    @pytest.mark.contract
    @pytest.mark.rule("finite-for-abs-x-le-1000", "no-floating-point-errors")
    @pytest.mark.parametrize("activation", ACTIVATIONS_BY_NAME)
    def test(strict_student: Any, activation: str) -> None:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            check(strict_student, activation)

    test.__doc__ = check.__doc__
    return _typed(test)


def _activate_stable(strict_student: Any, activation: str) -> None:
    """Shape (2, 4) in, float64 (2, 4) out, finite, no overflow/invalid/divide at |z| <= 1000."""
    values = strict_student.activate(STABILITY_POINTS.copy(), activation)
    slopes = strict_student.activate_derivative(STABILITY_POINTS.copy(), activation)
    assert_float_array_like(values, call=f"activate(z of shape (2, 4), {activation!r})", shape=(2, 4),
                            hint="work on np.asarray(z, dtype=np.float64); never exponentiate a large positive number")
    assert_float_array_like(slopes, call=f"activate_derivative(z of shape (2, 4), {activation!r})",
                            shape=(2, 4), hint="clip the argument of exp, or use exp(-|z|)")


def activate_stable_test(skill: str = "activations") -> TestFunction:
    """activate and activate_derivative of a (2, 4) array up to |z| = 1000, in strict mode."""
    return stable_test(skill, _activate_stable)


UNKNOWN_ACTIVATION = "swish"
"""A name neither ``activate`` nor ``activate_derivative`` knows (the lecture does not cover it)."""


def activate_rejects_unknown_test(skill: str = "activations") -> TestFunction:
    """activate and activate_derivative raise ValueError for a name they do not know."""

    @pytest.mark.skill(skill)
    @pytest.mark.contract
    @pytest.mark.rule("raises-on-unknown-name")
    @pytest.mark.parametrize("function", ["activate", "activate_derivative"])
    def test(student: Any, function: str) -> None:
        """An unknown activation name is a ValueError, never a silent fallback."""
        assert_raises_value_error(lambda: getattr(student, function)(KINK_POINTS.copy(), UNKNOWN_ACTIVATION),
                                  call=f"{function}(z=[-1, 0, 1], {UNKNOWN_ACTIVATION!r})",
                                  hint="raise ValueError for a name that is not one of the five activations")

    return _typed(test)


def copied(value: Any) -> Any:
    """A copy of the arrays in ``value`` (an array, or a list or tuple of them), so no call sees another's."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(copied(v) for v in value)
    return value


def _as_floats(args: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(a.astype(np.float64) if isinstance(a, np.ndarray) else a for a in args)


def _describe(function: str, args: tuple[Any, ...]) -> str:
    shown = [f"<{a.dtype} array>" if isinstance(a, np.ndarray) else repr(a) for a in args]
    return f"{function}({', '.join(shown)})"


def _params(cases: ContractCases) -> list[Any]:
    return [pytest.param(name, marks=pytest.mark.skill(skill)) for name, (_, _, skill) in cases.items()]


def int_input_test(cases: ContractCases) -> TestFunction:
    """Int arrays give a float64 array of the first argument's shape, equal to the result for the same
    numbers as floats (a contract check of each case's skill)."""

    @pytest.mark.contract
    @pytest.mark.rule("accepts-int-input")
    @pytest.mark.parametrize("case", _params(cases))
    def test(student: Any, case: str) -> None:
        """Int arrays give a float64 array of their shape, equal to the result for the same numbers as floats."""
        function, args, _ = cases[case]
        call = _describe(function, args)
        got = getattr(student, function)(*copied(args))
        assert_float_array_like(got, call=call, shape=np.shape(args[0]), hint=INT_HINT)
        floats = _as_floats(args)
        own = as_float_array(getattr(student, function)(*floats), call=_describe(function, floats))
        if own.shape != got.shape or not np.all(VALUES.close(got, own)):
            fail(call, f"got {got!r}, but {own!r} for the same numbers as floats", INT_HINT)

    return _typed(test)


def readonly_input_test(cases: ContractCases) -> TestFunction:
    """The arrays are handed over read-only: an in-place write raises in the sandbox and fails the case."""

    @pytest.mark.contract
    @pytest.mark.rule("no-input-mutation")
    @pytest.mark.parametrize("case", _params(cases))
    def test(student: Any, case: str) -> None:
        """The arrays are handed over read-only: writing into them raises in the sandbox."""
        function, args, _ = cases[case]
        getattr(student.with_options(readonly_inputs=True), function)(*copied(args))

    return _typed(test)
