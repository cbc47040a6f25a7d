"""The credit model: how a skill's points reach the cases that measure it.

Written down once, here, and checked by ``autograder validate``:

* Each ``[[skill]]`` of the manifest carries its share of the points.
* A skill's cases are its **value checks** (the function's values against the
  reference, or against the student's own upstream functions where a
  downstream skill is judged for consistency) and its **contract checks**
  (``@pytest.mark.contract``: int input, shapes, no mutation, stability).
* The contract checks share ``contract_share`` of the skill's points (all of
  them go to the value checks when a skill has none), each case in proportion
  to its ``weight`` (``@pytest.mark.skill(name, weight=w)``, default 1).
* A value check earns its points when it passes. A contract check earns its
  points times the skill's **mastery**, the fraction of the value checks'
  points earned: a function that returns the wrong values earns nothing for
  being finite, float64, of the right shape or non-mutating.
* A value check that compares several values in one case (``backward``'s nine
  gradients) records the share of them that was right
  (``autograder/suite/share.py``); failing, it earns that share of its points,
  so a mistake that makes more of a skill's values wrong never costs less.
* **Rules have a price.** A contract check cites the stated rules it enforces
  (``@pytest.mark.rule``). When one fails, the skill earns at most
  ``mastery * points * (1 - cost)`` for the costliest rule broken, its cost from
  the manifest's ``[rules]`` (``CreditModel.rule_cost``; by default the
  contract share for modifying an input), every case's earnings scaled alike.
* **One mistake costs once.** A downstream value check (a derivative,
  ``backward``, ``train``) may pass by agreeing with the student's own upstream
  functions instead of the reference (``consistent_with``). Such a pass earns
  only when that upstream skill is wrong in its own checks: the mistake is
  charged there, once. Where the upstream skill is right, the downstream one
  must match the reference, so a submission cannot trade a function that
  behaves differently in another check for points. A contract check passing
  this way (a derivative's stability check, failing only because the forward
  it calls overflows) also stands where the upstream skill broke the same rule
  in its own contract checks, and any check where the upstream wrote into its
  inputs or returned another dtype than float64 (``VALUE_CHANGING_RULES``).
* **Per setting.** A consistency pass that names the upstream's own case in the
  same setting (``consistent_on``: ``elu[values-alpha=0.5]`` for
  ``elu_derivative``'s alpha = 0.5 case) earns only when that very case is
  wrong: failing one cheap setting of a forward on purpose buys no credit in
  another (the suite decides per point within the setting, see
  ``autograder/suite/consistency.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from autograder.assignment import Assignment, CreditModel
from autograder.grading.outcomes import CaseOutcome
from autograder.wording import plural


class CreditError(ValueError):
    """A case names a skill the manifest does not have."""


def _shares(cases: list[CaseOutcome], points: float) -> list[float]:
    total = sum(c.weight for c in cases)
    return [points * c.weight / total for c in cases] if total > 0 else [0.0] * len(cases)


UPSTREAM_IS_RIGHT = ("agrees only with your own {upstream}, which is right in its own checks; "
                     "so this must match the correct values")


def _upstream_wrong(outcomes: Sequence[CaseOutcome], skill: str, case: str = "") -> bool:
    """Whether ``skill`` failed a value check of its own, or passed one only by consistency;
    with ``case``, whether that one value check did (a case the run does not hold is not wrong)."""
    return any(not o.passed or o.consistent_with for o in outcomes
               if o.group == skill and not o.contract and (not case or o.name == case))


def _upstream_broke_rule(outcomes: Sequence[CaseOutcome], skill: str, rules: tuple[str, ...]) -> bool:
    """Whether ``skill`` failed a contract check of its own that enforces one of ``rules``, or passed one
    only by consistency with its own upstream (the rule broken further up, charged there)."""
    return any((not o.passed or o.consistent_with) and o.contract and set(o.rules) & set(rules)
               for o in outcomes if o.group == skill)


VALUE_CHANGING_RULES = ("no-input-mutation", "returns-float64-array")
"""Rules whose breaking in an upstream changes a downstream's values (a forward writing into the
weights it was given changes the gradients computed from them; a sigmoid in float32 gives its
derivative float32's precision)."""


def _stands(o: CaseOutcome, outcomes: Sequence[CaseOutcome]) -> bool:
    """A consistency pass stands where its upstream is wrong in its own value checks; a contract
    check's also where the upstream broke the same rule (an overflowing forward is charged to the
    forward's stability check, not to every derivative built on it); any check's where the upstream
    broke a rule that changes values (``VALUE_CHANGING_RULES``)."""
    return _upstream_wrong(outcomes, o.consistent_with, o.consistent_on) or (
        o.contract and _upstream_broke_rule(outcomes, o.consistent_with, o.rules)) or (
        _upstream_broke_rule(outcomes, o.consistent_with, VALUE_CHANGING_RULES))


def _settle_consistency(outcomes: Sequence[CaseOutcome]) -> tuple[CaseOutcome, ...]:
    """Consistency passes stand only where their upstream skill is wrong (see the module doc)."""
    return tuple(replace(o, passed=False, kind="assertion", message=f"{o.name}: " + UPSTREAM_IS_RIGHT.format(
                             upstream=o.consistent_on or o.consistent_with))
                 if o.passed and o.consistent_with and not _stands(o, outcomes)
                 else o for o in outcomes)


def _value_earned(case: CaseOutcome, max_score: float) -> float:
    """A passing value check earns its points; a failing one the share of its values that was right."""
    return max_score if case.passed else max_score * case.right_share


def _rule_cost(case: CaseOutcome, model: CreditModel) -> tuple[float, str]:
    """The largest manifest cost among the rules a failing case enforces, and that rule ("" for none)."""
    if case.passed or not case.rules:
        return 0.0, ""
    return max((model.rule_cost(rule), rule) for rule in case.rules)


def _charge_rules(priced: list[CaseOutcome], points: float, mastery: float,
                  model: CreditModel) -> list[CaseOutcome]:
    """Cap the skill at ``mastery * points * (1 - cost)`` for the costliest rule broken, scaling every
    case's earnings alike: breaking a rule costs at least its manifest share however many other
    contract checks the skill has, and still only as far as the values are right."""
    cost, rule = max((_rule_cost(c, model) for c in priced), default=(0.0, ""))
    earned = sum(c.earned for c in priced)
    cap = mastery * points * (1.0 - cost)
    if cost <= 0 or earned <= cap:
        return priced
    scale = cap / earned
    note = f" (breaking rule `{rule}` costs at least {cost:.0%} of this skill's points)"
    return [replace(c, earned=c.earned * scale,
                    message=c.message + note if not c.passed and rule in c.rules else c.message)
            for c in priced]


def _price_skill(cases: list[CaseOutcome], points: float, model: CreditModel) -> list[CaseOutcome]:
    values = [c for c in cases if not c.contract]
    contracts = [c for c in cases if c.contract]
    contract_points = points * model.contract_share if contracts and values else (points if contracts else 0.0)
    priced_values = [replace(c, max_score=m, earned=_value_earned(c, m))
                     for c, m in zip(values, _shares(values, points - contract_points))]
    value_points = sum(c.max_score for c in priced_values)
    mastery = sum(c.earned for c in priced_values) / value_points if value_points > 0 else 1.0
    priced_contracts = [replace(c, max_score=m, earned=m * mastery if c.passed else 0.0)
                        for c, m in zip(contracts, _shares(contracts, contract_points))]
    charged = _charge_rules(priced_values + priced_contracts, points, mastery, model)
    by_identity = {id(c): p for c, p in zip(values + contracts, charged)}
    return [by_identity[id(c)] for c in cases]


def price(outcomes: Sequence[CaseOutcome], model: CreditModel) -> tuple[CaseOutcome, ...]:
    """Every case with its ``max_score`` and ``earned`` set (suite order kept).

    Raises ``CreditError`` for a case whose skill the manifest does not list.
    """
    unknown = sorted({o.group for o in outcomes if model.skill(o.group) is None})
    if unknown:
        raise CreditError(f"tests name skills the manifest does not have: {', '.join(unknown)}")
    outcomes = _settle_consistency(outcomes)
    priced: dict[int, CaseOutcome] = {}
    for skill in model.skills:
        indices = [i for i, o in enumerate(outcomes) if o.group == skill.name]
        cases = _price_skill([outcomes[i] for i in indices], skill.points, model)
        priced.update(zip(indices, cases))
    return tuple(priced[i] for i in range(len(outcomes)))


def point_scheme(assignment: Assignment) -> str:
    """The Markdown table of an assignment's skills and points, as students and the README show it."""
    share = assignment.credit.contract_share
    rows = [f"| `{s.name}` | {s.title.replace('|', chr(92) + '|')} | {s.points:g} |"
            for s in assignment.credit.skills]
    rules = ("breaking one of the stated rules costs at least that share"
             if all(cost >= share for _, cost in assignment.credit.rule_costs)
             else "breaking a stated rule costs at least its share in the manifest's [rules], else that share")
    return "\n".join([
        f"### {assignment.title} (`{assignment.id}`, {plural(assignment.total_points, 'point')})", "",
        "| skill | what it means | points |", "| --- | --- | ---: |", *rows, "",
        f"Within a skill, {share:.0%} of the points go to contract checks (int input, shapes, no "
        f"mutation, stability), earned only as far as the values are right; {rules}. A function judged "
        "against your own earlier functions (a derivative, backward, train) keeps its points when "
        "only the earlier function is wrong: one mistake costs once.", ""])
