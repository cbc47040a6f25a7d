"""The diagnosis names mistakes no catalog lists: the held-out bugs, graded as students' files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from autograder.assignment import load_manifest
from autograder.catalog import Catalog, Misconception
from autograder.public_gaps import public_gaps
from autograder.solution_cache import solution_source
from tests.assignments.heldout.bugs import ASSIGNMENTS, bugs, grade

FLOOR = 0.8
"""The share of held-out bugs that must get a "Likely mistake" line (issue 19)."""


def test_first_held_out_set_is_named_at_the_floor() -> None:
    outcomes = [grade(b) for b in bugs("first")]
    named = sum(o.named_as_expected for o in outcomes)
    print(f"held-out (first): named as expected {named}/{len(outcomes)}")
    assert named >= FLOOR * len(outcomes)


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
