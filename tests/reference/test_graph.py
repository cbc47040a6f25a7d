"""reference.graph on a small diamond graph: paths, products, sums and numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from reference.graph import Graph, canonical_form, graph_symbol, local_diff
from tests.reference.independent import central_difference

s = graph_symbol
# h = w x;  p = sin(h);  q = exp(v h);  L = p q   (w reaches L through p and through q)
DIAMOND = Graph(
    nodes=(("h", s("w") * s("x")), ("p", sp.sin(s("h"))), ("q", sp.exp(s("v") * s("h"))),
           ("L", s("p") * s("q"))),
    inputs=("x",), parameters=("w", "v"), output="L")
POINT = {"x": np.array([0.3, -1.2, 2.0]), "w": 0.7, "v": -0.4}


def _loss_by_hand(x, w, v):
    return np.sin(w * x) * np.exp(v * w * x)


def test_paths_are_enumerated():
    assert DIAMOND.paths("w") == (("w", "h", "p", "L"), ("w", "h", "q", "L"))
    assert DIAMOND.paths("v") == (("v", "q", "L"),)
    assert DIAMOND.paths("L") == (("L",),)


def test_factors_in_lecture_order():
    term = DIAMOND.path_term(("w", "h", "p", "L"))
    assert term.factors == (s("q"), sp.cos(s("h")), s("x"))  # dL/dp, dp/dh, dh/dw
    assert term.local_product == s("q") * sp.cos(s("h")) * s("x")
    composed = sp.exp(s("v") * s("w") * s("x")) * sp.cos(s("w") * s("x")) * s("x")
    assert sp.simplify(term.product - composed) == 0


@pytest.mark.parametrize("name", ["w", "v", "x"])
def test_sum_over_paths_equals_diff_of_composed_output(name):
    assert sp.expand(DIAMOND.gradient(name) - DIAMOND.direct_gradient(name)) == 0


def test_composed_output():
    w, x, v = s("w"), s("x"), s("v")
    assert DIAMOND.composed["L"] == sp.sin(w * x) * sp.exp(v * w * x)


def test_numeric_forward_and_gradients():
    values = DIAMOND.evaluate(POINT)
    np.testing.assert_allclose(values["L"], _loss_by_hand(POINT["x"], POINT["w"], POINT["v"]),
                               rtol=1e-14)
    grads = DIAMOND.numeric_gradients(POINT)
    by_w = central_difference(lambda t: _loss_by_hand(POINT["x"], t, POINT["v"]), np.float64(0.7))
    by_v = central_difference(lambda t: _loss_by_hand(POINT["x"], POINT["w"], t), np.float64(-0.4))
    np.testing.assert_allclose(grads["w"], by_w, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grads["v"], by_v, rtol=1e-6, atol=1e-9)


def test_numeric_gradient_equals_sum_of_numeric_path_products():
    grads = DIAMOND.numeric_gradients(POINT)
    point = {s(k): v for k, v in POINT.items() if k != "x"}
    for i, xv in enumerate(POINT["x"]):
        at = {**point, s("x"): xv}
        total = sum(float(t.product.evalf(30, subs=at)) for t in DIAMOND.path_terms("w"))
        np.testing.assert_allclose(grads["w"][i], total, rtol=1e-13)


def test_evaluate_can_stop_early():
    values = DIAMOND.evaluate({"x": 1.0, "w": 2.0, "v": 0.0}, stop_at="p")
    assert "p" in values and "q" not in values and "L" not in values


def test_missing_value_is_a_key_error():
    with pytest.raises(KeyError):
        DIAMOND.evaluate({"x": 1.0, "w": 2.0})


def test_unknown_name():
    with pytest.raises(KeyError, match="known"):
        DIAMOND.path_terms("u")


def test_undefined_symbol_and_bad_output_are_rejected():
    with pytest.raises(ValueError, match="undefined"):
        Graph((("a", s("b") * 2),), ("x",), (), "a")
    with pytest.raises(ValueError, match="not a node"):
        Graph((("a", s("x") * 2),), ("x",), (), "z")


def test_identical_layers_share_one_template():
    first, args1 = canonical_form(sp.tanh(s("w1") * s("h0")))
    second, args2 = canonical_form(sp.tanh(s("w7") * s("h6")))
    assert first == second and args1 != args2
    assert local_diff(sp.tanh(s("w7") * s("h6")), s("h6")) == sp.diff(sp.tanh(s("w7") * s("h6")), s("h6"))
    assert local_diff(s("a") * 3, s("b")) == 0


def test_path_term_json():
    data = DIAMOND.path_term(("v", "q", "L")).to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["nodes"] == ["v", "q", "L"] and len(data["factors"]) == 2
