"""reference.network: the lecture network and the deep chain, symbolic and numeric.

Symbolic: every parameter's chain-rule paths add up to sympy.diff of the composed
loss. Numeric: the float64 oracles against backpropagation written out by hand
in numpy (tests/reference/independent.py) and against central differences.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from reference import network
from reference.activations import ACTIVATIONS
from reference.graph import graph_symbol
from reference.losses import gradient_descent_step
from reference.network import PARAMETERS
from reference.symbols import x as act_x
from tests.reference import independent as ind

LECTURE = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
KINK_MARGIN = 1e-3  # central differences (h = 1e-6) only where every |pre-activation| exceeds this
RTOL = 1e-12  # same maths, different order of operations
GRAD_RTOL, GRAD_ATOL = 1e-6, 1e-9


def _params(seed: int) -> dict[str, float]:
    values = np.random.default_rng(seed).normal(scale=1.2, size=len(PARAMETERS))
    return {p: float(v) for p, v in zip(PARAMETERS, values)}


def _smooth_case(activation: str, seed: int) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """Parameters and a batch whose pre-activations all stay KINK_MARGIN away from 0,
    and are positive for some sample at every node (no dead ReLU: non-trivial gradients)."""
    f, _ = ind.FORMULAS[activation]
    rng = np.random.default_rng(seed)
    for _ in range(100):
        params = {p: float(v) for p, v in zip(PARAMETERS, rng.normal(scale=1.2, size=9))}
        x, y = rng.normal(size=6), rng.normal(size=6)
        o = ind.network_forward(params, x, f)
        z = [params["w1"] * x + params["b1"], params["w2"] * o["o1"] + params["b2"],
             params["w3"] * o["o1"] + params["b3"],
             params["w4"] * o["o2_1"] + params["w5"] * o["o2_2"] + params["b4"]]
        if np.min(np.abs(z)) > KINK_MARGIN and all(np.any(zk > 0) for zk in z):
            return params, x, y
    raise RuntimeError("no smooth case found")


# ---------------------------------------------------------------- symbolic paths


def test_w1_has_the_two_paths_of_the_notes():
    assert [t.nodes for t in network.paths("w1")] == [("w1", "o1", "o2_1", "o3", "L"),
                                                      ("w1", "o1", "o2_2", "o3", "L")]


def test_w4_has_one_path():
    assert [t.nodes for t in network.paths("w4")] == [("w4", "o3", "L")]


@pytest.mark.parametrize("param", PARAMETERS)
def test_path_counts(param):
    # Only the first layer's parameters feed both o2_1 and o2_2.
    assert len(network.paths(param)) == (2 if param in ("w1", "b1") else 1)


@pytest.mark.parametrize("param", PARAMETERS)
@pytest.mark.parametrize("activation", LECTURE)
def test_sum_over_paths_equals_diff_of_composed_loss(activation, param):
    graph = network.lecture_network(activation)
    assert sp.expand(graph.gradient(param) - graph.direct_gradient(param)) == 0


@pytest.mark.parametrize("param", PARAMETERS)
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_sum_over_paths_equals_diff_with_concrete_activation(activation, param):
    """Same identity with the activation's formula substituted in (smooth ones).

    Both sides are rational functions of the same exp/tanh atoms, so cancel
    decides it (expand does too, 5x slower).
    """
    graph = network.lecture_network(activation, "expr")
    assert sp.cancel(graph.gradient(param) - graph.direct_gradient(param)) == 0


@pytest.mark.parametrize("activation", LECTURE)
def test_opaque_derivative_is_sympy_diff_of_the_activation(activation):
    z = sp.Symbol("z", real=True)
    f = network.activation_function(activation)(z)
    slope = sp.diff(f, z)
    definition = ACTIVATIONS[activation].bind(ACTIVATIONS[activation].expr).xreplace({act_x: z})
    assert sp.simplify(network.concretize(slope) - sp.diff(definition, z)) == 0
    assert network.concretize(f) == definition


def test_path_factors_read_like_the_notes():
    term = network.paths("w1")[0]
    o3, y, w4, w2, x = (graph_symbol(n) for n in ("o3", "y", "w4", "w2", "x"))
    assert sp.expand(term.factors[0] - 2 * (o3 - y)) == 0  # dL/do3
    assert term.factors[1].has(w4) and term.factors[2].has(w2) and term.factors[3].has(x)


def test_path_report():
    report = network.path_report("b1", "relu")
    assert report.matches_diff and len(report.terms) == 2
    assert sp.expand(report.local_sum - sum(t.local_product for t in report.terms)) == 0


def test_unknown_parameter_or_activation():
    with pytest.raises(KeyError, match="w1"):
        network.paths("w9")
    with pytest.raises(KeyError, match="sigmoid"):
        network.forward(_params(0), 0.5, "swish")


# ---------------------------------------------------------------- numeric oracles


@pytest.mark.parametrize("activation", LECTURE)
@pytest.mark.parametrize("batch", [False, True], ids=["scalar", "batch"])
def test_forward_matches_hand_written(activation, batch):
    params = _params(3)
    x = np.linspace(-2.0, 2.0, 7) if batch else np.float64(0.8)
    f, _ = ind.FORMULAS[activation]
    got = network.forward(params, x, activation)
    want = ind.network_forward(params, x, f)
    assert tuple(got) == network.HIDDEN
    for node in network.HIDDEN:
        assert got[node].shape == np.shape(x) and got[node].dtype == np.float64
        np.testing.assert_allclose(got[node], want[node], rtol=RTOL, atol=1e-300)


@pytest.mark.parametrize("activation", LECTURE)
@pytest.mark.parametrize("batch", [False, True], ids=["scalar", "batch"])
def test_backward_matches_hand_written_backprop(activation, batch):
    params, xs, ys = _smooth_case(activation, 17)
    x, y = (xs, ys) if batch else (xs[0], ys[0])
    f, df = ind.FORMULAS[activation]
    got = network.backward(params, x, y, activation)
    want = ind.network_backward(params, np.asarray(x), np.asarray(y), f, df)
    for p in PARAMETERS:
        np.testing.assert_allclose(got[p], want[p], rtol=RTOL, atol=1e-15, err_msg=p)


@pytest.mark.parametrize("activation", tuple(ACTIVATIONS))
def test_backward_matches_central_differences(activation):
    params, x, y = _smooth_case(activation, 29)
    got = network.backward(params, x, y, activation)
    for p in PARAMETERS:
        def loss_at(v: np.float64, p: str = p) -> float:
            return network.loss({**params, p: float(v)}, x, y, activation)
        numeric = ind.central_difference(loss_at, np.float64(params[p]))
        np.testing.assert_allclose(got[p], numeric, rtol=GRAD_RTOL, atol=GRAD_ATOL, err_msg=p)


def test_loss_is_the_batch_mean():
    params, x, y = _smooth_case("tanh", 5)
    o3 = ind.network_forward(params, x, np.tanh)["o3"]
    np.testing.assert_allclose(network.loss(params, x, y, "tanh"), np.mean((y - o3) ** 2), rtol=RTOL)


def test_batch_gradient_is_mean_of_single_sample_gradients():
    params, x, y = _smooth_case("sigmoid", 8)
    batch = network.backward(params, x, y)
    singles = [network.backward(params, xi, yi) for xi, yi in zip(x, y)]
    for p in PARAMETERS:
        np.testing.assert_allclose(batch[p], np.mean([g[p] for g in singles]), rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("activation", tuple(ACTIVATIONS))
def test_oracles_are_stable_at_extremes(activation):
    params = {p: (1000.0 if i % 2 else -1000.0) for i, p in enumerate(PARAMETERS)}
    x = np.array([-1000.0, -30.0, -1e-9, 0.0, 1e-9, 30.0, 1000.0])
    with np.errstate(all="raise"):
        outputs = list(network.forward(params, x, activation).values())
        outputs += list(network.backward(params, x, np.zeros_like(x), activation).values())
    assert all(np.all(np.isfinite(v)) for v in outputs)


def test_parameters_are_validated():
    params = _params(1)
    with pytest.raises(ValueError, match="missing"):
        network.forward({k: v for k, v in params.items() if k != "b4"}, 0.5)
    with pytest.raises(ValueError, match="unexpected"):
        network.backward({**params, "w6": 1.0}, 0.5, 0.1)


# ---------------------------------------------------------------- training


def test_train_is_gradient_descent_on_backward():
    params, x, y = _smooth_case("tanh", 2)
    sent = dict(params)
    final, history = network.train(params, x, y, lr=0.3, steps=4, activation="tanh")
    assert params == sent  # not mutated
    current, want = dict(params), []
    for _ in range(4):
        want.append(network.loss(current, x, y, "tanh"))
        grads = network.backward(current, x, y, "tanh")
        current = {p: float(gradient_descent_step(current[p], grads[p], 0.3)) for p in PARAMETERS}
    want.append(network.loss(current, x, y, "tanh"))
    np.testing.assert_allclose(history, want, rtol=1e-14)
    np.testing.assert_allclose([final[p] for p in PARAMETERS], [current[p] for p in PARAMETERS],
                               rtol=1e-14)


@pytest.mark.parametrize("activation", LECTURE)
def test_train_lowers_the_loss(activation):
    params, x, y = _smooth_case(activation, 4)
    _, history = network.train(params, x, y, lr=0.05, steps=30, activation=activation)
    assert len(history) == 31
    assert history[-1] < history[0]


def test_dead_relu_does_not_learn():
    """The notes: once every input of a ReLU is negative, its gradient is 0 and training stalls."""
    params, x, y = _smooth_case("relu", 4)
    params = {**params, "w1": 0.1, "b1": -5.0}  # o1 = relu(0.1 x - 5) = 0 for |x| < 50
    grads = network.backward(params, x, y, "relu")
    assert all(grads[p] == pytest.approx(0.0, abs=0.0) for p in ("w1", "b1", "w2", "w3"))
    final, _ = network.train(params, x, y, lr=0.1, steps=5, activation="relu")
    assert final["w1"] == pytest.approx(params["w1"], rel=0.0, abs=0.0)


# ---------------------------------------------------------------- the deep chain


def _chain(seed: int, depth: int) -> tuple[float, np.ndarray]:
    rng = np.random.default_rng(seed)
    return float(rng.uniform(0.5, 1.5)), rng.uniform(0.5, 2.0, size=depth) * rng.choice([-1, 1], depth)


@pytest.mark.parametrize("depth", [1, 5, 12], ids=lambda v: f"n={v}")
@pytest.mark.parametrize("activation", LECTURE)
def test_deep_chain_forward_and_gradients_match_hand_written(activation, depth):
    x, weights = _chain(depth, depth)
    f, df = ind.FORMULAS[activation]
    hs = network.deep_chain_forward(x, weights, activation)
    assert len(hs) == depth + 1
    np.testing.assert_allclose(np.array(hs, dtype=np.float64), ind.chain_forward(x, weights, f),
                               rtol=RTOL, atol=1e-300)
    grads = network.deep_chain_gradients(x, weights, activation)
    assert grads.shape == (depth,)
    # Purely relative: the smallness of these numbers is what the assignment is about.
    np.testing.assert_allclose(grads, ind.chain_gradients(x, weights, f, df), rtol=1e-11, atol=0)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "elu"])
def test_deep_chain_gradients_match_central_differences(activation):
    x, weights = _chain(3, 4)
    grads = network.deep_chain_gradients(x, weights, activation)
    for k in range(4):
        def top(v: np.float64, k: int = k) -> float:
            changed = weights.copy()
            changed[k] = v
            return float(network.deep_chain_forward(x, changed, activation)[-1])
        numeric = ind.central_difference(top, np.float64(weights[k]))
        np.testing.assert_allclose(grads[k], numeric, rtol=GRAD_RTOL, atol=GRAD_ATOL)


def test_deep_chain_batches_over_x():
    _, weights = _chain(5, 3)
    xs = np.array([-1.0, 0.5, 2.0])
    grads = network.deep_chain_gradients(xs, weights, "tanh")
    assert grads.shape == (3, 3)
    for i, xi in enumerate(xs):
        np.testing.assert_allclose(grads[:, i], network.deep_chain_gradients(xi, weights, "tanh"),
                                   rtol=1e-15)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_deep_chain_symbolic_path_is_sympy_diff(k):
    graph = network.deep_chain(4)
    (term,) = graph.path_terms(f"w{k}")
    assert term.nodes == (f"w{k}", *(f"h{j}" for j in range(k, 5)))
    assert sp.expand(graph.gradient(f"w{k}") - graph.direct_gradient(f"w{k}")) == 0


@pytest.mark.parametrize("depth", [2, 6, 15], ids=lambda v: f"n={v}")
def test_vanishing_bound(depth):
    x, weights = _chain(depth + 100, depth)
    bound = network.vanishing_bound(x, weights)
    by_hand = abs(x) * 0.25 ** depth * np.prod(np.abs(weights[1:]))  # the lecture's 1/4 per layer
    np.testing.assert_allclose(bound, by_hand, rtol=1e-14)
    assert abs(network.deep_chain_gradients(x, weights, "sigmoid")[0]) <= bound


def test_vanishing_bound_of_tanh_has_factor_one():
    x, weights = _chain(9, 5)
    np.testing.assert_allclose(network.vanishing_bound(x, weights, "tanh"),
                               abs(x) * np.prod(np.abs(weights[1:])), rtol=1e-14)


@pytest.mark.parametrize("activation", LECTURE)
def test_deep_chain_is_stable_with_huge_weights(activation):
    weights = np.array([1000.0, -1000.0, 1000.0, -1000.0])
    with np.errstate(all="raise"):
        hs = network.deep_chain_forward(-1000.0, weights, activation)
        grads = network.deep_chain_gradients(1000.0, weights, activation)
    assert all(np.isfinite(h) for h in hs) and np.all(np.isfinite(grads))


def test_deep_chain_needs_a_layer():
    with pytest.raises(ValueError, match="at least one layer"):
        network.deep_chain(0)
