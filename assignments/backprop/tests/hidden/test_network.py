"""Hidden suite, part 2: the lecture network's two paths, forward pass, backward pass and training.

Inputs: one parameter set per activation, drawn from a fixed seed and kept only
if every pre-activation of every sample is at least KINK_MARGIN away from 0
(so relu-family derivatives are unambiguous and central differences never
straddle a kink), for relu / leaky_relu / elu every node sees both signs over
the batch (both branches are exercised), at least one sample activates every
node (that sample is the scalar-x case) and the reference's own gradient
descent lowers the loss.

Each case carries its manifest skill (``@pytest.mark.skill``); the credit model
(``autograder/grading/credit.py``) prices it.

VALUE checks:

* ``two_path_dL_dw1[<act>]`` (skill ``two_paths``): sum_over_paths of the
  lecture's two paths of dL/dw1 (local derivatives from the reference) is the
  reference's dL/dw1; or the sum of the student's OWN chain_rule over those
  paths while that is wrong and not degenerate (credited to ``chain_rule``).
* ``forward[<act>-scalar|batch]`` (skill ``forward``): all four nodes in one
  case, against the reference; or, one mistake costing once, equal to the
  network composed of the student's OWN ``activate`` while that is wrong here
  and not degenerate (credited to ``activations``).
* ``backward[<act>]`` (a batch of 8) and ``backward_scalar_x[<act>]`` (skill
  ``backward``): all nine gradients in ONE case, which keeps the share of them
  that is right (``autograder/suite/share.py``): a missing path (dL/dw1 and
  dL/db1 wrong) costs 2/9 of the skill, less than a mistake that makes every
  gradient wrong. They pass against the reference; or by consistency (credited only if the
  named upstream skill is wrong in its own checks):
  - with central differences of the student's own ``forward`` + ``mse_loss``,
    while one of them is wrong here (upstream ``forward``, else ``mse``) and
    their loss is finite, varies with the parameters and has a nonzero
    gradient;
  - with the backward pass composed of the student's own ``activate``,
    ``activate_derivative``, ``mse_loss_derivative`` and ``sum_over_paths``
    (the notebook's recipe), while one of them is wrong here (upstream
    ``activations``, ``mse`` or ``two_paths``, the first that is wrong) and
    none of the wrong ones is degenerate (not finite, constant, its input
    itself, not a function of its input alone; for the activations also a
    straight line).
* ``train_losses[<act>]``, ``train_params[<act>]`` (25 steps, lr 0.5) and
  ``train_defaults`` (100 steps through the defaults) (skill ``train``):
  against the reference; or equal to the student's own pieces run in the
  test (at each step: losses.append(mse_loss(y, forward(p)["o3"])),
  g = backward(p), p = {k: gradient_descent_step(p[k], g[k], lr)}), credited
  to the first of ``forward``, ``mse``, ``backward``, ``update`` found wrong
  against the reference along the way (a run that diverges may end in NaN in
  both), and never when the own loss is not finite at the start or never
  changes along the run, the own gradient is all zero, or the own update does
  not respond to the gradient. A flipped update sign (the loss goes UP) is
  thus charged to ``update`` alone; "the loss goes down" is part of the
  reference's losses, not a check of its own. ``train_defaults`` blames the
  signature only when train(params, x, y) differs from the same call with
  lr=0.5, steps=100, activation='sigmoid' spelled out.

One mistake costs once, for crashes too: every case of ``two_path_dL_dw1``,
``forward``, ``backward`` and ``train`` that fails is judged once more with the
student's upstream functions substituted by the reference's values
(``judged_again_with``, ``autograder/suite/substitution.py``): passing then, it
is credited to the first upstream skill whose own function raises or is wrong
where the case used it (an ``activate`` that raises on "elu", an ``mse_loss``
that raises on arrays), and earns only while that skill fails its own checks.

CONTRACT checks (``@pytest.mark.contract``, 20 % of their skill, earning only
as far as the skill's value checks pass): int input (float64 results equal to
the student's own results for the same numbers as floats), stability under
np.errstate(raise) with pre-activations up to ~1000, read-only inputs (arrays
and the params dict arrive read-only, so an in-place write raises in the
sandbox), the result types (Python floats, a list of ``steps`` losses) and,
for ``train``, the same result from a second call (no state kept between calls).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from autograder.gradcheck import compare_gradients, partial_derivatives
from autograder.suite import as_float_array, assert_close, assert_float_array_like, derive, fail
from autograder.suite.consistency import (
    DEGENERATE_SPREAD,
    GRID,
    chain_rule_upstream,
    depends_on,
    elementwise_reason,
    probe_reason,
    reference_or_consistent,
)
from autograder.suite.network_upstreams import BACKWARD_UPSTREAMS, CHAIN_RULE, FORWARD_UPSTREAMS, TRAIN_UPSTREAMS
from autograder.suite.share import assert_each
from autograder.suite.shared_tests import ACTIVATIONS_BY_NAME, stable_test
from autograder.suite.substitution import judged_again_with
from autograder.tolerances import KINK_MARGIN, VALUES
from autograder.wording import a_type
from reference import losses, network
from reference.activations import get_activation

ACTIVATIONS = ACTIVATIONS_BY_NAME
PARAMETERS = network.PARAMETERS
NODES = network.HIDDEN
BATCH = 8
TRAIN_LR = 0.5
TRAIN_STEPS = 25
DEFAULT_LR = 0.5
DEFAULT_STEPS = 100

BACKWARD_HINT = "dL/dp with L the MEAN over the batch; dL/dw1 and dL/db1 add the paths through o2_1 AND o2_2"
FORWARD_HINT = "o1 = f(w1 x + b1), o2_1 = f(w2 o1 + b2), o2_2 = f(w3 o1 + b3), o3 = f(w4 o2_1 + w5 o2_2 + b4)"
TRAIN_HINT = ("each step: losses.append(the loss BEFORE the step), then p <- p - lr * dL/dp for every "
              "parameter, all from the same backward; len(losses) == steps")


# --------------------------------------------------------------------------
# Seeded inputs


@dataclass(frozen=True)
class NetworkCase:
    params: dict[str, float]
    x: np.ndarray
    y: np.ndarray
    x_scalar: float
    y_scalar: float


def _pre_activations(params: dict[str, float], x: np.ndarray, activation: str) -> dict[str, np.ndarray]:
    out = network.forward(params, x, activation)
    return {
        "o1": params["w1"] * x + params["b1"],
        "o2_1": params["w2"] * out["o1"] + params["b2"],
        "o2_2": params["w3"] * out["o1"] + params["b3"],
        "o3": params["w4"] * out["o2_1"] + params["w5"] * out["o2_2"] + params["b4"],
    }


def _network_case(activation: str, seed: int) -> NetworkCase:
    rng = np.random.default_rng(seed)
    while True:
        params = {p: float(rng.uniform(-1.5, 1.5)) for p in PARAMETERS}
        x = rng.uniform(-2.0, 2.0, size=BATCH)
        y = rng.uniform(0.0, 1.0, size=BATCH)
        z = _pre_activations(params, x, activation)
        if any(np.min(np.abs(v)) < KINK_MARGIN for v in z.values()):
            continue
        kinked = bool(get_activation(activation).kinks)
        if kinked and not all(np.any(v > 0) and np.any(v < 0) for v in z.values()):
            continue
        all_active = np.all([v > 0 for v in z.values()], axis=0)
        if not np.any(all_active):
            continue
        _, history = network.train(params, x, y, TRAIN_LR, TRAIN_STEPS, activation)
        if not history[-1] < history[0]:
            continue
        return NetworkCase(params, x, y, float(x[np.argmax(all_active)]), float(y[0]))


CASES = {act: _network_case(act, seed) for act, seed in zip(ACTIVATIONS, (101, 202, 303, 404, 505))}

LARGE_PARAMS = {"w1": 400.0, "w2": 1.2, "w3": -1.1, "w4": 0.5, "w5": -0.5,
                "b1": 0.5, "b2": -0.3, "b3": 0.2, "b4": 0.1}
"""Pre-activations up to ~960 for every activation (|z1| up to 800 for x in [-2, 2])."""
LARGE_X = np.linspace(-2.0, 2.0, BATCH)
LARGE_Y = np.linspace(0.0, 1.0, BATCH)


def _inputs(activation: str, batch: str) -> tuple[dict[str, float], Any, Any]:
    case = CASES[activation]
    if batch == "scalar":
        return dict(case.params), case.x_scalar, case.y_scalar
    return dict(case.params), case.x.copy(), case.y.copy()


# --------------------------------------------------------------------------
# What came back


def _checked_dict(got: object, keys: tuple[str, ...], call: str) -> dict[str, Any]:
    __tracebackhide__ = True
    if type(got) is not dict:
        fail(f"{call}: got {a_type(got)}, should be a dict with keys {', '.join(keys)}")
    if set(got) != set(keys):
        fail(f"{call}: got keys {sorted(map(str, got))}, should be {sorted(keys)}")
    return got


def _float_vector(got: object, call: str) -> np.ndarray:
    """A list/tuple of numbers or a 1-D array, as a float64 vector."""
    __tracebackhide__ = True
    if isinstance(got, (list, tuple)):
        return np.array([as_float_array(v, call=call) for v in got], dtype=np.float64).reshape(-1)
    array = as_float_array(got, call=call)
    if array.ndim != 1:
        fail(f"{call}: got shape {array.shape}, should be a list of floats")
    return array


def _train_result(got: object, call: str) -> tuple[dict[str, Any], np.ndarray]:
    __tracebackhide__ = True
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        fail(f"{call}: should return a pair (new_params, losses), got {type(got).__name__}")
    new_params = _checked_dict(got[0], PARAMETERS, f"{call}[0]")
    return new_params, _float_vector(got[1], f"{call}[1]")


def _scalar(value: Any, call: str) -> float:
    array = as_float_array(value, call=call)
    if array.shape != ():
        fail(call, f"got shape {array.shape}, should be a single float")
    return float(array)


def _gradient_vector(got: Any, call: str) -> np.ndarray:
    grads = _checked_dict(got, PARAMETERS, call)
    return np.array([_scalar(grads[p], f"{call}[{p!r}]") for p in PARAMETERS])


def _nodes(got: Any, call: str) -> dict[str, np.ndarray]:
    nodes = _checked_dict(got, NODES, call)
    return {n: as_float_array(nodes[n], call=f"{call}[{n!r}]") for n in NODES}


def _close(got: Any, want: Any) -> bool:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return got.shape == want.shape and bool(np.all(VALUES.close(got, want)))


# --------------------------------------------------------------------------
# Consistency: the student's own upstream functions, and when they are degenerate
# (elementwise_reason, probe_reason and chain_rule_upstream: autograder/suite/consistency.py)


def _own_network(student: Any, params: dict[str, float], x: Any, activation: str) -> dict[str, np.ndarray]:
    """The lecture network with the student's own activate, and its pre-activations (z_<node>)."""
    def act(z: np.ndarray) -> np.ndarray:
        return as_float_array(student.activate(z, activation), call=f"activate(z, {activation!r})")
    x = np.asarray(x, dtype=np.float64)
    out: dict[str, np.ndarray] = {"z_o1": params["w1"] * x + params["b1"]}
    out["o1"] = act(out["z_o1"])
    out["z_o2_1"] = params["w2"] * out["o1"] + params["b2"]
    out["z_o2_2"] = params["w3"] * out["o1"] + params["b3"]
    out["o2_1"], out["o2_2"] = act(out["z_o2_1"]), act(out["z_o2_2"])
    out["z_o3"] = params["w4"] * out["o2_1"] + params["w5"] * out["o2_2"] + params["b4"]
    out["o3"] = act(out["z_o3"])
    return out


def _activate_wrong(student: Any, activation: str, own: dict[str, np.ndarray], *, slopes: bool) -> bool:
    """The student's activate (or activate_derivative) differs from the reference at the network's z."""
    reference = get_activation(activation).grad if slopes else get_activation(activation)
    function = student.activate_derivative if slopes else student.activate
    for node in NODES:
        z = own[f"z_{node}"]
        got = as_float_array(function(z.copy(), activation), call="")
        if not _close(got, reference(z)):
            return True
    return False


def forward_upstream(student: Any, params: dict[str, float], x: Any, activation: str, got: Any) -> str:
    """"activations" when ``got`` is the network of the student's own activate, which is wrong here
    and not degenerate; "" otherwise."""
    try:
        nodes = _nodes(got, "forward")
        own = _own_network(student, params, x, activation)
        if not _activate_wrong(student, activation, own, slopes=False):
            return ""
        if elementwise_reason(lambda z: student.activate(z, activation)):
            return ""
        return "activations" if all(_close(nodes[n], own[n]) for n in NODES) else ""
    except Exception:  # anything the student's functions do wrong here just means: not consistent
        return ""


def _own_loss(student: Any, x: Any, y: Any, activation: str) -> Callable[[dict[str, float]], float]:
    def loss(params: dict[str, float]) -> float:
        out = _nodes(student.forward(params, x, activation), "forward")
        return _scalar(student.mse_loss(y, out["o3"]), "mse_loss")
    return loss


def _loss_reason(loss: Callable[[dict[str, float]], float], params: dict[str, float]) -> str:
    """Why a student's loss cannot earn consistency credit ("" when it can)."""
    if not np.isfinite(loss(params)):
        return "your loss is not finite"
    def in_one(param: str) -> Callable[[float], float]:
        return lambda value: loss({**params, param: value})
    if not any(depends_on(in_one(p), params[p]) for p in PARAMETERS):
        return "your loss does not change with the parameters"
    return ""


def _forward_or_mse_wrong(student: Any, params: dict[str, float], x: Any, y: Any, activation: str) -> str:
    """"forward" if the student's forward is wrong here, else "mse" if their mse_loss is, else ""."""
    want = network.forward(params, x, activation)
    got = _nodes(student.forward(params, x, activation), "forward")
    if not all(_close(got[n], want[n]) for n in NODES):
        return "forward"
    if not _close(_scalar(student.mse_loss(y, want["o3"]), "mse_loss"), losses.mse(y, want["o3"])):
        return "mse"
    return ""


def _mse_derivative_reason(student: Any) -> str:
    """Why the student's mse_loss_derivative cannot earn consistency credit ("" when it can)."""
    y = np.linspace(-1.0, 1.0, 7)
    first = as_float_array(student.mse_loss_derivative(y.copy(), GRID[:7].copy()), call="")
    second = as_float_array(student.mse_loss_derivative(y.copy(), GRID[7:14].copy()), call="")
    swapped = as_float_array(student.mse_loss_derivative(y[::-1].copy(), GRID[:7][::-1].copy()), call="")
    if first.shape != y.shape or not np.all(np.isfinite(first)) or not np.all(np.isfinite(second)):
        return "it is not finite numbers of the input's shape"
    if _close(first, second):
        return "it does not change with y_hat"
    if not _close(swapped[::-1], first):
        return "it is not a function of its input alone"
    return ""


def _own_backward(student: Any, params: dict[str, float], x: Any, y: Any,
                  activation: str) -> tuple[dict[str, float], str]:
    """The notebook's backward pass with the student's own building blocks, and the first of them
    found wrong here ("activations", "mse", "two_paths"); "" when none is, or a wrong one is degenerate."""
    own = _own_network(student, params, x, activation)

    def slope(node: str) -> np.ndarray:
        z = own[f"z_{node}"]
        return as_float_array(student.activate_derivative(z.copy(), activation), call="activate_derivative")

    s1, s2_1, s2_2, s3 = slope("o1"), slope("o2_1"), slope("o2_2"), slope("o3")
    dL_do3 = as_float_array(student.mse_loss_derivative(np.asarray(y, dtype=np.float64), own["o3"].copy()),
                            call="mse_loss_derivative")
    dL_dz3 = dL_do3 * s3
    dL_dz2_1 = dL_dz3 * params["w4"] * s2_1
    dL_dz2_2 = dL_dz3 * params["w5"] * s2_2
    paths = [[dL_dz2_1, params["w2"]], [dL_dz2_2, params["w3"]]]
    summed = as_float_array(student.sum_over_paths([[np.copy(f) for f in path] for path in paths]),
                            call="sum_over_paths")
    dL_dz1 = summed * s1
    x = np.asarray(x, dtype=np.float64)
    grads = {"w1": dL_dz1 * x, "b1": dL_dz1, "w2": dL_dz2_1 * own["o1"], "b2": dL_dz2_1,
             "w3": dL_dz2_2 * own["o1"], "b3": dL_dz2_2,
             "w4": dL_dz3 * own["o2_1"], "w5": dL_dz3 * own["o2_2"], "b4": dL_dz3}
    own_grads = {p: float(np.sum(grads[p])) for p in PARAMETERS}

    wrong = []
    if _activate_wrong(student, activation, own, slopes=False) or \
            _activate_wrong(student, activation, own, slopes=True):
        if elementwise_reason(lambda z: student.activate(z, activation)) or \
                elementwise_reason(lambda z: student.activate_derivative(z, activation)):
            return own_grads, ""
        wrong.append("activations")
    if not _close(dL_do3, losses.mse_gradient(y, own["o3"])):
        if _mse_derivative_reason(student):
            return own_grads, ""
        wrong.append("mse")
    if not _close(summed, losses.sum_over_paths(paths)):
        if probe_reason(lambda t: student.sum_over_paths([[t, t], [t]])):
            return own_grads, ""
        wrong.append("two_paths")
    return own_grads, (wrong[0] if wrong else "")


def backward_upstream(student: Any, params: dict[str, float], x: Any, y: Any, activation: str,
                      got: Any) -> str:
    """The upstream skill ``got`` (the student's backward) is consistent with; "" if none (see the module doc)."""
    try:
        analytic = _gradient_vector(got, "backward")
    except AssertionError:
        return ""
    try:
        upstream = _forward_or_mse_wrong(student, params, x, y, activation)
        loss = _own_loss(student, x, y, activation)
        if upstream and not _loss_reason(loss, params):
            numeric = partial_derivatives(loss, params)
            vector = np.array([numeric[p] for p in PARAMETERS])
            if np.all(np.isfinite(vector)) and np.any(vector != 0.0) and \
                    compare_gradients(analytic, vector, list(PARAMETERS)).passed:
                return upstream
    except Exception:  # the student's forward or mse_loss failing here just means: not consistent
        pass
    try:
        own_grads, upstream = _own_backward(student, params, x, y, activation)
        if upstream and _close(analytic, [own_grads[p] for p in PARAMETERS]):
            return upstream
    except Exception:
        pass
    return ""


# --------------------------------------------------------------------------
# The two-path chain rule of the lecture, at a scalar x (skill: two_paths)


def _lecture_paths(activation: str) -> list[list[float]]:
    """The local derivatives of dL/dw1's two paths (through o2_1 and o2_2), from the reference."""
    params, x, y = _inputs(activation, "scalar")
    slope = get_activation(activation).grad
    z = _pre_activations(params, np.float64(x), activation)
    o3 = network.forward(params, x, activation)["o3"]
    dL_do3 = float(losses.mse_gradient(y, o3))
    do1_dw1 = float(slope(z["o1"])) * x
    through_o2_1 = [dL_do3, float(slope(z["o3"])) * params["w4"], float(slope(z["o2_1"])) * params["w2"], do1_dw1]
    through_o2_2 = [dL_do3, float(slope(z["o3"])) * params["w5"], float(slope(z["o2_2"])) * params["w3"], do1_dw1]
    return [through_o2_1, through_o2_2]


@judged_again_with(CHAIN_RULE)
@pytest.mark.skill("two_paths")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_two_path_dL_dw1(student: Any, activation: str, record_property: Any) -> None:
    """sum_over_paths of the lecture's two paths of dL/dw1 is dL/dw1 (or the sum of the student's own
    chain_rule over them, while that is wrong and not degenerate)."""
    params, x, y = _inputs(activation, "scalar")
    paths = _lecture_paths(activation)
    got = student.sum_over_paths(paths)
    reference_or_consistent(
        record_property,
        lambda: assert_close(got, derive(network.backward, params, x, y, activation).part("w1"),
                             call=f"sum_over_paths(the two paths of dL/dw1, {activation!r})",
                             hint="dL/dw1 = (path through O2_1) + (path through O2_2), each a product of 4 factors"),
        lambda: chain_rule_upstream(student, paths, got))


# --------------------------------------------------------------------------
# forward (skill: forward)


@judged_again_with(*FORWARD_UPSTREAMS)
@pytest.mark.skill("forward")
@pytest.mark.parametrize("batch", ["scalar", "batch"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward(student: Any, activation: str, batch: str, record_property: Any) -> None:
    """All four nodes against the reference (or the network of the student's own wrong activate)."""
    params, x, _ = _inputs(activation, batch)
    call = f"forward(params, x={batch}, {activation!r})"
    got = student.forward(params, x, activation)

    def check() -> None:
        nodes = _checked_dict(got, NODES, call)
        want = derive(network.forward, params, x, activation)
        for node in NODES:
            assert_close(nodes[node], want.part(node), call=f"{call}[{node!r}]", hint=FORWARD_HINT)

    reference_or_consistent(record_property, check, lambda: forward_upstream(student, params, x, activation, got))


@judged_again_with(*FORWARD_UPSTREAMS)
@pytest.mark.skill("forward")
@pytest.mark.contract
@pytest.mark.rule("accepts-int-input")
def test_forward_int_input(student: Any) -> None:
    """An int batch gives float64 nodes of its shape, equal to those for the same numbers as floats."""
    params = dict(CASES["tanh"].params)
    x = np.arange(-2, 3)
    call = "forward(params, x=int array, 'tanh')"
    got = _checked_dict(student.forward(params, x, "tanh"), NODES, call)
    own = _checked_dict(student.forward(params, x.astype(np.float64), "tanh"), NODES,
                        "forward(params, x=float array, 'tanh')")
    for node in NODES:
        value = assert_float_array_like(got[node], call=f"{call}[{node!r}]", shape=x.shape,
                                        hint="convert x with np.asarray(x, dtype=np.float64)")
        if not _close(value, as_float_array(own[node], call=call)):
            fail(f"{call}[{node!r}]", "differs from the result for the same x as floats",
                 "convert x with np.asarray(x, dtype=np.float64)")


def _forward_stable(strict_student: Any, activation: str) -> None:
    """Pre-activations up to ~960: float64 nodes of x's shape, finite, no overflow/invalid/divide."""
    call = f"forward(params with |w1| = 400, x=batch of {BATCH}, {activation!r}) under np.errstate(raise)"
    got = strict_student.forward(dict(LARGE_PARAMS), LARGE_X.copy(), activation)
    nodes = _checked_dict(got, NODES, call)
    for node in NODES:
        assert_float_array_like(nodes[node], call=f"{call}[{node!r}]", shape=LARGE_X.shape,
                                hint="use a stable activate (never exponentiate a large positive number)")


test_forward_stable = judged_again_with(*FORWARD_UPSTREAMS)(stable_test("forward", _forward_stable))


@judged_again_with(*FORWARD_UPSTREAMS)
@pytest.mark.skill("forward")
@pytest.mark.contract
@pytest.mark.rule("no-input-mutation")
def test_forward_does_not_modify_input(student: Any) -> None:
    """x is handed over read-only: writing into it raises in the sandbox."""
    params, x, _ = _inputs("elu", "batch")
    _checked_dict(student.with_options(readonly_inputs=True).forward(params, x, "elu"), NODES,
                  "forward(params, x=<read-only batch>, 'elu')")


# --------------------------------------------------------------------------
# backward (skill: backward): all nine gradients in one case


def check_backward(student: Any, activation: str, batch: str, record_property: Any) -> None:
    __tracebackhide__ = True
    params, x, y = _inputs(activation, batch)
    shown = f"batch of {BATCH}" if batch == "batch" else f"{x:.4g}, y={y:.4g}"
    call = f"backward(params, x={shown}, {activation!r})"
    got = student.backward(params, x, y, activation)

    def check() -> None:
        grads = _checked_dict(got, PARAMETERS, call)
        want = derive(network.backward, params, x, y, activation)
        # each gradient counts: the case keeps the share that is right (autograder/suite/share.py)
        assert_each(record_property, [
            lambda param=param: assert_close(grads[param], want.part(param), call=f"{call}[{param!r}]",
                                             hint=BACKWARD_HINT)
            for param in PARAMETERS])

    reference_or_consistent(record_property, check,
                            lambda: backward_upstream(student, params, x, y, activation, got))


@judged_again_with(*BACKWARD_UPSTREAMS)
@pytest.mark.skill("backward")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward(student: Any, activation: str, record_property: Any) -> None:
    """dL/dp for all nine parameters on a batch of 8 (or consistent with the student's own upstream)."""
    check_backward(student, activation, "batch", record_property)


@judged_again_with(*BACKWARD_UPSTREAMS)
@pytest.mark.skill("backward")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_scalar_x(student: Any, activation: str, record_property: Any) -> None:
    """dL/dp for all nine parameters at one sample that activates every node."""
    check_backward(student, activation, "scalar", record_property)


@judged_again_with(*BACKWARD_UPSTREAMS)
@pytest.mark.skill("backward")
@pytest.mark.contract
@pytest.mark.rule("accepts-int-input")
def test_backward_int_input(student: Any) -> None:
    """Int x and y give Python floats equal to those for the same numbers as floats."""
    params = dict(CASES["tanh"].params)
    x, y = np.array([-2, -1, 1, 2]), np.array([0, 1, 1, 0])
    call = "backward(params, x=int array, y=int array, 'tanh')"
    got = _checked_dict(student.backward(params, x, y, "tanh"), PARAMETERS, call)
    own = _checked_dict(student.backward(params, x.astype(np.float64), y.astype(np.float64), "tanh"),
                        PARAMETERS, "backward(params, x=float array, y=float array, 'tanh')")
    for param in PARAMETERS:
        if not isinstance(got[param], float):
            fail(f"{call}[{param!r}]", f"got {a_type(got[param])}, should be a Python float",
                 "return float(np.sum(...)) for each parameter")
        if not _close(got[param], as_float_array(own[param], call=call)):
            fail(f"{call}[{param!r}]", "differs from the result for the same numbers as floats",
                 "convert x and y with np.asarray(value, dtype=np.float64)")


def _backward_stable(strict_student: Any, activation: str) -> None:
    """Pre-activations up to ~960: nine finite floats, no overflow/invalid/divide."""
    call = f"backward(params with |w1| = 400, x=batch of {BATCH}, y, {activation!r}) under np.errstate(raise)"
    got = strict_student.backward(dict(LARGE_PARAMS), LARGE_X.copy(), LARGE_Y.copy(), activation)
    vector = _gradient_vector(got, call)
    if not np.all(np.isfinite(vector)):
        fail(call, f"got non-finite gradients {vector}", "use a stable activate_derivative")


test_backward_stable = judged_again_with(*BACKWARD_UPSTREAMS)(stable_test("backward", _backward_stable))


@judged_again_with(*BACKWARD_UPSTREAMS)
@pytest.mark.skill("backward")
@pytest.mark.contract
@pytest.mark.rule("no-input-mutation")
def test_backward_does_not_modify_input(student: Any) -> None:
    """x and y are handed over read-only: writing into them raises in the sandbox."""
    params, x, y = _inputs("sigmoid", "batch")
    _checked_dict(student.with_options(readonly_inputs=True).backward(params, x, y, "sigmoid"), PARAMETERS,
                  "backward(params, x=<read-only batch>, y=<read-only batch>, 'sigmoid')")


# --------------------------------------------------------------------------
# train (skill: train): against the reference, or the student's own pieces run here


@dataclass(frozen=True)
class OwnTraining:
    """The student's own forward, mse_loss, backward and update run ``steps`` times in the test."""

    params: dict[str, float]
    losses: np.ndarray
    upstream: str
    """The first of forward, mse, backward, update found wrong against the reference ("" if none,
    or if the pieces are degenerate)."""


_OWN_TRAINING: dict[tuple[int, str, float, int], OwnTraining] = {}
"""Per student (the fixture lives for one run) and setting: the simulation is costly."""


def _first_wrong_piece(student: Any, params: dict[str, float], x: Any, y: Any, activation: str,
                       nodes: dict[str, np.ndarray], loss: float, grads: dict[str, float],
                       new: dict[str, float], lr: float) -> str:
    want = network.forward(params, x, activation)
    if not all(_close(nodes[n], want[n]) for n in NODES):
        return "forward"
    if not _close(loss, losses.mse(y, nodes["o3"])):
        return "mse"
    reference = network.backward(params, x, y, activation)
    if not _close([grads[p] for p in PARAMETERS], [reference[p] for p in PARAMETERS]):
        return "backward"
    stepped = [losses.gradient_descent_step(params[p], grads[p], lr) for p in PARAMETERS]
    if not _close([new[p] for p in PARAMETERS], stepped):
        return "update"
    return ""


def _pieces_reason(student: Any, params: dict[str, float], x: Any, y: Any, activation: str, lr: float) -> str:
    """Why the student's own pieces cannot earn train consistency credit ("" when they can), before
    the run; ``_constant_run`` checks the run itself."""
    if not np.isfinite(_own_loss(student, x, y, activation)(params)):
        return "your loss is not finite"
    grads = _gradient_vector(student.backward(params, x, y, activation), "backward")
    if not np.all(np.isfinite(grads)) or not np.any(grads != 0.0):
        return "your gradients are all zero or not finite"
    w = np.float64(0.3)
    steps = [_scalar(student.gradient_descent_step(w, np.float64(g), lr), "gradient_descent_step")
             for g in (-1.0, 0.5, 2.0)]
    if not np.all(np.isfinite(steps)) or float(np.ptp(steps)) <= 1e-12:
        return "your update does not respond to the gradient"
    return ""


def _constant_run(history: np.ndarray) -> bool:
    """The losses of a run never change (the loss ignores the parameters, or nothing moves)."""
    finite = history[np.isfinite(history)]
    return finite.size < 2 or float(np.ptp(finite)) <= DEGENERATE_SPREAD * max(1.0, float(np.max(np.abs(finite))))


def own_training(student: Any, activation: str, lr: float, steps: int) -> OwnTraining:
    key = (id(student), activation, lr, steps)
    if key not in _OWN_TRAINING:
        params, x, y = _inputs(activation, "batch")
        upstream = ""
        try:
            if _pieces_reason(student, params, x, y, activation, lr):
                raise ValueError("degenerate")
            current, history = dict(params), []
            for _ in range(steps):
                nodes = _nodes(student.forward(current, x, activation), "forward")
                loss = _scalar(student.mse_loss(y, nodes["o3"]), "mse_loss")
                grads = _checked_dict(student.backward(current, x, y, activation), PARAMETERS, "backward")
                grads = {p: _scalar(grads[p], "backward") for p in PARAMETERS}
                new = {p: _scalar(student.gradient_descent_step(current[p], grads[p], lr), "gradient_descent_step")
                       for p in PARAMETERS}
                upstream = upstream or _first_wrong_piece(student, current, x, y, activation, nodes, loss,
                                                          grads, new, lr)
                history.append(loss)
                current = new
            if _constant_run(np.array(history)):
                raise ValueError("your loss does not change along the run")
            result = OwnTraining(current, np.array(history), upstream)
        except Exception:  # the pieces failing or being degenerate: no consistency credit
            result = OwnTraining({}, np.empty(0), "")
        _OWN_TRAINING[key] = result
    return _OWN_TRAINING[key]


def _train_call(activation: str, lr: float, steps: int) -> str:
    return f"train(params, x, y, lr={lr}, steps={steps}, activation={activation!r})"


def check_training(student: Any, activation: str, part: str, record_property: Any, *,
                   defaults: bool = False) -> None:
    """``part`` ("losses" or "params") of train's result against the reference or the student's own pieces."""
    __tracebackhide__ = True
    params, x, y = _inputs(activation, "batch")
    lr, steps = (DEFAULT_LR, DEFAULT_STEPS) if defaults else (TRAIN_LR, TRAIN_STEPS)
    if defaults:
        call = "train(params, x, y) with the defaults lr=0.5, steps=100, activation='sigmoid'"
        got = student.train(params, x, y)
    else:
        call = _train_call(activation, lr, steps)
        got = student.train(params, x, y, lr=lr, steps=steps, activation=activation)

    def check() -> None:
        new_params, history = _train_result(got, call)
        want = derive(network.train, params, x, y, lr, steps, activation)
        if part in ("losses", "both"):
            assert_close(history, want.map(lambda v: v[1][:steps], "the losses before each step"),
                         call=f"{call}: losses", hint=TRAIN_HINT)
        if part in ("params", "both"):
            for param in PARAMETERS:
                assert_close(new_params[param], want.part(0).part(param), call=f"{call}: new_params[{param!r}]",
                             hint=TRAIN_HINT)

    def upstream() -> str:
        own = own_training(student, activation, lr, steps)
        return own.upstream if own.upstream and _matches_own(got, own, part) else ""

    try:
        reference_or_consistent(record_property, check, upstream)
    except AssertionError as wrong:
        if not defaults:
            raise
        raise AssertionError(str(wrong).split("\nHint:")[0] + "\nHint: " +
                             defaults_hint(student, params, x, y, got)) from None


def _same_run(got: Any, want: Any) -> bool:
    """Close, where a run that diverged (a flipped update sign) may end in NaN in both."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False
    return bool(np.all(VALUES.close(got, want) | (np.isnan(got) & np.isnan(want))))


def _matches_own(got: Any, own: OwnTraining, part: str) -> bool:
    try:
        new_params, history = _train_result(got, "train")
        same_losses = _same_run(history, own.losses)
        same_params = _same_run([_scalar(new_params[p], "train") for p in PARAMETERS],
                                [own.params[p] for p in PARAMETERS])
    except AssertionError:
        return False
    return {"losses": same_losses, "params": same_params, "both": same_losses and same_params}[part]


def defaults_hint(student: Any, params: dict[str, float], x: Any, y: Any, got: Any) -> str:
    """Blame the signature only when the defaults change the result."""
    explicit = student.train(params, x, y, lr=DEFAULT_LR, steps=DEFAULT_STEPS, activation="sigmoid")
    try:
        a_params, a_losses = _train_result(got, "train")
        b_params, b_losses = _train_result(explicit, "train")
        same = _close(a_losses, b_losses) and _close([_scalar(a_params[p], "train") for p in PARAMETERS],
                                                     [_scalar(b_params[p], "train") for p in PARAMETERS])
    except AssertionError:
        same = False
    if same:
        return ("train(params, x, y) gives the same result as with lr=0.5, steps=100, activation='sigmoid' "
                "spelled out, so the defaults are right; the values themselves are wrong (see train_losses "
                "and train_params)")
    return ("train(params, x, y) differs from train(params, x, y, lr=0.5, steps=100, activation='sigmoid'): "
            "keep the signature train(params, x, y, lr=0.5, steps=100, activation='sigmoid')")


@judged_again_with(*TRAIN_UPSTREAMS)
@pytest.mark.skill("train")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_train_losses(student: Any, activation: str, record_property: Any) -> None:
    """The 25 losses, each before its step (or those of the student's own pieces, see the module doc)."""
    check_training(student, activation, "losses", record_property)


@judged_again_with(*TRAIN_UPSTREAMS)
@pytest.mark.skill("train")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_train_params(student: Any, activation: str, record_property: Any) -> None:
    """The parameters after 25 steps (or those of the student's own pieces, see the module doc)."""
    check_training(student, activation, "params", record_property)


@judged_again_with(*TRAIN_UPSTREAMS)
@pytest.mark.skill("train")
def test_train_defaults(student: Any, record_property: Any) -> None:
    """train(params, x, y): lr=0.5, steps=100, activation='sigmoid' by default; losses and parameters."""
    check_training(student, "sigmoid", "both", record_property, defaults=True)


@judged_again_with(*TRAIN_UPSTREAMS)
@pytest.mark.skill("train")
@pytest.mark.contract
@pytest.mark.rule("returns-python-float")
@pytest.mark.parametrize("steps", [1, 4, 9], ids=lambda steps: f"steps={steps}")
def test_train_returns(student: Any, steps: int) -> None:
    """A pair (dict of Python floats with the keys of params, list of ``steps`` Python floats)."""
    params, x, y = _inputs("sigmoid", "batch")
    call = f"train(params, x, y, lr={TRAIN_LR}, steps={steps})"
    got = student.train(params, x, y, lr=TRAIN_LR, steps=steps)
    new_params, _ = _train_result(got, call)
    history = got[1]
    if not isinstance(history, list) or len(history) != steps:
        size = len(history) if isinstance(history, (list, tuple)) else "?"
        fail(call, f"returned {type(history).__name__} of {size} losses, should be a list of {steps} "
                   "(one before each step)")
    for name, value in [*new_params.items(), *((f"losses[{i}]", v) for i, v in enumerate(history))]:
        if not isinstance(value, float):
            fail(call, f"{name} is a {type(value).__name__}, should be a Python float", "use float(...)")


@judged_again_with(*TRAIN_UPSTREAMS)
@pytest.mark.skill("train")
@pytest.mark.contract
@pytest.mark.rule("no-input-mutation", "no-state-between-calls")
def test_train_does_not_mutate(student: Any) -> None:
    """Read-only params, x and y (writing into them raises in the sandbox); a second call with the
    same input gives the same result (no state kept between calls)."""
    params, x, y = _inputs("tanh", "batch")
    frozen = student.with_options(readonly_inputs=True)
    call = f"train(params, x, y, lr={TRAIN_LR}, steps=5, activation='tanh')"
    first_params, first_losses = _train_result(
        frozen.train(dict(params), x, y, lr=TRAIN_LR, steps=5, activation="tanh"), call)
    second_params, second_losses = _train_result(
        frozen.train(dict(params), x, y, lr=TRAIN_LR, steps=5, activation="tanh"), call)
    same = _close(second_losses, first_losses) and _close(
        [_scalar(second_params[p], call) for p in PARAMETERS], [_scalar(first_params[p], call) for p in PARAMETERS])
    if not same:
        fail(f"{call}: a second call with the same input gave a different result; "
             "does train change its input or keep state between calls?")
