"""Derived mistakes beyond the one-step rewrites of a formula: a branch's kink given to neither side, a
max in place of a branch, a change made to a function's argument instead of its value, a parameter left
out, right values in float32, names (an unknown one not refused, a returned one renamed), folds started
from the wrong value, run over the whole array, an item short or averaged, a kink valued halfway between
its branches, a boolean result, a layer's input two layers down, gradients computed
once, the chain's weights reversed or activated alone, and a backward loop that stops a layer short."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp

from autograder.catalog import Catalog
from autograder.grading.diagnose import Diagnoser, LoggedCall
from autograder.mutants import label_mistake, mutant_of


def logged(function: str, result: Any, *args: Any, **kwargs: Any) -> LoggedCall:
    return LoggedCall(function, args, kwargs, False, False, result)


def named_id(function: str, result: Any, *args: Any, **kwargs: Any) -> str | None:
    found = mutant_of(function, [logged(function, result, *args, **kwargs)])
    return None if found is None else found.id


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


X = np.linspace(-4.0, 4.0, 17)


def test_a_kink_given_to_neither_branch_is_named() -> None:
    x = np.array([-1.0, 0.0, 1.0])
    assert named_id("leaky_relu_derivative", (x > 0) * 1.0 + (x < 0) * 0.2, x, alpha=0.2) == \
        "leaky_relu_derivative~kink"


def test_a_max_in_place_of_a_branch_is_named() -> None:
    found = mutant_of("leaky_relu", [logged("leaky_relu", np.maximum(0.6, X), X, alpha=0.6)])
    assert found is not None and found.id == "leaky_relu~extreme" and "max(alpha, x)" in found.explanation


def test_a_change_made_to_the_argument_in_place_of_the_value_is_named() -> None:
    found = mutant_of("sigmoid_derivative", [logged("sigmoid_derivative", _sigmoid(X) * _sigmoid(1.0 - X), X)])
    assert found is not None and found.id == "sigmoid_derivative~argument"
    assert "sigmoid(1 - x)" in found.explanation and "1 - sigmoid(x)" in found.explanation


def test_a_parameter_left_out_of_a_branch_written_through_the_function_is_named() -> None:
    alpha = 0.3
    elu = np.where(X > 0, X, alpha * np.expm1(np.minimum(X, 0.0)))
    assert named_id("elu_derivative", np.where(X > 0, 1.0, elu + 1.0), X, alpha=alpha) == "elu_derivative~alpha-missing"


def test_a_parameter_left_out_is_a_rewrite() -> None:
    from autograder.mutants.rewrites import rewrites

    w, g, lr = sp.symbols("w g lr")
    assert any(r.tag == "lr-missing" and r.expr == w - g for r in rewrites(w - lr * g, (lr,)))


def test_right_values_in_float32_are_named_by_their_dtype() -> None:
    from tests.grading.test_diagnose import DIAGNOSER

    x = np.array([2.0, -1.0, -3.0])
    found = DIAGNOSER.diagnose([logged("relu_derivative", np.array([1.0, 0.0, 0.0], dtype=np.float32), x)])
    assert found is not None and found.id == "relu_derivative~type" and "float32" in found.explanation


def _choose(task: str, layer: str) -> str:
    outputs = {"binary": "sigmoid", "regression": "linear"}
    if task not in outputs:
        raise ValueError(task)
    if layer == "hidden":
        return "relu"
    if layer == "output":
        return outputs[task]
    raise ValueError(layer)


def test_an_unknown_name_treated_as_a_known_one_is_named() -> None:
    found = label_mistake("choose", [logged("choose", "relu", "binary", "input")], _choose)
    assert found is not None and found.id == "choose~fallback" and "'input'" in found.explanation
    assert label_mistake("choose", [logged("choose", "relu", "binary", "hidden")], _choose) is None


def test_a_returned_name_the_reference_does_not_use_is_named() -> None:
    calls = [logged("choose", "relu", "regression", "hidden"), logged("choose", "identity", "regression", "output")]
    found = label_mistake("choose", calls, _choose)
    assert found is not None and found.id == "choose~label" and "'identity'" in found.explanation
    assert label_mistake("choose", [logged("choose", "sigmoid", "regression", "output")], _choose) is None


def test_names_are_judged_through_the_diagnoser_with_the_solution() -> None:
    solution = "def activate(z, activation='sigmoid'):\n" \
               "    if activation == 'relu':\n        return max(z, 0.0)\n" \
               "    if activation == 'sigmoid':\n        return 0.5\n" \
               "    raise ValueError(activation)\n"
    from autograder.catalog import Misconception

    other = Misconception("other", "other", "", "tests", "def other():\n    return 0\n")
    found = Diagnoser(solution, Catalog((other,))).diagnose([logged("activate", 0.5, 2.0, "swish")])
    assert found is not None and found.id == "activate~fallback" and "'sigmoid'" in found.explanation


def test_a_fold_started_from_the_other_identity_is_named() -> None:
    paths = [[0.5, -3.0], [1.5, 3.0]]
    assert named_id("sum_over_paths", 1.0 + 0.5 * -3.0 + 1.5 * 3.0, paths) == "sum_over_paths~start"
    assert named_id("chain_rule", 0.0, [0.5, -2.0, 3.0]) == "chain_rule~start"


def test_a_fold_over_the_whole_array_is_named() -> None:
    items = [np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25, -3.0])]
    assert named_id("chain_rule", float(np.prod(np.concatenate(items))), items) == "chain_rule~axis"
    assert named_id("chain_rule", items[0] * items[1], items) is None


PARAMS = {"w1": 0.4, "w2": -0.7, "w3": 0.9, "w4": 1.1, "w5": -0.6, "b1": 0.1, "b2": -0.2, "b3": 0.3, "b4": 0.05}


def _backward_with_w2_times_x(params: dict[str, float], x: Any, y: Any) -> dict[str, float]:
    """The lecture network's gradients (sigmoid, MSE) with dL/dw2 taking x where o1 belongs."""
    from reference.network import backward

    z1 = params["w1"] * x + params["b1"]
    o1 = _sigmoid(z1)
    z2 = params["w2"] * o1 + params["b2"]
    o2_1, o2_2 = _sigmoid(z2), _sigmoid(params["w3"] * o1 + params["b3"])
    o3 = _sigmoid(params["w4"] * o2_1 + params["w5"] * o2_2 + params["b4"])
    d3 = 2.0 * (o3 - y) / np.size(x) * o3 * (1.0 - o3)
    d2_1 = d3 * params["w4"] * o2_1 * (1.0 - o2_1)
    grads = dict(backward(params, x, y))
    grads["w2"] = float(np.sum(d2_1 * x))
    return grads


def test_the_input_of_the_layer_below_in_a_weights_gradient_is_named() -> None:
    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 1.0])
    found = mutant_of("backward", [logged("backward", _backward_with_w2_times_x(PARAMS, x, y), PARAMS, x, y)])
    assert found is not None and found.id == "backward~index" and "layer below" in found.explanation


def test_gradients_computed_once_before_the_loop_are_named() -> None:
    from reference.network import PARAMETERS, loss_and_gradients

    x, y = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 1.0])
    _, grads = loss_and_gradients(PARAMS, x, y, "sigmoid")
    current, losses = dict(PARAMS), []
    for _ in range(5):
        losses.append(loss_and_gradients(current, x, y, "sigmoid")[0])
        current = {p: current[p] - 0.5 * grads[p] for p in PARAMETERS}
    assert named_id("train", (current, losses), PARAMS, x, y, 0.5, 5) == "train~stale"


def _chain(weights: list[float], x: float, step: Callable[[float, float], float]) -> list[float]:
    values = [x]
    for w in weights:
        values.append(step(w, values[-1]))
    return values


def test_the_chains_weights_reversed_or_activated_alone_are_named() -> None:
    weights, x = [0.5, -1.5, 2.0], 0.8
    reversed_chain = _chain(weights[::-1], x, lambda w, h: float(_sigmoid(w * h)))
    assert named_id("deep_chain_forward", reversed_chain, x, np.array(weights)) == "deep_chain_forward~order"
    alone = _chain(weights, x, lambda w, h: float(_sigmoid(w)) * h)
    assert named_id("deep_chain_forward", alone, x, np.array(weights)) == "deep_chain_forward~argument"


def test_a_backward_loop_that_stops_before_the_first_layer_is_named() -> None:
    from reference.network import deep_chain_gradients

    weights, x = np.array([0.5, -1.5, 2.0, 0.7]), 0.8
    grads = np.array(deep_chain_gradients(x, list(weights), "sigmoid"), dtype=np.float64)
    grads[0] = 0.0
    found = mutant_of("deep_chain_gradients", [logged("deep_chain_gradients", grads, x, weights)])
    assert found is not None and found.id == "deep_chain_gradients~index" and "first layer" in found.explanation


def test_no_rewrite_erases_the_input() -> None:
    """1 - tanh(x)^2 with the factor tanh(x)^2 dropped is 1 - 1 = 0: no slip anyone makes, and a
    function returning zeros everywhere must not be named after it."""
    from autograder.mutants.rewrites import rewrites

    x = sp.Symbol("x")
    found = rewrites(1 - sp.tanh(x) ** 2)
    assert found and not any(rewrite.expr.is_number for rewrite in found)
    assert any(rewrite.tag == "power" for rewrite in found)


def test_a_kink_value_halfway_between_the_branches_is_named() -> None:
    x = np.array([-1.0, 0.0, 2.0])
    found = mutant_of("relu_derivative", [logged("relu_derivative", np.heaviside(x, 0.5), x)])
    assert found is not None and found.id == "relu_derivative~kink" and "halfway" in found.explanation


def test_a_boolean_result_is_named() -> None:
    z = np.array([-1.0, 0.5, 2.0])
    found = mutant_of("activate_derivative", [logged("activate_derivative", z > 0, z, activation="relu")])
    assert found is not None and found.id == "activate_derivative~bool"


def test_a_fold_that_leaves_out_its_first_item_is_named() -> None:
    items = [np.array([2.0, 3.0]), np.array([0.5, 4.0]), np.array([1.5, -1.0])]
    assert named_id("chain_rule", items[1] * items[2], items) == "chain_rule~skip"
    assert named_id("chain_rule", 1.0, [2.5]) == "chain_rule~skip"  # a one-item list left empty: 1.0


def test_a_sum_fold_that_averages_is_named() -> None:
    paths = [[np.array([2.0, 3.0]), np.array([0.5, 4.0])], [np.array([1.5, -1.0]), np.array([2.0, 2.5])]]
    total = sum(np.prod(np.stack(p), axis=0) for p in paths)
    assert named_id("sum_over_paths", total / 2, paths) == "sum_over_paths~mean"
