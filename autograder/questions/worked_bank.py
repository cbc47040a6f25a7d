"""Worked-number questions: the student's own numbers, the keys from ``reference.worked_numbers``.

* ``chain_product``: the lecture's vanishing product (0.25 x 0.15 x ...), with a
  drawn depth and drawn factors, sigmoid'(0) = 1/4 first;
* ``chain_step`` and ``chain_no_change``: the weight after one step with that
  gradient, and whether it moved by less than ``NO_CHANGE`` of itself (w_new ~ w_old).
  w_new is judged to ``HAND`` of the step eta dL/dw (``Question.tolerance_base``),
  not of w_new: relative to w_new, a step of 1e-4 would vanish in the tolerance and
  w_old itself, or another student's w_new from the same w_old, would pass;
* ``deep_first_layer`` and ``deep_bound``: a deep sigmoid chain h_k = s(w_k h_(k-1)) of
  drawn depth, weights and input: d h_n / d w_1 by the chain rule, and the bound
  |x| (1/4)^n prod_(k>=2) |w_k| it must stay under;
* ``path_1``, ``path_2``, ``path_sum``, ``w1_updated``: the lecture network's
  two chain-rule paths of dL/dw1 at drawn weights, input and target, their sum
  and one update. ``path_sum`` is also right as the sum of the student's own
  paths, ``w1_updated`` and ``chain_step`` as the step with the student's own
  gradient, so one mistake costs once.

Draws whose two paths nearly cancel (``MIN_SUM_SHARE``) are redrawn, so every
key is well conditioned and a variant's numbers differ from another's by far
more than ``HAND``'s tolerance.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from autograder.questions.model import Builder, OwnWork, Question
from autograder.questions.variant import Variant, VariantError
from reference.network import PARAMETERS
from reference.worked_numbers import (
    ChainFirstLayer,
    TwoPathGradient,
    chain_first_layer,
    chain_product,
    relative_change,
    two_path_gradient,
    updated_weight,
)

NO_CHANGE = Fraction(1, 1000)
"""A step below this share of |w_old| leaves w_new ~ w_old (the lecture's "no change")."""
MIN_SUM_SHARE = Fraction(1, 5)
"""|path_1 + path_2| must be at least this share of the larger |path|: no near-cancelling sum."""
MAX_REDRAWS = 64
STEP_DIGITS = ("Keep every digit of the step: the answer is judged by how close its change from the old weight "
               "is to the step eta dL/dw, within 0.5 % of that step.")
LEARNING_RATES = (Fraction(1, 10), Fraction(1, 2), Fraction(1), Fraction(2))
F = Fraction


@dataclass(frozen=True)
class ChainNumbers:
    factors: tuple[Fraction, ...]
    w_old: Fraction
    lr: Fraction


@dataclass(frozen=True)
class NetworkNumbers:
    values: tuple[tuple[str, Fraction], ...]
    lr: Fraction
    result: TwoPathGradient


def chain_numbers(variant: Variant) -> ChainNumbers:
    depth = 4 + int(variant.draw("chain:depth") * 3)
    factors = (F(1, 4), *(variant.grid(f"chain:factor{k}", F(1, 100), F(24, 100), F(1, 100))
                          for k in range(1, depth)))
    return ChainNumbers(factors, variant.nonzero_grid("chain:w", (F(3, 10), F(2)), F(1, 100)),
                        variant.pick("chain:lr", LEARNING_RATES))


def _network_draw(variant: Variant, attempt: int) -> dict[str, Fraction]:
    label = f"network:{attempt}"
    values = {p: variant.nonzero_grid(f"{label}:{p}", (F(3, 10), F(3, 2)), F(1, 100))
              for p in PARAMETERS if p.startswith("w")}
    values.update({p: variant.grid(f"{label}:{p}", F(-1, 2), F(1, 2), F(1, 10))
                   for p in PARAMETERS if p.startswith("b")})
    values["x"] = variant.grid(f"{label}:x", F(1, 2), F(2), F(1, 10))
    values["y"] = F(int(variant.draw(f"{label}:y") < 0.5))
    return values


def well_conditioned(result: TwoPathGradient) -> bool:
    """The sum of the paths keeps at least ``MIN_SUM_SHARE`` of the larger path."""
    largest = max(abs(p) for p in result.products)
    return bool(largest > 0 and abs(result.gradient) >= sp.Rational(MIN_SUM_SHARE) * largest)


@functools.lru_cache(maxsize=256)
def network_numbers(variant: Variant) -> NetworkNumbers:
    """The variant's network, input, target and learning rate (redrawn while ill conditioned)."""
    lr = variant.pick("network:lr", LEARNING_RATES)
    for attempt in range(MAX_REDRAWS):
        values = _network_draw(variant, attempt)
        result = two_path_gradient(values, lr)
        if well_conditioned(result):
            return NetworkNumbers(tuple(values.items()), lr, result)
    raise VariantError(f"no well-conditioned network for {variant.student_id} in {MAX_REDRAWS} draws")


@dataclass(frozen=True)
class DeepChainNumbers:
    x: Fraction
    weights: tuple[Fraction, ...]
    result: ChainFirstLayer


@functools.lru_cache(maxsize=256)
def deep_chain_numbers(variant: Variant) -> DeepChainNumbers:
    """The variant's deep sigmoid chain: 3 to 5 layers, weights of magnitude 0.5 to 2, input 0.5 to 2."""
    depth = 3 + int(variant.draw("deep:depth") * 3)
    weights = tuple(variant.nonzero_grid(f"deep:w{k}", (F(1, 2), F(2)), F(1, 10)) for k in range(1, depth + 1))
    x_value = variant.grid("deep:x", F(1, 2), F(2), F(1, 10))
    result = chain_first_layer(sp.Rational(x_value), [sp.Rational(w) for w in weights])
    return DeepChainNumbers(x_value, weights, result)


def _fmt(v: Fraction) -> str:
    return f"{float(v):g}"


def chain_product_question(variant: Variant, points: float) -> Question:
    c = chain_numbers(variant)
    product = chain_product([sp.Rational(f) for f in c.factors])
    shown = " x ".join(_fmt(f) for f in c.factors)
    return Question("chain_product", "number",
                    f"Down a deep sigmoid network the local derivatives of one path are {shown}. "
                    "What is dL/dw, their product?", float(product),
                    f"the chain rule multiplies them: {shown} = {float(product):.6g}", points)


def chain_step_question(variant: Variant, points: float) -> Question:
    c = chain_numbers(variant)
    gradient = chain_product([sp.Rational(f) for f in c.factors])
    new = updated_weight(sp.Rational(c.w_old), sp.Rational(c.lr), gradient)
    own = OwnWork(("chain_product",), lambda a: float(c.w_old) - float(c.lr) * a["chain_product"],
                  f"w_old - {_fmt(c.lr)} x your chain_product")
    return Question("chain_step", "number",
                    f"With w_old = {_fmt(c.w_old)} and learning rate {_fmt(c.lr)}, what is w_new after one "
                    f"step with that gradient? {STEP_DIGITS}", float(new),
                    f"w_new = w_old - eta dL/dw = {_fmt(c.w_old)} - {_fmt(c.lr)} x {float(gradient):.6g}",
                    points, own_work=own, tolerance_base=float(c.w_old))


def chain_no_change_question(variant: Variant, points: float) -> Question:
    c = chain_numbers(variant)
    gradient = chain_product([sp.Rational(f) for f in c.factors])
    change = relative_change(sp.Rational(c.w_old), sp.Rational(c.lr), gradient)
    return Question("chain_no_change", "bool",
                    f"True or false: that step moves w by less than {float(NO_CHANGE):g} of |w_old| "
                    "(w_new ~ w_old).", bool(change < sp.Rational(NO_CHANGE)),
                    f"|w_new - w_old| / |w_old| = {float(change):.3g}", points)


def network_text(n: NetworkNumbers) -> str:
    values = dict(n.values)
    shown = ", ".join(f"{k} = {_fmt(values[k])}" for k in (*PARAMETERS, "x", "y"))
    return ("In the lecture network o1 = s(w1 x + b1), o2_1 = s(w2 o1 + b2), o2_2 = s(w3 o1 + b3), "
            f"o3 = s(w4 o2_1 + w5 o2_2 + b4), L = (y - o3)^2, s the sigmoid, with {shown}")


def _path_question(index: int, variant: Variant, points: float) -> Question:
    n = network_numbers(variant)
    via = n.result.paths[index][2]
    return Question(f"path_{index + 1}", "number",
                    f"{network_text(n)}: what is the chain-rule product of the path through {via}, "
                    f"dL/do3 x do3/d{via} x d{via}/do1 x do1/dw1?", float(n.result.products[index]),
                    f"the path {' -> '.join(n.result.paths[index])} at the forward values", points)


def path_sum_question(variant: Variant, points: float) -> Question:
    n = network_numbers(variant)
    own = OwnWork(("path_1", "path_2"), lambda a: a["path_1"] + a["path_2"], "your path_1 + path_2")
    return Question("path_sum", "number", "What is dL/dw1, summed over both paths?", float(n.result.gradient),
                    "w1 reaches L through o2_1 and through o2_2: dL/dw1 is the sum of the two products",
                    points, own_work=own)


def w1_updated_question(variant: Variant, points: float) -> Question:
    n = network_numbers(variant)
    w1, lr = dict(n.values)["w1"], n.lr
    own = OwnWork(("path_sum",), lambda a: float(w1) - float(lr) * a["path_sum"], f"w1 - {_fmt(lr)} x your path_sum")
    return Question("w1_updated", "number", f"What is w1 after one gradient step with learning rate {_fmt(lr)}? "
                    f"{STEP_DIGITS}", float(n.result.updated), f"w1_new = w1 - eta dL/dw1 = {_fmt(w1)} - {_fmt(lr)} x "
                    f"{float(n.result.gradient):.6g}", points, own_work=own,
                    tolerance_base=float(w1))


def _deep_text(d: DeepChainNumbers) -> str:
    weights = ", ".join(f"w{k} = {_fmt(w)}" for k, w in enumerate(d.weights, start=1))
    return (f"A chain of {len(d.weights)} sigmoid layers, h_k = s(w_k h_(k-1)), takes h_0 = x = {_fmt(d.x)}, "
            f"with {weights}")


def deep_first_layer_question(variant: Variant, points: float) -> Question:
    d = deep_chain_numbers(variant)
    return Question("deep_first_layer", "number",
                    f"{_deep_text(d)}. What is d h_{len(d.weights)} / d w1, by the chain rule at the forward values?",
                    float(d.result.gradient),
                    f"d h_n / d w1 = x s'(z_1) prod_(k>=2) w_k s'(z_k) with z_k = w_k h_(k-1), "
                    f"= {float(d.result.gradient):.6g}", points)


def deep_bound_question(variant: Variant, points: float) -> Question:
    d = deep_chain_numbers(variant)
    n = len(d.weights)
    rest = " x ".join(f"|{_fmt(w)}|" for w in d.weights[1:])
    return Question("deep_bound", "number",
                    f"For the same chain, what is the bound |x| (1/4)^{n} prod_(k>=2) |w_k| that |d h_{n} / d w1| "
                    "cannot exceed?", float(d.result.bound),
                    f"every s'(z) <= 1/4 (its maximum, at z = 0), so |d h_n / d w1| <= |{_fmt(d.x)}| x (1/4)^{n} x "
                    f"{rest} = {float(d.result.bound):.6g}", points)


def _path(index: int) -> Builder:
    return lambda variant, points: _path_question(index, variant, points)


WORKED_BUILDERS: Mapping[str, Builder] = {
    "chain_product": chain_product_question,
    "chain_step": chain_step_question,
    "chain_no_change": chain_no_change_question,
    "deep_first_layer": deep_first_layer_question,
    "deep_bound": deep_bound_question,
    "path_1": _path(0),
    "path_2": _path(1),
    "path_sum": path_sum_question,
    "w1_updated": w1_updated_question,
}
