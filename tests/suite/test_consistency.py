"""The shared consistency-credit pieces of autograder/suite/consistency.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from autograder.suite.consistency import (
    CONSISTENT_ON,
    CONSISTENT_WITH,
    Probe,
    chain_rule_upstream,
    derivative_reason,
    elementwise_reason,
    identity_reason,
    probe_reason,
    reference_or_consistent,
)


def _wrong() -> None:
    raise AssertionError("f(x=1): got 2, should be 1\nHint: h")


def test_a_right_check_earns_no_consistency_and_never_asks_upstream() -> None:
    recorded: list[tuple[str, Any]] = []
    reference_or_consistent(lambda k, v: recorded.append((k, v)), lambda: None, lambda: pytest.fail("asked"))
    assert recorded == []


def test_a_wrong_check_passes_by_consistency_with_the_named_upstream() -> None:
    recorded: list[tuple[str, Any]] = []
    reference_or_consistent(lambda k, v: recorded.append((k, v)), _wrong, lambda: "activations")
    assert recorded == [(CONSISTENT_WITH, "activations")]


def test_a_pass_by_consistency_names_the_upstream_case_of_its_setting() -> None:
    recorded: list[tuple[str, Any]] = []
    reference_or_consistent(lambda k, v: recorded.append((k, v)), _wrong, lambda: "elu", on="elu[values-alpha=0.5]")
    assert recorded == [(CONSISTENT_WITH, "elu"), (CONSISTENT_ON, "elu[values-alpha=0.5]")]


POINTS = np.array([-3.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0])
STEP = 1e-6


def _probe(forward: Any, points: np.ndarray = POINTS) -> Probe:
    return Probe(forward(points), forward(points + STEP), forward(points - STEP), STEP,
                 np.zeros(points.size, dtype=np.int8))


def _leaky(slope: float) -> Any:
    return lambda x: np.where(x > 0, x, slope * x)


def test_derivative_reason_credits_the_slope_of_a_forward_wrong_where_it_is() -> None:
    forward, right = _leaky(0.01), _leaky(0.2)  # alpha ignored: wrong on every negative point
    got, want = np.where(POINTS > 0, 1.0, 0.01), np.where(POINTS > 0, 1.0, 0.2)
    assert derivative_reason(POINTS, got, want, forward(POINTS), right(POINTS), _probe(forward)) == ""


def _flat_beside_the_negative_points(values_at: Callable[[np.ndarray], np.ndarray]
                                     ) -> Callable[[np.ndarray], np.ndarray]:
    """A forward equal to ``values_at`` at POINTS whose probes beside them rise with slope 1 for
    positive points and 0 for the others (a leaky slope of 0 as the probes see it)."""
    def forward(x: np.ndarray) -> np.ndarray:
        nearest = POINTS[np.argmin(np.abs(x[:, None] - POINTS[None, :]), axis=1)]
        return values_at(nearest) + (x - nearest) * np.where(nearest > 0, 1.0, 0.0)
    return forward


def test_derivative_reason_denies_a_derivative_wrong_where_the_forward_is_right() -> None:
    right = _leaky(0.2)
    got, want = np.where(POINTS > 0, 1.0, 0.0), np.where(POINTS > 0, 1.0, 0.2)

    along_the_wrong_slope = _flat_beside_the_negative_points(right)  # right at the points, flat beside them
    assert derivative_reason(POINTS, got, want, right(POINTS), right(POINTS), _probe(along_the_wrong_slope)) \
        == "it is wrong where your forward is right"


def test_derivative_reason_denies_a_forward_whose_values_do_not_rise_as_probed() -> None:
    """Wrong in its values (alpha ignored), and flat at its probes to fit a wrong derivative."""
    forward, right = _leaky(0.01), _leaky(0.2)
    got, want = np.where(POINTS > 0, 1.0, 0.0), np.where(POINTS > 0, 1.0, 0.2)

    flat_beside = _flat_beside_the_negative_points(forward)
    assert derivative_reason(POINTS, got, want, forward(POINTS), right(POINTS), _probe(flat_beside)) \
        == "your forward's own values do not rise as it says"


def test_derivative_reason_denies_a_forward_that_answers_probes_differently() -> None:
    forward, right = _leaky(0.01), _leaky(0.2)
    got, want = np.where(POINTS > 0, 1.0, 0.01), np.where(POINTS > 0, 1.0, 0.2)
    probe = _probe(forward)
    moved = Probe(probe.at + 1.0, probe.ahead, probe.behind, STEP, probe.side)
    assert derivative_reason(POINTS, got, want, forward(POINTS), right(POINTS), moved) \
        == "your forward gives other values when probed than in its own check"
    jumpy = Probe(probe.at, probe.ahead + 1e-3, probe.behind, STEP, probe.side)
    assert derivative_reason(POINTS, got, want, forward(POINTS), right(POINTS), jumpy) \
        == "it is not the slope of your forward where it is wrong"


def test_identity_reason_credits_the_identity_on_the_students_own_forward() -> None:
    from reference.activations import get_activation

    sigmoid = get_activation("sigmoid")
    own = 1.0 + np.exp(-POINTS)  # 1 / 1 + np.exp(-x)
    want = sigmoid.grad(POINTS)
    assert identity_reason(own * (1.0 - own), want, sigmoid.grad_from_output(own)) == ""
    assert identity_reason(-own, want, sigmoid.grad_from_output(own)) \
        == "it is not the derivative's identity on your forward's values"


def test_without_an_upstream_the_reference_failure_stands_as_it_is() -> None:
    with pytest.raises(AssertionError) as failed:
        reference_or_consistent(lambda k, v: None, _wrong, lambda: "")
    assert str(failed.value) == "f(x=1): got 2, should be 1\nHint: h"


def test_elementwise_reason() -> None:
    assert elementwise_reason(np.tanh) == ""
    assert elementwise_reason(lambda z: np.zeros_like(z)) == "it returns a constant"
    assert elementwise_reason(lambda z: 2 * z + 1) == "it is a straight line in its input"
    assert elementwise_reason(lambda z: np.tanh(z) + z[0]) == "it is not a function of its input alone"


def test_probe_reason() -> None:
    assert probe_reason(lambda t: t * t) == ""
    assert probe_reason(lambda t: t + t) == ""  # a sum for a product is allowed
    assert probe_reason(lambda t: np.ones_like(t)) == "it returns a constant"
    assert probe_reason(lambda t: t) == "it returns its input"


class _Student:
    def __init__(self, chain_rule: Any) -> None:
        self.chain_rule = chain_rule


def test_chain_rule_upstream() -> None:
    paths = [[0.5, 2.0], [1.5, -1.0, 3.0]]
    adding = _Student(lambda factors: np.sum(factors, axis=0))
    assert chain_rule_upstream(adding, paths, 2.5 + 3.5) == "chain_rule"
    assert chain_rule_upstream(adding, paths, 1.0 - 4.5) == ""  # the right sum: no credit needed here
    right = _Student(lambda factors: np.prod(factors, axis=0))
    assert chain_rule_upstream(right, paths, 6.0) == ""
    constant = _Student(lambda factors: 1.0)
    assert chain_rule_upstream(constant, paths, 2.0) == ""
