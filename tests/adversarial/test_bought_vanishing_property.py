"""Tried as an attacker would: vanishing_property cannot be bought with made-up gradients.

Where a student's deep_chain_gradients is wrong, vanishing_property is judged on the reference
chain's gradients, so a wrong sweep is charged to deep_chain_gradients once. The attack: skip the
chain rule and return numbers that merely look like vanishing (ones for ReLU, |x| 0.2^(n-k) for
sigmoid), or such numbers scaled by a sum of the weights, or jittered. None of them is computed
from the chain, so vanishing_property stays at zero; an honest wrong sweep (z in place of h)
keeps it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.assignment import load_manifest
from autograder.catalog import with_redefinition
from autograder.grading.grade import grade_loaded
from autograder.solution_cache import solution_source
from autograder.submission import Submission
from tests.assignments.harness import Mistake

pytestmark = pytest.mark.slow

ASSIGNMENTS_DIR = Path(__file__).resolve().parents[2] / "assignments"

MADE_UP = {
    "looks like vanishing": """
def deep_chain_gradients(x, weights, activation="sigmoid"):
    n = len(weights)
    if activation == "relu":
        return np.ones(n)
    return abs(x) * 0.2 ** (n - np.arange(1, n + 1))
""",
    "scaled by a sum of the weights": """
def deep_chain_gradients(x, weights, activation="sigmoid"):
    n = len(weights)
    rate = 1.0 if activation == "relu" else 0.2
    return abs(x) * rate ** (n - np.arange(1, n + 1)) * (1.0 + 0.1 * float(np.sum(weights)))
""",
    "jittered": """
def deep_chain_gradients(x, weights, activation="sigmoid"):
    n = len(weights)
    rate = 1.0 if activation == "relu" else 0.2
    return abs(x) * rate ** (n - np.arange(1, n + 1)) * np.random.uniform(0.5, 2.0, n)
""",
}

HONEST_WRONG = Mistake.replace("grads[k] = delta * slope * h[k]",
                              "grads[k] = delta * slope * weights[k] * h[k]", ())
"""z_(k+1) in place of h_k in the solution's backward sweep."""


def _scores(code: str | Mistake) -> dict[str, tuple[float, float]]:
    """(score, points) per skill of the solution with ``code`` in place of its deep_chain_gradients
    (or with the mistake applied)."""
    assignment = load_manifest(ASSIGNMENTS_DIR / "vanishing")
    solution = solution_source(assignment)
    source = code.apply(solution) if isinstance(code, Mistake) else with_redefinition(solution, code)
    result = grade_loaded(assignment, Submission(student_id="attack", source=source, origin=assignment.source_path))
    assert not result.error, result.detail
    return result.group_scores()


@pytest.mark.parametrize("code", MADE_UP.values(), ids=MADE_UP.keys())
def test_made_up_gradients_earn_no_vanishing_property(code: str) -> None:
    scores = _scores(code)
    assert scores["vanishing_property"][0] == pytest.approx(0.0, abs=1e-9), scores


def test_an_honest_wrong_sweep_costs_deep_chain_gradients_alone() -> None:
    scores = _scores(HONEST_WRONG)
    lost = {skill for skill, (score, top) in scores.items() if score < top - 1e-9}
    assert lost == {"deep_chain_gradients"}, scores
