"""The credit model: a skill's points reach its cases as far as its values are right."""

from __future__ import annotations

from dataclasses import replace

import pytest

from autograder.assignment import CreditModel, Skill
from autograder.grading.credit import CreditError, price
from autograder.grading.outcomes import CaseOutcome

MODEL = CreditModel((Skill("sigmoid", 10.0, "sigmoid"), Skill("relu", 5.0, "relu")), contract_share=0.2)


def case(name: str, skill: str = "sigmoid", passed: bool = True, *, contract: bool = False,
         weight: float = 1.0, consistent_with: str = "", consistent_on: str = "",
         right_share: float = 0.0, rules: tuple[str, ...] = ()) -> CaseOutcome:
    return CaseOutcome(name, skill, 0.0, passed, contract=contract, weight=weight,
                       consistent_with=consistent_with, consistent_on=consistent_on,
                       right_share=right_share, rules=rules)


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


def lost(outcomes: tuple[CaseOutcome, ...]) -> float:
    return sum(o.max_score - o.earned for o in outcomes)


BACKWARD = CreditModel((Skill("backward", 28.0, "backward"),), contract_share=0.2)


def backward_cases(right: list[float]) -> list[CaseOutcome]:
    """One batch and one scalar case per entry of ``right`` (the share of its 9 gradients right),
    plus a passing int-input and a passing read-only contract check."""
    values = [case(f"backward[{i}]", "backward", share >= 1.0, right_share=share) for i, share in enumerate(right)]
    return values + [case("backward_int_input", "backward", contract=True, rules=("accepts-int-input",)),
                     case("backward_does_not_modify_input", "backward", contract=True,
                          rules=("no-input-mutation",))]


def test_a_mistake_that_makes_more_values_wrong_never_costs_less() -> None:
    """One path forgotten: 2 of 9 gradients wrong in every case. Averaged twice over the batch: all
    9 wrong in the batch cases, right in the scalar ones (a batch of one)."""
    one_path = lost(price(backward_cases([7 / 9] * 10), BACKWARD))
    mean_twice = lost(price(backward_cases([0.0] * 5 + [1.0] * 5), BACKWARD))
    assert one_path == pytest.approx(28.0 * 2 / 9)
    assert mean_twice == pytest.approx(14.0)
    costs = [lost(price(backward_cases([(9 - wrong) / 9] * 10), BACKWARD)) for wrong in range(10)]
    assert costs == sorted(costs) and costs[-1] == pytest.approx(28.0)


def test_a_crash_keeps_no_share_of_its_values() -> None:
    crashed = replace(case("v", right_share=0.5, passed=False), kind="student", right_share=0.0)
    assert earned(price([crashed, case("w")], MODEL))["v"] == 0.0


def test_breaking_any_stated_rule_costs_at_least_the_contract_share_by_default() -> None:
    """Among many contract checks, the read-only one (or an overflow check) alone would cost a sliver
    of a point; unless the manifest lowers it, every rule costs the contract share."""
    many = [case(f"c{i}", contract=True, rules=("returns-float64-array",)) for i in range(20)]
    for rule in ("no-input-mutation", "no-floating-point-errors", "raises-on-unknown-name"):
        breaking = [case("v1"), case("v2"), *many, case("broken", passed=False, contract=True, rules=(rule,))]
        priced = price(breaking, MODEL)
        assert lost(priced) == pytest.approx(10.0 * 0.2), rule
        assert f"breaking rule `{rule}` costs at least 20%" in {o.name: o for o in priced}["broken"].message
    lowered = CreditModel(MODEL.skills, contract_share=0.2, rule_costs=(("returns-float64-array", 0.0),))
    other = [case("v1"), case("v2"), *many[1:], case("c0", passed=False, contract=True,
                                                   rules=("returns-float64-array",))]
    assert lost(price(other, lowered)) == pytest.approx(10.0 * 0.2 / 20)  # manifest cost 0: its own share


def test_rule_costs_come_from_the_manifest_and_scale_with_mastery() -> None:
    model = CreditModel(MODEL.skills, contract_share=0.2,
                        rule_costs=(("no-input-mutation", 0.0), ("returns-float64-array", 0.5)))
    float64 = [case("v1"), case("v2"), case("c", passed=False, contract=True, rules=("returns-float64-array",)),
               case("readonly", contract=True, rules=("no-input-mutation",))]
    assert lost(price(float64, model)) == pytest.approx(5.0)
    half_right = [case("v1"), case("v2", passed=False), *float64[2:]]
    assert sum(earned(price(half_right, model)).values()) == pytest.approx(0.5 * 10.0 * 0.5)
    readonly = [case("v1"), case("v2"), case("c", contract=True, rules=("returns-float64-array",)),
                case("readonly", passed=False, contract=True, rules=("no-input-mutation",))]
    assert lost(price(readonly, model)) == pytest.approx(10.0 * 0.2 / 2)  # lowered to its own share


def test_a_contract_consistency_pass_stands_where_the_upstream_broke_the_same_rule() -> None:
    """An overflowing forward is charged to its own stability check, not to its derivative's too."""
    stable = ("no-floating-point-errors",)
    broke = price([case("relu[values]", "relu"), case("relu-stable", "relu", False, contract=True, rules=stable),
                   case("sigmoid[values]"),
                   case("sigmoid-stable", contract=True, consistent_with="relu", rules=stable)], MODEL)
    assert {o.name: o.passed for o in broke}["sigmoid-stable"]
    other_rule = price([case("relu[values]", "relu"),
                        case("relu-int", "relu", False, contract=True, rules=("accepts-int-input",)),
                        case("sigmoid[values]"),
                        case("sigmoid-stable", contract=True, consistent_with="relu", rules=stable)], MODEL)
    assert not {o.name: o.passed for o in other_rule}["sigmoid-stable"]


def test_a_value_consistency_pass_stands_where_the_upstream_wrote_into_its_inputs() -> None:
    """A forward writing into the weights it was given changes the downstream's values: charged there."""
    wrote = price([case("relu[values]", "relu"),
                   case("relu-readonly", "relu", False, contract=True, rules=("no-input-mutation",)),
                   case("sigmoid[values]", consistent_with="relu")], MODEL)
    assert earned(wrote)["sigmoid[values]"] == pytest.approx(10.0)
