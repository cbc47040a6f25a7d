"""The credit model: a skill's points reach its cases as far as its values are right."""

from __future__ import annotations

import pytest

from autograder.assignment import CreditModel, Skill
from autograder.grading.credit import CreditError, price
from autograder.grading.outcomes import CaseOutcome

MODEL = CreditModel((Skill("sigmoid", 10.0, "sigmoid"), Skill("relu", 5.0, "relu")), contract_share=0.2)


def case(name: str, skill: str = "sigmoid", passed: bool = True, *, contract: bool = False,
         weight: float = 1.0, consistent_with: str = "", consistent_on: str = "") -> CaseOutcome:
    return CaseOutcome(name, skill, 0.0, passed, contract=contract, weight=weight,
                       consistent_with=consistent_with, consistent_on=consistent_on)


def earned(outcomes: tuple[CaseOutcome, ...]) -> dict[str, float]:
    return {o.name: o.earned for o in outcomes}


def test_value_checks_share_what_contract_checks_leave_by_weight() -> None:
    priced = price([case("v1"), case("v2", weight=3.0), case("c1", contract=True), case("c2", contract=True)],
                   MODEL)
    assert [o.max_score for o in priced] == pytest.approx([2.0, 6.0, 1.0, 1.0])
    assert sum(earned(priced).values()) == pytest.approx(10.0)


def test_a_skill_without_contract_checks_gives_its_values_every_point() -> None:
    priced = price([case("v", "relu")], MODEL)
    assert priced[0].max_score == pytest.approx(5.0) and priced[0].earned == pytest.approx(5.0)


def test_contract_checks_earn_only_as_far_as_the_values_are_right() -> None:
    wrong_values = price([case("v1", passed=False), case("v2", passed=False), case("c", contract=True)], MODEL)
    assert earned(wrong_values) == {"v1": 0.0, "v2": 0.0, "c": 0.0}  # finite and float64, but wrong
    half = price([case("v1"), case("v2", passed=False), case("c", contract=True)], MODEL)
    assert earned(half) == pytest.approx({"v1": 4.0, "v2": 0.0, "c": 1.0})


def test_a_consistency_pass_stands_only_when_its_upstream_is_wrong() -> None:
    upstream_wrong = price([case("relu[values]", "relu", passed=False),
                            case("sigmoid[values]", consistent_with="relu")], MODEL)
    assert earned(upstream_wrong)["sigmoid[values]"] == pytest.approx(10.0)
    upstream_right = price([case("relu[values]", "relu"), case("sigmoid[values]", consistent_with="relu")], MODEL)
    settled = {o.name: o for o in upstream_right}["sigmoid[values]"]
    assert not settled.passed and settled.earned == 0.0
    assert "agrees only with your own relu, which is right" in settled.message


def test_a_consistency_pass_needs_the_upstream_wrong_in_the_same_setting() -> None:
    """A forward failing one cheap setting buys no consistency credit in another."""
    cases = [case("relu[values]", "relu"), case("relu[values-alpha=0.2]", "relu", passed=False),
             case("sigmoid[values]", consistent_with="relu", consistent_on="relu[values]"),
             case("sigmoid[values-alpha=0.2]", consistent_with="relu", consistent_on="relu[values-alpha=0.2]")]
    settled = {o.name: o for o in price(cases, MODEL)}
    assert not settled["sigmoid[values]"].passed and settled["sigmoid[values]"].earned == 0.0
    assert "agrees only with your own relu[values]" in settled["sigmoid[values]"].message
    assert settled["sigmoid[values-alpha=0.2]"].earned == pytest.approx(5.0)


def test_a_consistency_pass_upstream_counts_as_wrong_downstream() -> None:
    """train consistent with a backward that is itself only consistent with a wrong forward."""
    model = CreditModel((Skill("forward", 1, ""), Skill("backward", 1, ""), Skill("train", 1, "")))
    priced = price([case("f", "forward", passed=False), case("b", "backward", consistent_with="forward"),
                    case("t", "train", consistent_with="backward")], model)
    assert earned(priced) == pytest.approx({"f": 0.0, "b": 1.0, "t": 1.0})


def test_an_unknown_skill_is_an_error() -> None:
    with pytest.raises(CreditError, match="sigmoid_typo"):
        price([case("x", "sigmoid_typo")], MODEL)
