"""``Tolerance.close``: the documented rule |got - want| <= atol + rtol * |want|, NaN and inf.

Expected verdicts are computed from the rule itself (the allowed error of each
``want``), scaled inside or outside it, never from retyped constants.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.tolerances import GRADCHECK, REFERENCE, TINY, VALUES, Tolerance

NAMED = {"VALUES": VALUES, "TINY": TINY, "GRADCHECK": GRADCHECK, "REFERENCE": REFERENCE}
WANTS = np.array([-1e6, -3.5, -1e-12, 1e-300, 0.25, 1.0, 7e8])


def rule(tol: Tolerance, want: np.ndarray) -> np.ndarray:
    """The allowed error as the module docstring states it."""
    return tol.atol + tol.rtol * np.abs(want)


@pytest.mark.parametrize("name", NAMED)
def test_allowed_error_is_the_documented_rule(name: str) -> None:
    tol = NAMED[name]
    np.testing.assert_allclose(tol.allowed_error(WANTS), rule(tol, WANTS), rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", NAMED)
@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["above", "below"])
def test_within_the_allowed_error_matches_and_beyond_it_does_not(name: str, sign: float) -> None:
    tol = NAMED[name]
    allowed = rule(tol, WANTS)
    inside = WANTS + sign * 0.5 * allowed
    outside = WANTS + sign * 2.0 * allowed + sign * np.spacing(np.abs(WANTS))  # strictly beyond
    assert tol.close(inside, WANTS).all()
    # An allowed error of zero (TINY at want = 0 does not occur in WANTS) is never "outside".
    assert not tol.close(outside, WANTS).any()


def test_close_is_elementwise_and_keeps_the_shape() -> None:
    want = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = want.copy()
    got[1, 0] += 1.0
    verdict = VALUES.close(got, want)
    assert verdict.shape == (2, 2)
    assert verdict.tolist() == [[True, True], [False, True]]


def test_relative_part_scales_with_want_not_got() -> None:
    tol = Tolerance(rtol=0.6, atol=0.0)
    small, large = np.array(1e-3), np.array(2e-3)
    assert not tol.close(large, small)  # |diff| = 1e-3 > 0.6 * 1e-3
    assert tol.close(small, large)  # |diff| = 1e-3 <= 0.6 * 2e-3


def test_tiny_is_purely_relative_so_any_tiny_number_does_not_pass() -> None:
    want = np.array([1e-20, 1e-200, 0.0])
    assert not TINY.close(np.zeros(3) + 1e-300, want)[:2].any()  # a vanished gradient is wrong
    assert not TINY.close(np.array([0.0, 0.0, 1e-300]), want).any()
    assert TINY.close(want * (1 + 0.5 * TINY.rtol), want).all()


@pytest.mark.parametrize("name", NAMED)
@pytest.mark.parametrize(("got", "want"), [
    (math.nan, math.nan), (math.nan, 1.0), (1.0, math.nan), (math.nan, 0.0), (0.0, math.nan),
], ids=["nan-nan", "nan-got", "nan-want", "nan-got-zero", "nan-want-zero"])
def test_nan_never_matches(name: str, got: float, want: float) -> None:
    assert not NAMED[name].close(np.array([got]), np.array([want])).any()


@pytest.mark.parametrize("name", NAMED)
@pytest.mark.parametrize(("got", "want", "matches"), [
    (math.inf, math.inf, True),
    (-math.inf, -math.inf, True),
    (-math.inf, math.inf, False),
    (math.inf, -math.inf, False),
    (np.finfo(np.float64).max, math.inf, False),
    (math.inf, np.finfo(np.float64).max, False),
    (math.inf, 1.0, False),
], ids=["inf", "-inf", "-inf-vs-inf", "inf-vs--inf", "max-vs-inf", "inf-vs-max", "inf-vs-1"])
def test_infinity_matches_only_itself(name: str, got: float, want: float, matches: bool) -> None:
    assert NAMED[name].close(np.array([got]), np.array([want])).tolist() == [matches]


def test_close_does_not_warn_on_nan_or_inf() -> None:
    with np.errstate(all="raise"):
        VALUES.close(np.array([math.inf, math.nan, 1.0]), np.array([math.inf, 1.0, math.nan]))


def test_close_does_not_depend_on_numpy_isclose(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule is written out, so a patched ``np.isclose`` cannot turn a failure into a pass."""
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    assert not VALUES.close(np.array([2.0]), np.array([1.0])).any()


def test_values_absorbs_cancellation_of_the_naive_sigmoid_derivative_at_30() -> None:
    """The docstring's example: s * (1 - s) at x = 30 keeps few digits, and must still pass."""
    s = 1.0 / (1.0 + np.exp(-30.0))
    naive = np.array(s * (1.0 - s))
    exact = np.array(math.exp(-30.0) / (1.0 + math.exp(-30.0)) ** 2)
    assert abs(naive - exact) > VALUES.rtol * exact  # the relative part alone would reject it
    assert VALUES.close(naive, exact)
    assert not VALUES.close(np.array(s), exact)  # sigmoid instead of its derivative still fails
