"""Tried as an attacker would: non-mutation is observed from outside the student's process.

The worker sends a watched call's inputs back and the grader compares them
with what it sent, so nothing the submission switches off inside the worker
(the landed kit's ``_frozen`` hook, a ``flags.writeable`` test) hides an
in-place write. Each trick has an honest twin that keeps its points.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.assignment import get_assignment
from autograder.catalog import with_redefinition
from autograder.grading.grade import grade_submission
from autograder.grading.results import GradeResult
from autograder.release import solution_source

pytestmark = pytest.mark.slow

IN_PLACE_RELU = '''
import sys
sys.modules["__main__"]._frozen = lambda value: value  # switch off the landed read-only inputs


def relu(x):
    x = np.asarray(x, dtype=np.float64)
    if not x.flags.writeable:
        x = x.copy()
    x[x < 0] = 0.0
    return x
'''
HONEST_RELU = '''
def relu(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, 0.0)
'''
IN_PLACE_TRAIN = '''
_solution_train = train


def train(params, x, y, lr=0.5, steps=100, activation="sigmoid"):
    new_params, losses = _solution_train(params, x, y, lr, steps, activation)
    params.update(new_params)  # the caller's dict changes too
    return dict(params), losses
'''


def graded(tmp_path: Path, assignment_id: str, code: str) -> GradeResult:
    assignment = get_assignment(assignment_id)
    path = tmp_path / f"{assignment.module}.py"
    path.write_text(with_redefinition(solution_source(assignment), code), encoding="utf-8")
    return grade_submission(assignment, path)


def test_a_switched_off_freeze_and_a_writeable_test_do_not_hide_an_in_place_relu(tmp_path: Path) -> None:
    result = graded(tmp_path, "activations", IN_PLACE_RELU)
    check = next(t for t in result.tests if t.name == "does_not_modify_input[relu]")
    assert not check.passed and "changed its input (argument 1)" in check.message
    assert result.group_scores()["relu"][0] < result.group_scores()["relu"][1]


def test_the_honest_relu_keeps_its_points(tmp_path: Path) -> None:
    result = graded(tmp_path, "activations", HONEST_RELU)
    assert result.score == pytest.approx(result.max_score)


def test_train_updating_the_callers_params_is_seen(tmp_path: Path) -> None:
    result = graded(tmp_path, "backprop", IN_PLACE_TRAIN)
    failed = [t for t in result.tests if not t.passed]
    assert any("changed its input" in t.message for t in failed), [t.name for t in failed]
    assert result.score < result.max_score
