"""The diagnosis names mistakes no catalog lists: the held-out bugs, graded as students' files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autograder.assignment import load_manifest
from autograder.catalog import Catalog, Misconception
from autograder.public_gaps import public_gaps
from autograder.solution_cache import solution_source
from tests.assignments.heldout.bugs import ASSIGNMENTS, bugs, correct_variants, grade

FLOOR = 0.8
"""The share of held-out bugs that must get a "Likely mistake" line (issue 19)."""


def test_first_held_out_set_is_named_at_the_floor() -> None:
    outcomes = [grade(b) for b in bugs("first")]
    named = sum(o.named_as_expected for o in outcomes)
    print(f"held-out (first): named as expected {named}/{len(outcomes)}")
    assert named >= FLOOR * len(outcomes)


@pytest.mark.slow
def test_fourth_held_out_set_is_named_at_the_floor() -> None:
    """At least 80% of the fourth set's bugs get a "Likely mistake" line (issue 19), and no correct
    variant of it gets one."""
    outcomes = [grade(b) for b in bugs("fourth")]
    named = sum(o.named for o in outcomes)
    print(f"held-out (fourth): named {named}/{len(outcomes)}")
    assert named >= FLOOR * len(outcomes)
    assert not [o.bug.id for o in (grade(b) for b in correct_variants("fourth")) if o.diagnoses]


@pytest.mark.slow
@pytest.mark.parametrize("set_name", ["third", "fourth"])
def test_correct_variants_written_oddly_score_full_marks(set_name: str) -> None:
    """Aliases, partials, np.vectorize, lambdas, callable objects, loops, identities on the student's
    own forward, einsum, heaviside, accumulate: full marks, no likely mistake, never "does not define
    a function"."""
    outcomes = [grade(b) for b in correct_variants(set_name)]
    wrong = [(o.bug.id, o.lost, o.diagnoses, o.claims_missing) for o in outcomes if not o.clean]
    assert outcomes and not wrong


CHARGED_ONCE = ("sigmoid-math-exp-crashes-on-arrays", "tanh-through-overflowing-sigmoid",
                "softmax-plus-one-in-denominator", "softmax-shift-by-mean", "activate-derivative-sigmoid-overflows")
"""Held-out bugs whose mistake reached a downstream skill: a crashing or overflowing forward, a softmax
wrong under a Jacobian written through the lecture's identity, an activate_derivative overflowing only
at backward's first layer."""


@pytest.mark.slow
@pytest.mark.parametrize("bug_id", CHARGED_ONCE)
def test_an_upstream_mistake_is_charged_to_its_own_skill_once(bug_id: str) -> None:
    bug = next(b for b in bugs("third") if b.id == bug_id)
    outcome = grade(bug)
    assert outcome.lost_points and set(outcome.charged_skills) == set(bug.skills)


@pytest.mark.slow
def test_a_deep_chain_forward_writing_into_its_weights_costs_only_itself() -> None:
    bug = next(b for b in bugs("third") if b.id == "chain-forward-modifies-weights")
    assert grade(bug).charged_skills == ("deep_chain_forward",)


def test_two_mistakes_in_one_function_are_both_named() -> None:
    bug = next(b for b in bugs("first") if b.id == "relu-derivative-kink-and-int")
    outcome = grade(bug)
    assert {"kink", "int"} <= outcome.tags


def test_check_shows_the_likely_mistake_and_the_first_wrong_x(tmp_path: Path) -> None:
    assignment = load_manifest(ASSIGNMENTS / "activations")
    wrong = tmp_path / "activations.py"
    wrong.write_text(solution_source(assignment) + "\n\ndef sigmoid_derivative(x):\n"
                     "    s = sigmoid(x)\n    return s * (1.0 + s)\n", encoding="utf-8")
    shown = subprocess.run([sys.executable, "-m", "autograder", "check", "--assignment", "activations",
                            str(wrong)], capture_output=True, text=True, cwd=ASSIGNMENTS.parent).stdout
    assert "Likely mistake (sigmoid_derivative~sign)" in shown
    assert "first wrong at x=" in shown


def test_validate_reports_a_chaff_passing_the_public_suite() -> None:
    assignment = load_manifest(ASSIGNMENTS / "activations")
    unshifted = Misconception("softmax-unshifted", "softmax", "no max shift", "test", '''
def softmax(z, axis=-1):
    e = np.exp(np.asarray(z, dtype=np.float64) + 0.0 * np.max(z))
    return e / np.sum(e, axis=axis, keepdims=True)
''')
    passing = Misconception("relu-keeps-int", "relu", "int", "test", "def relu(x):\n    return np.maximum(0, x)\n")
    hidden = Misconception("relu-keeps-int-hidden", "relu", "int", "test",
                           "def relu(x):\n    return np.maximum(0, x)\n", hidden_only=True)
    gaps = public_gaps(assignment, solution_source(assignment), Catalog((unshifted, passing, hidden)))
    assert [g.split()[1] for g in gaps] == ["relu-keeps-int"]
