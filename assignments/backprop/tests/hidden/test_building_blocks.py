"""Hidden suite, part 1: activations by name, the MSE loss, the chain rule, paths and the update rule.

Every expected value is ``derive(<reference function>, ...)`` at seeded inputs.
Each case carries the manifest skill it measures (``@pytest.mark.skill``) and
the credit model (``autograder/grading/credit.py``) prices it:

VALUE checks (the skill's points, less its contract share, split by weight):

* ``activations``: ``activate[<name>]`` and ``activate_derivative[<name>]``
  for each of the five activations, every point in one array (edge points
  +-1e-9, +-30, +-1000 and 24 seeded points in +-6, so a constant can never
  collect the cases whose true value happens to be 0 or 1);
  ``activate_derivative_at_kink[<name>]`` (weight 0.5) at z = -1, 0, 1 in one
  array: the convention relu'(0) = 0, leaky_relu'(0) = 0.01, elu'(0) = 1, with
  the neighbours beside it so that zeros cannot pass relu's case.
* ``mse``: ``mse_loss[...]`` and ``mse_loss_derivative[...]`` for four shapes
  (a scalar, 1-D, 2-D, a scalar target against a batch).
* ``chain_rule``: ``chain_rule[...]``, products of 1 to 5 factors and a batch.
* ``two_paths``: ``sum_over_paths[...]`` (one to three paths of different
  lengths, and a batch); the lecture's two-path dL/dw1 is the network part's
  ``two_path_dL_dw1``. One mistake costs once: while the student's chain_rule
  is wrong on the paths and not degenerate (chain_rule([t, t]) not finite,
  constant, t itself or not a function of t alone), the sum of THEIR products
  also passes, credited to ``chain_rule`` (only if chain_rule fails its own
  checks, ``autograder/suite/consistency.py``); a chain_rule that raises is
  substituted by the reference's (``judged_again_with``) and the case judged again.
* ``update``: ``gradient_descent_step[...]``: the sign (grad > 0 lowers w),
  learning rates 0.01 to 3.5 (never 0: returning ``w`` cannot pass), a scalar
  and a 2-D weight.

CONTRACT checks (``@pytest.mark.contract``; they share 20 % of their skill and
earn only as far as its value checks pass, so a wrong function earns nothing
for being finite or well typed): ``activate_stable`` (float64 (2, 4) results,
finite, no overflow/invalid/divide under np.errstate(raise) for |z| <= 1000),
``int_input_gives_float`` (an int array gives float64 results equal to the
function's own results for the same numbers as floats), ``returns_python_float``
(mse_loss, and chain_rule / sum_over_paths of plain numbers), and
``does_not_modify_input``.

Non-mutation across a process boundary: the student's function receives a
decoded copy of the test's arrays, so a write into it could never be seen here.
``does_not_modify_input`` therefore sends the arrays READ-ONLY
(``student.with_options(readonly_inputs=True)``): an in-place update
(``w -= lr * grad``) raises "assignment destination is read-only" in the
sandbox and fails that check alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograder.suite import assert_close, derive, fail
from autograder.suite.consistency import chain_rule_upstream, reference_or_consistent
from autograder.suite.network_upstreams import CHAIN_RULE
from autograder.suite.shared_tests import (
    INT_POINTS,
    activate_kink_test,
    activate_rejects_unknown_test,
    activate_stable_test,
    activate_values_test,
    copied,
    int_input_test,
    readonly_input_test,
)
from autograder.suite.substitution import judged_again_with
from autograder.wording import a_type
from reference import losses

# --------------------------------------------------------------------------
# activate / activate_derivative (skill: activations): the checks every suite of
# these two functions shares (autograder/suite/shared_tests.py)


test_activate = activate_values_test("activate")
test_activate_derivative = activate_values_test("activate_derivative")
test_activate_derivative_at_kink = activate_kink_test()
test_activate_stable = activate_stable_test()
test_activate_rejects_unknown = activate_rejects_unknown_test()


# --------------------------------------------------------------------------
# mse_loss and its derivative (skill: mse)


_mse_rng = np.random.default_rng(7301)
MSE_CASES = {
    "shape=()": (float(_mse_rng.normal()), float(_mse_rng.normal())),
    "shape=(7,)": (_mse_rng.normal(size=7), _mse_rng.normal(size=7)),
    "shape=(3,4)": (_mse_rng.normal(size=(3, 4)), _mse_rng.normal(size=(3, 4))),
    "y=scalar,y_hat=(5,)": (float(_mse_rng.normal()), _mse_rng.normal(size=5)),
}


@pytest.mark.skill("mse")
@pytest.mark.parametrize("case", MSE_CASES)
def test_mse_loss(student: Any, case: str) -> None:
    """mean((y - y_hat)^2) over all elements."""
    y, y_hat = MSE_CASES[case]
    got = student.mse_loss(copied(y), copied(y_hat))
    assert_close(got, derive(losses.mse, y, y_hat), call=f"mse_loss({case})",
                 hint="mean over ALL elements of (y - y_hat)^2, returned as one float")


@pytest.mark.skill("mse")
@pytest.mark.parametrize("case", MSE_CASES)
def test_mse_loss_derivative(student: Any, case: str) -> None:
    """2 (y_hat - y) / n elementwise, of the broadcast shape (a scalar may come back as a float)."""
    y, y_hat = MSE_CASES[case]
    got = student.mse_loss_derivative(copied(y), copied(y_hat))
    assert_close(got, derive(losses.mse_gradient, y, y_hat), call=f"mse_loss_derivative({case})",
                 hint="2 (y_hat - y) / n, n = number of elements; one derivative per element of y_hat; mind the sign")


# --------------------------------------------------------------------------
# chain_rule (skill: chain_rule) and sum_over_paths (skill: two_paths)


_chain_rng = np.random.default_rng(4410)
CHAIN_CASES = {
    "length=1": [float(v) for v in _chain_rng.uniform(-2, 2, size=1)],
    "length=2": [float(v) for v in _chain_rng.uniform(-2, 2, size=2)],
    "length=4": [float(v) for v in _chain_rng.uniform(-2, 2, size=4)],
    "length=5,sigmoid-sized": [float(v) for v in _chain_rng.uniform(0.0, 0.25, size=5)],
    "batch=(6,)": [_chain_rng.uniform(-2, 2, size=6) for _ in range(4)],
}


@pytest.mark.skill("chain_rule")
@pytest.mark.parametrize("case", CHAIN_CASES)
def test_chain_rule(student: Any, case: str) -> None:
    """The product of the local derivatives along one path."""
    factors = CHAIN_CASES[case]
    got = student.chain_rule(copied(factors))
    assert_close(got, derive(losses.chain_rule, factors), call=f"chain_rule({case})",
                 hint="along one path the local derivatives multiply")


_paths_rng = np.random.default_rng(5521)
PATH_CASES: dict[str, list[list[Any]]] = {
    "one path": [[float(v) for v in _paths_rng.uniform(-2, 2, size=4)]],
    "two paths of 4 (dL/dw1)": [[float(v) for v in _paths_rng.uniform(-2, 2, size=4)] for _ in range(2)],
    "three paths of lengths 2,3,5": [[float(v) for v in _paths_rng.uniform(-2, 2, size=n)]
                                      for n in (2, 3, 5)],
    "two paths, batch=(5,)": [[_paths_rng.uniform(-2, 2, size=5) for _ in range(4)] for _ in range(2)],
}


@judged_again_with(CHAIN_RULE)
@pytest.mark.skill("two_paths")
@pytest.mark.parametrize("case", PATH_CASES)
def test_sum_over_paths(student: Any, case: str, record_property: Any) -> None:
    """The sum over the paths of each path's product (or of the student's own wrong chain_rule)."""
    paths = PATH_CASES[case]
    got = student.sum_over_paths(copied(paths))
    reference_or_consistent(
        record_property,
        lambda: assert_close(got, derive(losses.sum_over_paths, paths), call=f"sum_over_paths({case})",
                             hint="multiply along each path (chain_rule), then add the paths"),
        lambda: chain_rule_upstream(student, paths, got, copy=copied))


# --------------------------------------------------------------------------
# gradient_descent_step (skill: update)


_step_rng = np.random.default_rng(6632)
STEP_CASES = {
    "grad>0 lowers w": (_step_rng.normal(size=4), _step_rng.uniform(0.5, 2.0, size=4), 0.1),
    "grad<0 raises w": (_step_rng.normal(size=4), -_step_rng.uniform(0.5, 2.0, size=4), 0.1),
    "lr=0.01": (_step_rng.normal(size=4), _step_rng.normal(size=4), 0.01),
    "lr=1": (_step_rng.normal(size=4), _step_rng.normal(size=4), 1.0),
    "lr=3.5": (_step_rng.normal(size=4), _step_rng.normal(size=4), 3.5),
    "scalar w": (float(_step_rng.normal()), float(_step_rng.normal()), 0.25),
    "shape=(2,3)": (_step_rng.normal(size=(2, 3)), _step_rng.normal(size=(2, 3)), 0.3),
}


@pytest.mark.skill("update")
@pytest.mark.parametrize("case", STEP_CASES)
def test_gradient_descent_step(student: Any, case: str) -> None:
    """w - lr * grad: the sign and the learning rate."""
    w, grad, lr = STEP_CASES[case]
    got = student.gradient_descent_step(copied(w), copied(grad), lr)
    assert_close(got, derive(losses.gradient_descent_step, w, grad, lr),
                 call=f"gradient_descent_step({case}, lr={lr:g})",
                 hint="w_new = w_old - lr * grad: subtract, and scale by the learning rate")


_NEW_W, _NEW_GRAD = _step_rng.normal(size=5), _step_rng.normal(size=5)


# --------------------------------------------------------------------------
# The contract: int input, Python floats, no mutation


_INT_Y, _INT_Y_HAT = np.array([1, 0, 2, 3]), np.array([0, 0, 1, 5])
_INT_W, _INT_GRAD = np.array([3, -2, 1]), np.array([1, 4, -2])

INT_CASES = {  # name: (function, int arguments, skill)
    "activate": ("activate", (INT_POINTS, "relu"), "activations"),
    "activate_derivative": ("activate_derivative", (INT_POINTS, "leaky_relu"), "activations"),
    "mse_loss_derivative": ("mse_loss_derivative", (_INT_Y, _INT_Y_HAT), "mse"),
    "gradient_descent_step": ("gradient_descent_step", (_INT_W, _INT_GRAD, 0.5), "update"),
}
test_int_input_gives_float = int_input_test(INT_CASES)


FLOAT_CASES = {  # name: (function, arguments, skill)
    "mse_loss": ("mse_loss", MSE_CASES["shape=(3,4)"], "mse"),
    "chain_rule": ("chain_rule", (CHAIN_CASES["length=4"],), "chain_rule"),
    "sum_over_paths": ("sum_over_paths", (PATH_CASES["three paths of lengths 2,3,5"],), "two_paths"),
}


@pytest.mark.contract
@pytest.mark.rule("returns-python-float")
@pytest.mark.parametrize("case", [pytest.param(name, marks=pytest.mark.skill(skill))
                                  for name, (_, _, skill) in FLOAT_CASES.items()])
def test_returns_python_float(student: Any, case: str) -> None:
    """mse_loss, and chain_rule / sum_over_paths of plain numbers, return one Python float."""
    function, args, _ = FLOAT_CASES[case]
    got = getattr(student, function)(*copied(args))
    if not isinstance(got, float):
        fail(f"{function}(...)", f"got {a_type(got)}, should be a Python float",
             "return float(...) of the result")


MUTATION_CASES = {  # name: (function, arguments, skill)
    "activate": ("activate", (_NEW_W, "tanh"), "activations"),
    "activate_derivative": ("activate_derivative", (_NEW_W, "sigmoid"), "activations"),
    "mse_loss": ("mse_loss", MSE_CASES["shape=(7,)"], "mse"),
    "mse_loss_derivative": ("mse_loss_derivative", MSE_CASES["shape=(7,)"], "mse"),
    "chain_rule": ("chain_rule", (CHAIN_CASES["batch=(6,)"],), "chain_rule"),
    "sum_over_paths": ("sum_over_paths", (PATH_CASES["two paths, batch=(5,)"],), "two_paths"),
    "gradient_descent_step": ("gradient_descent_step", (_NEW_W, _NEW_GRAD, 0.2), "update"),
}


test_does_not_modify_input = readonly_input_test(MUTATION_CASES)
