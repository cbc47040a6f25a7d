"""The suite helpers: expectations only from ``reference``, and messages a student can act on."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import pytest

from autograder.gradcheck import compare_gradients
from autograder.suite import (
    Expected,
    UnderivedExpectation,
    as_float_array,
    assert_close,
    assert_equal_value,
    assert_float_array_like,
    assert_gradcheck,
    derive,
)
from autograder.tolerances import TINY, VALUES
from autograder.wording import with_article
from reference.activations import get_activation
from reference.guidance import recommended_activation
from reference.softmax import softmax

SIGMOID = get_activation("sigmoid")
X = np.array([-2.0, 0.0, 3.0])


def logistic(values: np.ndarray) -> np.ndarray:
    """Sigmoid by hand, to check what the reference returned (not to derive from)."""
    return 1.0 / (1.0 + np.exp(-values))


def want(values: Any = X) -> Expected:
    return derive(SIGMOID.__call__, values)


def local_function(x: float) -> float:
    return x


# ------------------------------------------------------------------ derive


@pytest.mark.parametrize("fn", [
    pytest.param(lambda x: 0.5, id="lambda"),
    pytest.param(np.sin, id="numpy-ufunc"),
    pytest.param(np.linalg.norm, id="numpy-function"),
    pytest.param(math.exp, id="math"),
    pytest.param(local_function, id="test-module-function"),
])
def test_derive_refuses_callables_outside_reference(fn: Any) -> None:
    with pytest.raises(UnderivedExpectation, match="not part of the reference package"):
        derive(fn, 0.5)


def test_derive_does_not_call_a_refused_function() -> None:
    calls: list[float] = []
    with pytest.raises(UnderivedExpectation):
        derive(lambda x: calls.append(x), 1.0)
    assert calls == []


def test_underived_expectation_is_a_type_error() -> None:
    assert issubclass(UnderivedExpectation, TypeError)


def test_derive_accepts_a_reference_method_and_records_where_the_value_came_from() -> None:
    expected = derive(SIGMOID.__call__, X)
    assert isinstance(expected, Expected)
    assert expected.derived_from == "reference.activations.Activation.__call__"
    assert VALUES.close(np.asarray(expected.value), logistic(X)).all()


def test_derive_accepts_a_reference_function_with_keywords() -> None:
    z = np.array([1.0, 2.0, 3.0])
    expected = derive(softmax, z, axis=-1)
    assert expected.derived_from == "reference.softmax.softmax"
    assert VALUES.close(np.asarray(expected.value), np.exp(z) / np.exp(z).sum()).all()


# ------------------------------------------------------------------ assert_close


def test_assert_close_passes_within_tolerance() -> None:
    assert_close(logistic(X) * (1 + 0.1 * VALUES.rtol), want(), call="sigmoid(x)")


def test_assert_close_message_reads_call_got_should_be_and_hint() -> None:
    got = logistic(X)
    got[1] = 0.75
    with pytest.raises(AssertionError) as err:
        assert_close(got, want(), call="sigmoid(x=[-2, 0, 3])", hint="use 1/(1+e^-x)")
    first, where, hint = str(err.value).split("\n")
    assert first.startswith("sigmoid(x=[-2, 0, 3]): got [")
    assert "0.75" in first and ", should be [" in first and "0.5" in first
    assert where == "first wrong at index 1: got 0.75, should be 0.5"
    assert hint == "Hint: use 1/(1+e^-x)"


def test_assert_close_names_the_input_where_values_first_go_wrong() -> None:
    got = logistic(X)
    got[1] = 0.75
    with pytest.raises(AssertionError) as err:
        assert_close(got, want(), call="sigmoid(x=[-2, 0, 3])", inputs=X)
    assert str(err.value).splitlines()[1] == "first wrong at x=0 (index 1): got 0.75, should be 0.5"


def test_assert_close_scalar_message_shows_plain_numbers() -> None:
    with pytest.raises(AssertionError) as err:
        assert_close(0.25, want(np.float64(0.0)), call="sigmoid(x=0)")
    assert str(err.value) == "sigmoid(x=0): got 0.25, should be 0.5"


def test_assert_close_without_hint_has_no_hint_line() -> None:
    with pytest.raises(AssertionError) as err:
        assert_close(np.zeros(3), want(), call="sigmoid(x)")
    assert "Hint" not in str(err.value)


def test_assert_close_shape_mismatch_is_named() -> None:
    with pytest.raises(AssertionError) as err:
        assert_close(logistic(X).reshape(3, 1), want(), call="sigmoid(x)", hint="keep x's shape")
    assert str(err.value) == "sigmoid(x): got shape (3, 1), should be (3,)\nHint: keep x's shape"


def test_assert_close_nan_fails_even_against_nan() -> None:
    with pytest.raises(AssertionError, match="got nan"):
        assert_close(np.array(np.nan), derive(SIGMOID.__call__, np.float64(0.0)), call="sigmoid(x=0)")


def test_assert_close_uses_the_tolerance_it_is_given() -> None:
    tiny = derive(SIGMOID.__call__, np.array([-50.0]))  # ~2e-22: smaller than VALUES.atol
    assert_close(np.array([0.0]), tiny, call="sigmoid(x=-50)")  # VALUES: absolute slack passes 0
    with pytest.raises(AssertionError):
        assert_close(np.array([0.0]), tiny, call="sigmoid(x=-50)", tol=TINY)


@pytest.mark.parametrize("raw", [0.5, np.float64(0.5), np.array([0.5]), "0.5"],
                         ids=["float", "numpy-float", "array", "string"])
def test_assert_close_refuses_a_raw_expected_value(raw: Any) -> None:
    with pytest.raises(UnderivedExpectation, match="not derived from the reference"):
        assert_close(0.5, raw, call="sigmoid(x=0)")


def test_assert_close_refuses_a_hand_built_expected() -> None:
    with pytest.raises(UnderivedExpectation):
        assert_close(0.5, Expected(value=0.5, derived_from="typed"), call="sigmoid(x=0)")


# ------------------------------------------------------------------ as_float_array


@pytest.mark.parametrize("value", [3, 2.5, np.float64(2.5), np.arange(3), np.arange(3, dtype=np.uint8),
                                   np.ones((2, 2), dtype=np.float32)],
                         ids=["int", "float", "np-float64", "int-array", "uint8-array", "float32-array"])
def test_as_float_array_accepts_plain_numbers_and_arrays(value: Any) -> None:
    array = as_float_array(value, call="f(x)")
    assert type(array) is np.ndarray and array.dtype == np.float64
    np.testing.assert_array_equal(array, np.asarray(value, dtype=np.float64))


class Booby:
    """Records every method call; any comparison or arithmetic raises."""

    calls: ClassVar[list[str]] = []

    def __eq__(self, other: object) -> bool:
        Booby.calls.append("__eq__")
        raise RuntimeError("__eq__ was called")

    __hash__ = None  # type: ignore[assignment]

    def __float__(self) -> float:
        Booby.calls.append("__float__")
        raise RuntimeError("__float__ was called")

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        Booby.calls.append("__array__")
        raise RuntimeError("__array__ was called")

    def __len__(self) -> int:
        Booby.calls.append("__len__")
        raise RuntimeError("__len__ was called")


class LyingArray(np.ndarray):
    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        raise RuntimeError("__eq__ was called")

    def __sub__(self, other: object) -> Any:
        raise RuntimeError("__sub__ was called")


class LyingFloat(float):
    def __sub__(self, other: object) -> Any:
        raise RuntimeError("__sub__ was called")


@pytest.mark.parametrize(("value", "type_name"), [
    (Booby(), "Booby"),
    (np.array([0.5]).view(LyingArray), "LyingArray"),
    (LyingFloat(0.5), "LyingFloat"),
    (True, "bool"),
    ([0.5, Booby()], "list"),
    ([["0.5"]], "list"),
    (None, "NoneType"),
    (np.array([1 + 2j]), "ndarray"),
    (np.array(["0.5"]), "ndarray"),
    (np.array([0.5], dtype=object), "ndarray"),
], ids=["method-trap", "ndarray-subclass", "float-subclass", "bool", "list-with-trap", "list-of-strings", "none",
        "complex",
        "strings", "object-array"])
def test_as_float_array_rejects_everything_else_without_calling_it(value: Any, type_name: str) -> None:
    Booby.calls.clear()
    with pytest.raises(AssertionError) as err:
        as_float_array(value, call="sigmoid(x=0)", hint="return np.float64 values")
    assert str(err.value) == (f"sigmoid(x=0): got {with_article(type_name)}, should be a numpy array of floats"
                              "\nHint: return np.float64 values")
    assert Booby.calls == []


@pytest.mark.parametrize("value", [[0.5, 0.25], (0.5, 0.25), [[0.5], [0.25]], [np.float64(0.5), 1],
                                   [np.array([0.5, 0.25])], np.array(0.5)],
                         ids=["list", "tuple", "list-of-lists", "numpy-items", "list-of-array", "0-d"])
def test_as_float_array_takes_the_values_of_a_plain_container(value: Any) -> None:
    """A list, tuple or 0-d array of the right numbers is a contract matter, not a wrong value."""
    got = as_float_array(value, call="softmax(z)")
    assert type(got) is np.ndarray and got.dtype == np.float64
    assert np.all(VALUES.close(got.reshape(-1)[:1], np.array([0.5])))


def test_as_float_array_names_a_ragged_list() -> None:
    with pytest.raises(AssertionError, match="which is not a float64 value"):
        as_float_array([[0.5], [0.25, 1.0]], call="softmax(z)")


def test_assert_close_never_calls_a_lying_result() -> None:
    Booby.calls.clear()
    with pytest.raises(AssertionError, match="got a Booby"):
        assert_close(Booby(), want(), call="sigmoid(x)")
    assert Booby.calls == []


# ------------------------------------------------------------------ the other helpers


def test_assert_equal_value_needs_the_same_type_and_value() -> None:
    expected = derive(recommended_activation, "binary", "output")
    assert_equal_value(expected.value, expected, call="choose_activation('binary', 'output')")
    with pytest.raises(AssertionError) as err:
        assert_equal_value("tanh", expected, call="choose_activation('binary', 'output')", hint="h")
    assert str(err.value) == (f"choose_activation('binary', 'output'): got 'tanh', should be "
                              f"{expected.value!r}\nHint: h")
    with pytest.raises(AssertionError, match="got \\["):
        assert_equal_value([expected.value], expected, call="choose_activation('binary', 'output')")
    with pytest.raises(UnderivedExpectation):
        assert_equal_value("relu", "relu", call="choose_activation('binary', 'hidden')")


def test_assert_float_array_like_checks_type_shape_and_finiteness() -> None:
    good = np.zeros((2, 3))
    assert assert_float_array_like(good, call="f(x)", shape=(2, 3)) is good
    cases = [
        (np.zeros((2, 3), dtype=np.float32), "got an ndarray of float32, should be a float64 numpy array"),
        ([[0.0] * 3] * 2, "got a list, should be a float64 numpy array"),
        (np.zeros(6), "got shape (6,), should be (2, 3)"),
        (np.array([[0.0, np.inf, 0.0], [0.0, 0.0, np.nan]]), "got non-finite values"),
    ]
    for value, message in cases:
        with pytest.raises(AssertionError) as err:
            assert_float_array_like(value, call="f(x)", shape=(2, 3), hint="h")
        assert str(err.value).startswith(f"f(x): {message}")
        assert str(err.value).endswith("\nHint: h")


def test_assert_gradcheck_reports_the_worst_input_and_hint() -> None:
    x = np.array([0.1, 0.2, 0.3])
    passing = compare_gradients(np.cos(x), np.cos(x), ["x=0.1", "x=0.2", "x=0.3"])
    assert_gradcheck(passing, call="sin_derivative")
    failing = compare_gradients(np.cos(x) + [0, 0.5, 0], np.cos(x), ["x=0.1", "x=0.2", "x=0.3"])
    with pytest.raises(AssertionError) as err:
        assert_gradcheck(failing, call="sin_derivative", hint="differentiate sin")
    text = str(err.value)
    assert text.startswith("sin_derivative: the derivative disagrees with central differences; worst at x=0.2")
    assert text.endswith("\nHint: differentiate sin")


def test_fail_speaks_to_the_student() -> None:
    from autograder.suite import fail

    with pytest.raises(AssertionError) as err:
        fail("train(steps=3)", "the loss went up", hint="subtract the gradient")
    assert str(err.value) == "train(steps=3): the loss went up\nHint: subtract the gradient"
    with pytest.raises(AssertionError) as err:
        fail("train(steps=3) diverged")
    assert str(err.value) == "train(steps=3) diverged"
