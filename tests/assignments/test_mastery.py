"""Grades that measure mastery, on the real suites: one mistake costs its own skill.

Each submission is the instructor's solution with one mistake in it, graded
exactly as a student's would be (sandbox, hidden suite, credit model).
"""

from __future__ import annotations

import pytest

from autograder.assignment import get_assignment
from autograder.catalog import with_redefinition
from autograder.grading.grade import grade_loaded
from autograder.grading.results import GradeResult
from autograder.release import solution_source
from autograder.submission import Submission

pytestmark = pytest.mark.slow

#: A sigmoid found in a public student repository: 1 / 1 + e^-x, so sigmoid(0) = 2.
PRECEDENCE_SIGMOID = '''
def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return 1 / 1 + np.exp(-np.minimum(x, 700.0))
'''
ONE_PATH = ('sum_over_paths([[dL_dz2_1, params["w2"]], [dL_dz2_2, params["w3"]]])',
            'sum_over_paths([[dL_dz2_1, params["w2"]]])')


def graded(assignment_id: str, source: str) -> GradeResult:
    assignment = get_assignment(assignment_id)
    return grade_loaded(assignment, Submission("mistake", source, assignment.source_path))


def lost(result: GradeResult) -> dict[str, float]:
    return {skill: round(possible - earned, 6) for skill, (earned, possible) in result.group_scores().items()
            if earned < possible - 1e-9}


def test_a_wrong_sigmoid_loses_at_least_sigmoids_share() -> None:
    assignment = get_assignment("activations")
    result = graded("activations", with_redefinition(solution_source(assignment), PRECEDENCE_SIGMOID))
    share = assignment.credit.skill("sigmoid").points  # type: ignore[union-attr]
    assert lost(result)["sigmoid"] == pytest.approx(share)
    assert result.max_score - result.score >= share


def test_backward_missing_one_path_loses_only_its_wrong_gradients_of_backward() -> None:
    """2 of the 9 gradients are wrong: it costs 2/9 of backward, less than a mistake that makes all
    nine wrong (averaging over the batch twice, half of backward)."""
    assignment = get_assignment("backprop")
    solution = solution_source(assignment)
    assert solution.count(ONE_PATH[0]) == 1
    result = graded("backprop", solution.replace(*ONE_PATH))
    share = assignment.credit.skill("backward").points  # type: ignore[union-attr]
    assert lost(result) == {"backward": pytest.approx(share * 2 / 9)}  # train is judged against the student's backward


JACOBIAN_AS_LISTS = '''
def softmax_jacobian(z):
    s = softmax(np.asarray(z, dtype=np.float64))
    return (np.diag(s) - np.outer(s, s)).tolist()
'''
FROMPYFUNC_TANH = '''
import math
tanh = np.frompyfunc(math.tanh, 1, 1)
'''


def test_a_jacobian_as_a_list_of_lists_loses_only_the_contract_share() -> None:
    """The right values in the wrong container: a contract failure, not wrong values."""
    assignment = get_assignment("activations")
    result = graded("activations", with_redefinition(solution_source(assignment), JACOBIAN_AS_LISTS))
    share = assignment.credit.skill("softmax_jacobian").points * assignment.credit.contract_share  # type: ignore[union-attr]
    assert set(lost(result)) == {"softmax_jacobian"}
    assert 0 < lost(result)["softmax_jacobian"] <= share + 1e-9
    assert all(t.passed for t in result.tests if t.group == "softmax_jacobian" and not t.contract)


def test_a_tanh_written_through_frompyfunc_earns_full_marks() -> None:
    assignment = get_assignment("activations")
    result = graded("activations", with_redefinition(solution_source(assignment), FROMPYFUNC_TANH))
    assert lost(result) == {} and result.score == pytest.approx(result.max_score)


IDENTITY_SIGMOID_DERIVATIVE = PRECEDENCE_SIGMOID + '''

def sigmoid_derivative(x):
    s = sigmoid(x)
    return s * (1 - s)
'''


def test_a_derivative_through_the_identity_on_a_wrong_forward_costs_only_the_forward() -> None:
    """1 / 1 + e^-x with sigmoid' = s (1 - s): every value check of sigmoid' earns (its own sigmoid
    overflows at -1000, which only the finite-values contract of sigmoid' may still see)."""
    assignment = get_assignment("activations")
    result = graded("activations", with_redefinition(solution_source(assignment), IDENTITY_SIGMOID_DERIVATIVE))
    skill = assignment.credit.skill("sigmoid_derivative")
    assert skill is not None
    assert set(lost(result)) <= {"sigmoid", "sigmoid_derivative"}
    assert lost(result).get("sigmoid_derivative", 0.0) <= skill.points * assignment.credit.contract_share / 2


def test_reversed_deep_chain_gradients_cost_only_deep_chain_gradients() -> None:
    from autograder.catalog import load_catalog

    assignment = get_assignment("vanishing")
    chaff = next(m.chaff for m in load_catalog(assignment).misconceptions if m.id == "gradients-reversed")
    result = graded("vanishing", with_redefinition(solution_source(assignment), chaff))
    assert set(lost(result)) == {"deep_chain_gradients"}


#: mse_loss that works on numbers and raises on arrays (float() of an array of several values).
MSE_RAISES_ON_ARRAYS = '''
def mse_loss(y, y_hat):
    return float((y - y_hat) ** 2)
'''
ELU_BRANCH = ('''    if activation == "elu":
        return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))
    raise ValueError''', '''    raise ValueError''')


def test_an_mse_loss_that_raises_on_arrays_costs_only_mse() -> None:
    """train calls the crashing mse_loss at every step; judged again with the reference's mse_loss
    in its place, it is right, so only mse pays."""
    result = graded("backprop", with_redefinition(solution_source(get_assignment("backprop")), MSE_RAISES_ON_ARRAYS))
    assert set(lost(result)) == {"mse"}
    assert any(t.consistent_with == "mse" for t in result.tests if t.group == "train")


def test_an_activate_without_elu_costs_only_activations() -> None:
    solution = solution_source(get_assignment("backprop"))
    assert solution.count(ELU_BRANCH[0]) == 1
    result = graded("backprop", solution.replace(*ELU_BRANCH))
    assert set(lost(result)) == {"activations"}


def test_a_downstream_wrong_by_itself_still_pays_beside_a_crashing_upstream() -> None:
    """The losses recorded after each step instead of before: substituting mse_loss does not make
    train right, so train loses its losses cases as well."""
    solution = with_redefinition(solution_source(get_assignment("backprop")), MSE_RAISES_ON_ARRAYS)
    before = '''        losses.append(mse_loss(y, forward(current, x, activation)["o3"]))
        grads = backward(current, x, y, activation)
        current = {name: float(gradient_descent_step(current[name], grads[name], lr))
                   for name in current}
'''
    after = '''        grads = backward(current, x, y, activation)
        current = {name: float(gradient_descent_step(current[name], grads[name], lr))
                   for name in current}
        losses.append(mse_loss(y, forward(current, x, activation)["o3"]))
'''
    assert solution.count(before) == 1
    result = graded("backprop", solution.replace(before, after))
    assert set(lost(result)) == {"mse", "train"}
    assert not any(t.passed for t in result.tests if t.name.startswith("train_losses"))
