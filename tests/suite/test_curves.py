"""A failing ``assert_close`` over a 1-D range carries its curve: the x tested, yours, the reference's."""

from __future__ import annotations

import gc
import math
import weakref
from typing import Any

import numpy as np
import pytest

from autograder.curves import MAX_POINTS, Curve, curve_of, from_json, kept_positions, to_json
from autograder.suite import assert_close, derive
from reference.activations import get_activation

SIGMOID = get_activation("sigmoid")
CALL = "sigmoid(x=<float64 array of shape (9,)>)"


def failure(got: Any, x: Any, call: str = CALL) -> AssertionError:
    """The error ``assert_close`` raises for ``got`` against the reference sigmoid at ``x``."""
    with pytest.raises(AssertionError) as caught:
        assert_close(got, derive(SIGMOID.__call__, x), call=call, inputs=x)
    error = caught.value
    error.__traceback__ = None  # what the grader does: the frames (and the student's array in them) go
    return error


def mirrored(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(x))


def test_a_failing_check_attaches_x_sorted_with_yours_and_the_reference() -> None:
    x = np.array([3.0, -1.0, 0.0, 2.0, -4.0, 1.0, -2.0, 4.0, -3.0])
    curve = curve_of(failure(mirrored(x), x))
    assert curve is not None
    order = np.argsort(x)
    np.testing.assert_allclose(curve.x, x[order], rtol=0, atol=0)
    np.testing.assert_allclose(curve.got, mirrored(x)[order], rtol=1e-15)
    np.testing.assert_allclose(curve.expected, 1.0 / (1.0 + np.exp(-x[order])), rtol=1e-12)
    assert curve.wrong == tuple(bool(abs(v) > 0.5) for v in x[order])  # sigma(0) = 1/2 either way
    assert curve.wrong_count == 8
    assert curve.function == "sigmoid(x)" and curve.x_name == "x"
    assert all(type(v) is float for v in (*curve.x, *curve.got, *curve.expected))


def test_the_input_name_and_setting_come_from_the_call_text() -> None:
    x = np.linspace(-3.0, 3.0, 7)
    curve = curve_of(failure(mirrored(x), x, call="activate(z=[edge and random points], 'sigmoid')"))
    assert curve is not None and curve.function == "activate(z, 'sigmoid')" and curve.x_name == "z"
    other = curve_of(failure(mirrored(x), x, call="a check named otherwise"))
    assert other is not None and other.function == "a check named otherwise" and other.x_name == "x"


def test_non_finite_values_the_student_returned_are_kept_and_wrong() -> None:
    x = np.linspace(-2.0, 2.0, 6)
    got = 1.0 / (1.0 + np.exp(-x))
    got[1], got[4] = np.nan, np.inf
    curve = curve_of(failure(got, x))
    assert curve is not None
    assert math.isnan(curve.got[1]) and math.isinf(curve.got[4])
    assert curve.wrong == (False, True, False, False, True, False)


@pytest.mark.parametrize("x", [
    np.linspace(-1.0, 1.0, 12).reshape(3, 4),            # a batch: no 1-D range
    np.array([-1.0, 0.0, 1.0]),                          # too few points for a picture
    np.arange(-3, 4, dtype=np.int64),                    # int inputs: a contract check's, not a range
    np.array([-1.0, 0.0, np.inf, 1.0, 2.0, 3.0]),        # an x that cannot be placed
], ids=["2-D", "3 points", "int", "inf input"])
def test_no_curve_where_a_plot_would_not_fit(x: np.ndarray) -> None:
    with np.errstate(invalid="ignore"):
        error = failure(mirrored(x.astype(np.float64)) + 1.0, x)
    assert curve_of(error) is None


def test_no_curve_without_inputs_for_a_scalar_or_on_a_pass() -> None:
    x = np.linspace(-2.0, 2.0, 8)
    with pytest.raises(AssertionError) as caught:
        assert_close(mirrored(x), derive(SIGMOID.__call__, x), call=CALL)
    assert curve_of(caught.value) is None
    assert curve_of(failure(0.0, np.float64(1.0), call="sigmoid(x=1)")) is None
    assert_close(1.0 / (1.0 + np.exp(-x)), derive(SIGMOID.__call__, x), call=CALL, inputs=x)  # passes
    assert curve_of(AssertionError("plain")) is None and curve_of(None) is None
    assert curve_of(ValueError("not an assertion")) is None


def test_a_shape_mismatch_has_no_curve() -> None:
    x = np.linspace(-2.0, 2.0, 8)
    assert curve_of(failure(mirrored(x)[:-1], x)) is None


def test_downsampling_keeps_the_order_the_ends_and_the_wrong_points() -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(-50.0, 50.0, 5000)
    got = 1.0 / (1.0 + np.exp(-x))
    wrong_at = rng.choice(x.size, 30, replace=False)
    got[wrong_at] += 0.5
    curve = curve_of(failure(got, x))
    assert curve is not None
    assert len(curve.x) <= MAX_POINTS and len(curve.x) > MAX_POINTS - 10
    assert np.all(np.diff(curve.x) > 0)
    assert curve.x[0] == pytest.approx(x.min(), abs=0) and curve.x[-1] == pytest.approx(x.max(), abs=0)
    assert curve.wrong_count == 30
    np.testing.assert_allclose(sorted(curve.x[i] for i, w in enumerate(curve.wrong) if w),
                               np.sort(x[wrong_at]), rtol=0, atol=0)


def test_kept_positions_thins_many_wrong_points_to_half_the_budget() -> None:
    wrong = np.ones(10_000, dtype=np.bool_)
    kept = kept_positions(wrong, 200)
    assert kept.size <= 200 and kept[0] == 0 and kept[-1] == 9_999
    assert np.all(np.diff(kept) > 0)
    small = kept_positions(np.zeros(50, dtype=np.bool_), 200)
    np.testing.assert_array_equal(small, np.arange(50))


def test_the_curve_does_not_keep_the_students_array_alive() -> None:
    x = np.linspace(-3.0, 3.0, 50)
    got = mirrored(x)
    alive = weakref.ref(got)
    error = failure(got, x)
    del got
    gc.collect()
    assert alive() is None
    assert curve_of(error) is not None


def test_json_round_trip_keeps_non_finite_values() -> None:
    curve = Curve(x=(-1.0, 0.0, 1.0), got=(math.nan, math.inf, -math.inf), expected=(0.25, 0.5, 0.75),
                  wrong=(True, True, True), function="sigmoid(x)", x_name="x")
    data = to_json(curve)
    assert data["got"] == ["nan", "inf", "-inf"] and data["wrong"] == [0, 1, 2]
    again = from_json(data)
    assert math.isnan(again.got[0]) and again.got[1] > 0 and math.isinf(again.got[2]) and again.got[2] < 0
    np.testing.assert_allclose(again.expected, curve.expected, rtol=0)
    assert again.wrong == curve.wrong and again.function == "sigmoid(x)"


@pytest.mark.parametrize("data", [[], {"x": [1.0]}, {"x": [1.0], "got": ["oops"], "expected": [1.0], "wrong": []},
                                  {"x": [1.0, 2.0], "got": [1.0], "expected": [1.0], "wrong": []}])
def test_a_malformed_curve_is_a_value_error(data: Any) -> None:
    with pytest.raises(ValueError):
        from_json(data)
