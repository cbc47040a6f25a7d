"""The reference's answers to substituted functions refuse what a hostile stand-in call could send."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograder.suite import network_upstreams as upstreams
from autograder.suite.substitution import MAX_ELEMENTS, SecondRun, Upstream, floats, run_later, same_values
from reference import losses


def test_arguments_that_broadcast_past_the_limit_are_refused() -> None:
    side = int(np.sqrt(MAX_ELEMENTS)) + 1
    with pytest.raises(ValueError, match="too many"):
        upstreams.MSE_LOSS.answer(np.zeros((side, 1)), np.zeros((1, side)))
    with pytest.raises(ValueError, match="too many"):
        upstreams.CHAIN_RULE.answer([np.zeros((side, 1)), np.zeros((1, side))])


@pytest.mark.parametrize("arguments", [(["x", 10**9],), ([[1.0], "ab"],), ("not a list",)])
def test_factors_that_are_not_numbers_are_refused(arguments: tuple[object, ...]) -> None:
    with pytest.raises((ValueError, TypeError)):
        upstreams.CHAIN_RULE.answer(*arguments)


def test_an_activation_the_suites_do_not_test_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown activation"):
        upstreams.ACTIVATE.answer(np.zeros(3), "softsign-of-my-own")
    with pytest.raises(ValueError):
        upstreams.FORWARD.answer({"w1": 1.0}, np.zeros(3), "sigmoid")


def test_the_answers_are_the_references_values() -> None:
    y, y_hat = np.linspace(0.0, 1.0, 5), np.linspace(1.0, 0.0, 5)
    assert same_values(upstreams.MSE_LOSS.answer(y, y_hat), losses.mse(y, y_hat))
    assert same_values(upstreams.SUM_OVER_PATHS.answer([[2.0, 3.0], [4.0]]), losses.sum_over_paths([[2.0, 3.0], [4.0]]))
    assert not same_values({"o1": 1.0}, {"o1": 1.0, "o3": 2.0})
    assert not same_values("text", 1.0)
    assert [a.dtype for a in floats(1, [2, 3])] == [np.float64, np.float64]


class _Student:
    """A stand-in for the grader's student proxy: ``down(x)`` is twice its ``up``, which is the
    substituted function when there is one, else the student's own wrong ``up`` (3x)."""

    def __init__(self, substitute: dict[str, Any] | None = None, *, broken: bool = False) -> None:
        self.substitute = substitute or {}
        self.broken = broken

    def with_options(self, *, substitute: dict[str, Any] | None = None, **_: Any) -> _Student:
        return _Student(substitute if substitute is not None else self.substitute, broken=self.broken)

    def function(self, name: str) -> Any:
        if self.broken:
            raise RuntimeError("a fault of the kit's own")
        return {"up": lambda x: 3.0 * x, "down": self.down}[name]

    def down(self, x: float) -> float:
        up = self.substitute.get("up", lambda y: 3.0 * y)
        return 2.0 * float(up(x))


def _down_is_four(student: _Student, record_property: Any) -> None:
    assert student.down(1.0) == pytest.approx(4.0)


def test_second_runs_put_off_credit_each_case_alone() -> None:
    """``run_later`` credits the upstream a case's second run shows wrong, records it on that case,
    and a replay that fails for a reason of the kit's own leaves only its own case failed."""
    up = Upstream("up", "u", lambda x: 2.0 * np.asarray(x, dtype=np.float64))
    recorded: dict[str, list[tuple[str, Any]]] = {"good": [], "broken": []}
    runs = [SecondRun(_down_is_four, {"student": _Student(broken=name == "broken"),
                                      "record_property": recorded[name].append}, (up,),
                      lambda key, value, name=name: recorded[name].append((key, value)))
            for name in ("broken", "good")]
    assert run_later(runs) == ["", "u"]
    assert recorded["broken"] == [] and [value for _, value in recorded["good"]] == ["u"]
