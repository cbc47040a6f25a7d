"""Tried as an attacker would: state kept between calls cannot buy consistency credit.

A derivative that remembers where it was asked lets the forward answer along
the remembered slope, so central differences of the forward agree with any
"derivative". The credit model grants consistency only where the forward is
wrong in its own checks (``autograder/grading/credit.py``), so a forward that
is right everywhere it is checked leaves the derivative judged against the
reference: the trick earns nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from autograder.grading.results import GradeResult

pytestmark = pytest.mark.slow

REMEMBERING = '''

_remembered = []


def sigmoid_derivative(x):
    x = np.asarray(x, dtype=np.float64)
    answer = _stable_sigmoid(x)  # the forward's value: not the derivative
    _remembered.append((x.copy(), answer))
    return answer


def _stable_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    for points, slope in _remembered[-3:]:
        if points.shape == x.shape and np.all(np.abs(x - points) < 1e-4):
            return _stable_sigmoid(points) + (x - points) * slope  # along the remembered "derivative"
    return _stable_sigmoid(x)
'''


def skill_scores(result: GradeResult) -> dict[str, tuple[float, float]]:
    return result.group_scores()


def test_a_forward_answering_along_a_remembered_slope_gains_nothing(
        tmp_path: Path, base_source: str, grade: Callable[[Path], GradeResult]) -> None:
    path = tmp_path / "activations.py"
    path.write_text(base_source + REMEMBERING, encoding="utf-8")
    scores = skill_scores(grade(path))
    assert scores["sigmoid_derivative"][0] == pytest.approx(0.0)
    assert scores["sigmoid"][0] == pytest.approx(scores["sigmoid"][1])


def test_the_honest_twin_keeps_every_point(tmp_path: Path, base_source: str,
                                           grade: Callable[[Path], GradeResult]) -> None:
    path = tmp_path / "activations.py"
    path.write_text(base_source, encoding="utf-8")
    result = grade(path)
    assert result.score == pytest.approx(result.max_score)
