"""The lecture's judgements derived from expressions (``reference.concepts``) and its worked numbers
(``reference.worked_numbers``): they agree with ``reference.properties`` and ``reference.network``,
and follow when an expression changes."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from autograder.tolerances import VALUES
from reference.activations import LECTURE_ACTIVATIONS, get_activation
from reference.concepts import activation_facts, derive_facts, slope_at
from reference.network import PARAMETERS, backward
from reference.properties import derive_properties
from reference.symbols import x
from reference.worked_numbers import chain_product, relative_change, two_path_gradient, updated_weight


def sigmoid() -> sp.Expr:
    act = get_activation("sigmoid")
    return act.bind(act.expr)


@pytest.mark.parametrize("name", LECTURE_ACTIVATIONS)
def test_facts_agree_with_the_properties_module(name: str) -> None:
    facts, props = activation_facts(name), derive_properties(name)
    assert facts.output_range == props.output_range
    assert facts.zero_centred == props.zero_centered
    assert facts.saturating == props.saturating
    assert facts.slope_max == props.derivative_max


@pytest.mark.parametrize("name", LECTURE_ACTIVATIONS)
def test_dead_region_is_where_the_derivative_vanishes(name: str) -> None:
    facts, act = activation_facts(name), get_activation(name)
    slope = act.grad(np.array([-3.0, -0.5, 0.5, 3.0]))
    for point, value in zip((-3.0, -0.5, 0.5, 3.0), slope):
        assert (sp.Float(point) in facts.dead_region) == (value == 0.0), (name, point, value)


@pytest.mark.parametrize("name", LECTURE_ACTIVATIONS)
def test_smooth_at_0_means_the_one_sided_slopes_agree_numerically(name: str) -> None:
    act, h = get_activation(name), 1e-7
    left, right = act.grad(np.array([-h]))[0], act.grad(np.array([h]))[0]
    assert activation_facts(name).smooth_at_0 == VALUES.close(np.array([left]), np.array([right]))[0]


def test_a_shifted_sigmoid_is_zero_centred_with_the_range_shifted_down() -> None:
    shift = sp.Rational(1, 2)
    original, shifted = activation_facts("sigmoid"), derive_facts("shifted", sigmoid() - shift)
    assert not original.zero_centred and shifted.zero_centred
    assert shifted.output_range.inf == original.output_range.inf - shift
    assert shifted.output_range.sup == original.output_range.sup - shift
    assert shifted.slope_max == original.slope_max and shifted.saturating == original.saturating


def test_relu_replaced_by_softplus_no_longer_dies_and_is_smooth_but_costs_an_exponential() -> None:
    relu, softplus = activation_facts("relu"), derive_facts("softplus", sp.log(1 + sp.exp(x)))
    assert relu.dies_for_negative_inputs and not softplus.dies_for_negative_inputs
    assert not relu.smooth_at_0 and softplus.smooth_at_0
    assert not relu.evaluates_exp and softplus.evaluates_exp


def test_an_expression_with_a_free_parameter_is_refused() -> None:
    with pytest.raises(ValueError, match="bind"):
        derive_facts("prelu", get_activation("prelu").expr)


def test_sigmoid_slope_at_0_is_the_derived_supremum() -> None:
    props = derive_properties("sigmoid")
    assert slope_at("sigmoid", sp.S.Zero) == props.derivative_max and sp.S.Zero in props.derivative_max_at


def test_the_lectures_product_leaves_w_new_close_to_w_old() -> None:
    factors = [sp.Rational(n, 100) for n in (25, 15, 10, 5, 2)]
    product = chain_product(factors)
    assert product <= derive_properties("sigmoid").derivative_max ** len(factors)
    assert relative_change(sp.Integer(1), sp.Rational(1, 10), product) < sp.Rational(1, 10**6)
    assert updated_weight(1, sp.Rational(1, 10), product) < 1


def test_two_path_gradient_sums_to_backward() -> None:
    values = {p: sp.Rational(k + 3, 10) * (-1) ** k for k, p in enumerate(PARAMETERS)}
    values.update(x=sp.Rational(3, 2), y=sp.Integer(1))
    result = two_path_gradient(values, sp.Rational(1, 2))
    numeric = backward({p: float(values[p]) for p in PARAMETERS}, float(values["x"]), float(values["y"]))
    assert len(result.paths) == 2 and {path[2] for path in result.paths} == {"o2_1", "o2_2"}
    assert VALUES.close(np.array([float(result.gradient)]), np.array([numeric["w1"]]))[0]
    assert VALUES.close(np.array([float(result.updated)]), np.array([float(values["w1"]) - 0.5 * numeric["w1"]]))[0]
