"""The shared consistency-credit pieces of autograder/suite/consistency.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograder.suite.consistency import (
    CONSISTENT_WITH,
    chain_rule_upstream,
    elementwise_reason,
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
