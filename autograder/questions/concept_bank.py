"""Concept questions whose keys ``reference.concepts`` derives, one variant per student.

Each builder takes the student's ``Variant`` and the points, and returns a
``Question``: which activations appear in a choice list, in which order, and
which activation a question is about are drawn; the key and its reason come
from the derived ``ActivationFacts`` of each activation, never from a table.
``FACTS`` is where a question reads an activation's facts, so a test can put a
changed expression (a shifted sigmoid) in its place and see the keys follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from autograder.questions.model import Builder, Question
from autograder.questions.variant import Variant, VariantError
from reference.activations import LECTURE_ACTIVATIONS
from reference.concepts import ActivationFacts, activation_facts, slope_at
from reference.guidance import OUTPUT_ACTIVATIONS

FactsSource = Callable[[str], ActivationFacts]
FACTS: list[FactsSource] = [activation_facts]
"""The source of every activation's facts (one element, replaceable in tests)."""

CHOICES = 4
"""Activations in a choice list, drawn from the lecture's."""
MAX_REDRAWS = 64
"""Draws tried for a choice list with at least one right and one wrong option."""


def facts(name: str) -> ActivationFacts:
    return FACTS[0](name)


def interval_text(s: sp.Set) -> str:
    """A range as a student writes it: ``(0, 1)``, ``[0, inf)``."""
    def end(v: sp.Expr) -> str:
        return "inf" if v == sp.oo else "-inf" if v == -sp.oo else str(v)

    low, high = s.inf, s.sup
    left = "[" if low.is_finite and low in s else "("
    right = "]" if high.is_finite and high in s else ")"
    return f"{left}{end(low)}, {end(high)}{right}"


@dataclass(frozen=True)
class Property:
    """A yes/no property of an activation: its question and how a fact explains it."""

    prompt: str
    statement: str
    holds: Callable[[ActivationFacts], bool]
    explain: Callable[[ActivationFacts], str]


def _zero_centred(f: ActivationFacts) -> str:
    return f"f(0) = {f.value_at_0}, range {interval_text(f.output_range)}"


def _dead(f: ActivationFacts) -> str:
    return f"f' = 0 on {f.dead_region}" if f.dead_region != sp.S.EmptySet else "f' is never 0"


def _saturating(f: ActivationFacts) -> str:
    return ", ".join(f"f' -> {limit} as x -> {end}" for end, limit in f.slope_limits)


def _smooth(f: ActivationFacts) -> str:
    return f"slope {f.slopes_at_0[0]} left of 0, {f.slopes_at_0[1]} right of 0"


def _exp(f: ActivationFacts) -> str:
    return f"f = {f.expr.rewrite(sp.exp)}"


PROPERTIES: dict[str, Property] = {
    "zero_centred": Property("Which of these activations are zero-centred (f(0) = 0, outputs of both signs)?",
                             "is zero-centred",
                             lambda f: f.zero_centred, _zero_centred),
    "dead_for_negative": Property("Which of these can stop learning for negative inputs "
                                  "(f' = 0 on a whole interval of x < 0)?", "can stop learning for negative inputs",
                                  lambda f: f.dies_for_negative_inputs, _dead),
    "saturating": Property("Which of these saturate on both sides (f' -> 0 as x -> -inf and as x -> +inf)?",
                           "saturates on both sides",
                           lambda f: f.saturates_both_sides, _saturating),
    "exponential": Property("Which of these evaluate an exponential?", "evaluates an exponential",
                            lambda f: f.evaluates_exp, _exp),
    "smooth_at_0": Property("Which of these are differentiable at 0 (the slopes left and right of 0 agree)?",
                            "is differentiable at 0",
                            lambda f: f.smooth_at_0, _smooth),
}


def choice_list(variant: Variant, qid: str, holds: Callable[[str], bool]) -> tuple[str, ...]:
    """``CHOICES`` lecture activations in the variant's order, at least one that ``holds`` and one not."""
    for attempt in range(MAX_REDRAWS):
        chosen = variant.shuffled(f"{qid}:options:{attempt}", LECTURE_ACTIVATIONS)[:CHOICES]
        verdicts = {holds(name) for name in chosen}
        if verdicts == {True, False}:
            return chosen
    raise VariantError(f"{qid}: no choice list with a right and a wrong option in {MAX_REDRAWS} draws")


def many_question(qid: str, variant: Variant, points: float) -> Question:
    """A "which of these" question on one of ``PROPERTIES``."""
    prop = PROPERTIES[qid]
    options = choice_list(variant, qid, lambda name: prop.holds(facts(name)))
    key = tuple(name for name in options if prop.holds(facts(name)))
    reasons = tuple((name, f"{name}: {prop.explain(facts(name))}") for name in options)
    return Question(qid, "many", prop.prompt, key, "; ".join(r for _, r in reasons), points,
                    options=options, option_reasons=reasons)


def slope_max_question(variant: Variant, points: float) -> Question:
    name = variant.pick("slope_max:activation", ("sigmoid", "tanh"))
    f = facts(name)
    return Question("slope_max", "number", f"What is the largest value of {name}'(x) over all x?",
                    float(f.slope_max), f"{name}'(x) is at most {f.slope_max}, reached at x in {f.slope_max_at}",
                    points)


def sigmoid_slope_at_0_question(variant: Variant, points: float) -> Question:
    value = slope_at("sigmoid", sp.S.Zero)
    return Question("sigmoid_slope_at_0", "number", "What is sigmoid'(0)?", float(value),
                    f"sigmoid'(x) = sigmoid(x) (1 - sigmoid(x)) and sigmoid(0) = 1/2, so sigmoid'(0) = {value}",
                    points)


def range_question(variant: Variant, points: float) -> Question:
    name = variant.pick("output_range:activation", LECTURE_ACTIVATIONS)
    texts = {n: interval_text(facts(n).output_range) for n in LECTURE_ACTIVATIONS}
    options = variant.shuffled("output_range:options", sorted(set(texts.values())))
    return Question("output_range", "one", f"What is the range of {name}(x) over all real x?", texts[name],
                    f"{name}'s outputs fill {texts[name]}", points, options=options)


OUTPUT_CHOICES = ("sigmoid", "softmax", "linear", "relu", "tanh")
TASK_PROMPTS = {"binary": "a binary classification problem", "multiclass": "a {n}-class classification problem",
                "regression": "a regression problem (a real-valued target)"}


def output_layer_question(variant: Variant, points: float) -> Question:
    from reference.worked_numbers import output_layer_reason

    task = variant.pick("output_layer:task", tuple(OUTPUT_ACTIVATIONS))
    what = TASK_PROMPTS[task].format(n=3 + int(variant.draw("output_layer:classes") * 8))
    options = variant.shuffled("output_layer:options", OUTPUT_CHOICES)
    return Question("output_layer", "one", f"Which activation goes in the output layer for {what}?",
                    OUTPUT_ACTIVATIONS[task], output_layer_reason(task), points, options=options)


def claim_question(variant: Variant, points: float) -> Question:
    """True or false: one drawn activation has one drawn property."""
    qid = variant.pick("claim:property", tuple(PROPERTIES))
    name = variant.pick("claim:activation", LECTURE_ACTIVATIONS)
    prop, f = PROPERTIES[qid], facts(name)
    return Question("claim", "bool", f"True or false: {name} {prop.statement}.", prop.holds(f),
                    f"{name}: {prop.explain(f)}", points)


def _many(qid: str) -> Builder:
    return lambda variant, points: many_question(qid, variant, points)


CONCEPT_BUILDERS: dict[str, Builder] = {
    **{qid: _many(qid) for qid in PROPERTIES},
    "slope_max": slope_max_question,
    "sigmoid_slope_at_0": sigmoid_slope_at_0_question,
    "output_range": range_question,
    "output_layer": output_layer_question,
    "claim": claim_question,
}
