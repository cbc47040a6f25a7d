"""Numeric gradients: central differences, kink-free sampling, and the worst-input report."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.gradcheck import (
    GradcheckReport,
    central_difference,
    compare_gradients,
    partial_derivatives,
    sample_away_from_kinks,
    spread,
)
from autograder.tolerances import GRADCHECK, GRADCHECK_EPS, KINK_MARGIN

X = np.linspace(-5.0, 5.0, 41)
SMOOTH = {  # f, f' (analytic)
    "sin": (np.sin, np.cos),
    "cos": (np.cos, lambda x: -np.sin(x)),
    "exp": (np.exp, np.exp),
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    "cubic": (lambda x: x**3 - 2.0 * x, lambda x: 3.0 * x**2 - 2.0),
}


def labels(x: np.ndarray) -> list[str]:
    return [f"x={v:.4g}" for v in x]


@pytest.mark.parametrize("name", SMOOTH)
def test_central_difference_matches_the_analytic_derivative_within_gradcheck(name: str) -> None:
    f, df = SMOOTH[name]
    numeric = central_difference(f, X)
    assert numeric.dtype == np.float64 and numeric.shape == X.shape
    assert GRADCHECK.close(df(X), numeric).all()


def test_central_difference_is_the_symmetric_quotient_with_the_default_step() -> None:
    x = np.array([0.3, 1.7])
    expected = (np.sin(x + GRADCHECK_EPS) - np.sin(x - GRADCHECK_EPS)) / (2 * GRADCHECK_EPS)
    np.testing.assert_allclose(central_difference(np.sin, x), expected, rtol=1e-15, atol=0)


def test_central_difference_accepts_integer_input() -> None:
    numeric = central_difference(lambda x: x * x, np.array([1, 2, 3]))
    np.testing.assert_allclose(numeric, [2.0, 4.0, 6.0], rtol=1e-6)


@pytest.mark.parametrize(("label", "wrong"), [
    ("sign", lambda x: -np.cos(x)),
    ("factor", lambda x: 1.01 * np.cos(x)),
    ("missing-term", lambda x: np.cos(x) - 1e-4),
])
def test_a_wrong_derivative_fails_the_check(label: str, wrong) -> None:  # type: ignore[no-untyped-def]
    report = compare_gradients(wrong(X), central_difference(np.sin, X), labels(X))
    assert not report.passed


def test_report_names_the_worst_input() -> None:
    analytic = np.cos(X)
    worst = 17
    analytic[worst] += 0.1
    analytic[3] += 0.01
    report = compare_gradients(analytic, central_difference(np.sin, X), labels(X))
    assert isinstance(report, GradcheckReport)
    assert not report.passed
    assert report.worst_input == labels(X)[worst]
    assert report.analytic == pytest.approx(analytic[worst], rel=1e-12)
    assert report.numeric == pytest.approx(math.cos(X[worst]), rel=1e-6)
    assert report.error == pytest.approx(0.1, rel=1e-3)
    assert report.allowed == pytest.approx(GRADCHECK.atol + GRADCHECK.rtol * abs(report.numeric), rel=1e-9)
    text = report.describe()
    assert "disagrees with" in text and labels(X)[worst] in text


def test_worst_input_is_by_error_relative_to_the_allowed_error() -> None:
    """A small error at a small gradient outranks a larger one at a large gradient."""
    numeric = np.array([1e4, 1e-3])
    analytic = numeric + np.array([1e-2, 5e-5])  # allowed: ~0.1 and ~1e-6
    report = compare_gradients(analytic, numeric, ["big", "small"])
    assert report.worst_input == "small" and not report.passed


def test_matching_gradients_pass_and_say_so() -> None:
    report = compare_gradients(np.cos(X), central_difference(np.sin, X), labels(X))
    assert report.passed
    assert "agrees with" in report.describe()


def test_nan_in_the_analytic_gradient_always_fails_and_is_the_worst() -> None:
    analytic = np.cos(X)
    analytic[5] = np.nan
    report = compare_gradients(analytic, central_difference(np.sin, X), labels(X))
    assert not report.passed
    assert report.worst_input == labels(X)[5]


def test_compare_gradients_flattens_matrices() -> None:
    numeric = np.arange(6.0).reshape(2, 3)
    analytic = numeric.copy()
    analytic[1, 2] = -5.0
    report = compare_gradients(analytic, numeric, [f"w{i}" for i in range(6)])
    assert report.worst_input == "w5"


@pytest.mark.parametrize("kinks", [(), (0.0,), (-1.0, 0.0, 2.5)], ids=["none", "zero", "three"])
def test_samples_keep_their_margin_and_count(kinks: tuple[float, ...]) -> None:
    points = sample_away_from_kinks(np.random.default_rng(0), 500, low=-3.0, high=3.0, kinks=kinks)
    assert points.shape == (500,) and points.dtype == np.float64
    assert points.min() >= -3.0 and points.max() <= 3.0
    for kink in kinks:
        assert np.abs(points - kink).min() >= KINK_MARGIN


def test_samples_fill_their_count_even_when_most_draws_are_too_close() -> None:
    points = sample_away_from_kinks(np.random.default_rng(1), 50, low=-0.01, high=0.01,
                                    kinks=(0.0,), margin=0.009)
    assert points.shape == (50,)
    assert np.abs(points).min() >= 0.009


def test_samples_are_reproducible_from_the_seed() -> None:
    def draw() -> np.ndarray:
        return sample_away_from_kinks(np.random.default_rng(42), 20, low=-5, high=5, kinks=(0.0,))
    np.testing.assert_array_equal(draw(), draw())


def test_partial_derivatives_of_a_quadratic() -> None:
    def f(p: dict[str, float]) -> float:
        return 3.0 * p["a"] ** 2 + 2.0 * p["a"] * p["b"] - p["b"] + 5.0

    params = {"a": 0.7, "b": -1.3}
    grads = partial_derivatives(f, params)
    assert list(grads) == ["a", "b"]
    analytic = np.array([6.0 * params["a"] + 2.0 * params["b"], 2.0 * params["a"] - 1.0])
    assert GRADCHECK.close(analytic, np.array([grads["a"], grads["b"]])).all()
    assert params == {"a": 0.7, "b": -1.3}  # the caller's dict is not modified


@pytest.mark.parametrize("n", [1, 2, 9, 24, 64])
def test_spread_points_fill_the_interval_away_from_its_middle_and_ends(n: int) -> None:
    points = spread(n, -6.0, 6.0)
    assert points.dtype == np.float64 and points.shape == (n,)
    assert np.all(np.abs(points) > 0.0025 * 12.0)  # ReLU's kink at 0 is never sampled
    assert np.all((points > -6.0 + 0.0025 * 12.0) & (points < 6.0 - 0.0025 * 12.0))
    assert np.array_equal(points, spread(n, -6.0, 6.0))  # the same points on every run
    if n >= 9:  # spread over the whole interval, on both sides of the middle, never evenly spaced
        assert np.sum(points < 0) >= n // 3 and np.sum(points > 0) >= n // 3
        gaps = np.diff(np.sort(points))
        assert gaps.max() - gaps.min() > 0.1 and gaps.max() < 12.0 / n * 2.0
