"""``validate_assignment``: the bundled assignments are sound, and each kind of broken suite is caught.

Broken suites are tiny copies of ``activations`` in a temporary folder (see
``tests.grading.builders.tiny_assignment``), so one validation costs three
short sandbox sessions (solution, stub, public suite).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.assignment import Assignment, available_assignments, get_assignment, load_manifest
from autograder.validate import ValidationReport, cited_rules, stated_rules, validate_assignment
from tests.grading.builders import TINY_POINTS, TINY_SUITE, tiny_assignment

HEADER = '''
import numpy as np
import pytest

from autograder.suite import Expected, assert_close, derive
from reference.activations import get_activation

X = np.array([0.0])
'''

GOOD_TEST = '''
@pytest.mark.skill("sigmoid")
def test_sigmoid(student):
    assert_close(student.sigmoid(X), derive(get_activation("sigmoid").__call__, X), call="sigmoid(x=0)")
'''


def validate_copy(tmp_path: Path, hidden_body: str | None = None, *, total_points: float | None = None,
                  hidden: dict[str, str] | None = None) -> ValidationReport:
    if hidden is None:
        hidden = {"test_tiny": HEADER + (hidden_body if hidden_body is not None else GOOD_TEST)}
    return validate_assignment(tiny_assignment(tmp_path, hidden=hidden, total_points=total_points), trials=False)


def test_a_sound_copy_is_valid_and_says_what_it_checked(tmp_path: Path) -> None:
    report = validate_copy(tmp_path, hidden={"test_tiny": TINY_SUITE})
    assert report.ok, report.problems
    assert report.solution.score == pytest.approx(TINY_POINTS)
    assert report.stub.score == pytest.approx(0.0)
    assert report.public.score == pytest.approx(report.public.max_score)
    assert report.notes[0] == f"hidden suite: 3 cases, 2 skills, {TINY_POINTS:g} points"
    assert report.notes[-1].startswith("solution graded in ")


@pytest.mark.parametrize(("body", "total", "problem"), [
    pytest.param(GOOD_TEST + '''
def test_forgotten(student):
    assert student.sigmoid(X) is not None
''', None, "solution: forgotten has no valid skill marker", id="test-without-a-skill"),
    pytest.param('''
@pytest.mark.skill("sigmoid")
def test_typed(student):
    assert_close(student.sigmoid(X), 0.5, call="sigmoid(x=0)")
''', None, "expected values not derived from the reference in: typed", id="raw-float-expectation"),
    pytest.param('''
@pytest.mark.skill("sigmoid")
def test_numpy_oracle(student):
    assert_close(student.sigmoid(X), derive(lambda x: 1 / (1 + np.exp(-x)), X), call="sigmoid(x=0)")
''', None, "expected values not derived from the reference in: numpy_oracle", id="derived-from-lambda"),
    pytest.param(GOOD_TEST, None, "skills with no value check in the hidden suite: relu", id="skill-never-checked"),
    pytest.param("", None, "collected no tests", id="empty-hidden-suite"),
    pytest.param(GOOD_TEST.replace("points(3)", "points(2)") + '''
@pytest.mark.skill("sigmoid")
def test_has_sigmoid(student):
    assert student.has("sigmoid")
''', None, "the stub scores 1, should be 0; passing: has_sigmoid", id="test-the-stub-passes"),
])
def test_a_broken_hidden_suite_is_reported(tmp_path: Path, body: str, total: float | None, problem: str) -> None:
    report = validate_copy(tmp_path, body, total_points=total)
    assert not report.ok
    assert any(problem in p for p in report.problems), report.problems


def test_a_hand_built_expected_is_reported(tmp_path: Path) -> None:
    report = validate_copy(tmp_path, '''
@pytest.mark.skill("sigmoid")
def test_typed(student):
    assert_close(student.sigmoid(X), Expected(value=[0.5], derived_from="typed"), call="sigmoid(x=0)")
''')
    assert not report.ok


def test_a_public_suite_the_solution_fails_is_reported(tmp_path: Path) -> None:
    public = {"test_public": HEADER + '''
@pytest.mark.skill("sigmoid")
def test_public_sigmoid(student):
    assert_close(student.sigmoid(X), derive(get_activation("relu").__call__, X), call="sigmoid(x=0)")
'''}
    report = validate_assignment(tiny_assignment(tmp_path, public=public), trials=False)
    assert any(p.startswith("the solution fails public tests: public_sigmoid") for p in report.problems), \
        report.problems


RELU_CONTRACT = '''
@pytest.mark.skill("relu")
@pytest.mark.contract{rule}
def test_relu_keeps_its_input(student):
    student.with_options(readonly_inputs=True).relu(np.array([-1.0, 2.0]))
'''


@pytest.mark.parametrize(("rule", "problem"), [
    pytest.param('\n@pytest.mark.rule("no-input-mutation")', "", id="stated-in-the-readme"),
    pytest.param('\n@pytest.mark.rule("kink-takes-the-left-branch")', "", id="stated-in-a-docstring"),
    pytest.param('\n@pytest.mark.rule("relu-of-nan-is-zero")',
                 "hidden checks cite rule 'relu-of-nan-is-zero', which neither the release README nor a "
                 "docstring of the stub states", id="stated-nowhere"),
    pytest.param("", "contract checks citing no rule (@pytest.mark.rule): relu_keeps_its_input", id="no-rule"),
    pytest.param('\n@pytest.mark.rule("No Input Mutation")', "malformed rule ids in the hidden suite: "
                 "'No Input Mutation'", id="malformed"),
])
def test_every_contract_check_cites_a_rule_the_release_states(tmp_path: Path, rule: str, problem: str) -> None:
    report = validate_copy(tmp_path, hidden={"test_tiny": TINY_SUITE + RELU_CONTRACT.format(rule=rule)})
    if not problem:
        assert report.ok, report.problems
    else:
        assert any(p.startswith(problem) for p in report.problems), report.problems


@pytest.mark.parametrize("assignment_id", available_assignments())
def test_each_bundled_hidden_check_cites_only_stated_rules(assignment_id: str) -> None:
    """Every contract check names its rule, and the release (README or docstring) states it."""
    assignment = get_assignment(assignment_id)
    cases, errors = cited_rules(assignment)
    assert errors == ()
    assert all(case.rules for case in cases if case.contract)
    cited = {rule for case in cases for rule in case.rules}
    assert cited and cited <= stated_rules(assignment)


def test_choose_activation_s_unknown_names_are_a_stated_rule() -> None:
    assignment = get_assignment("vanishing")
    cases, _ = cited_rules(assignment)
    assert any("raises-on-unknown-name" in case.rules for case in cases if case.name.startswith("choose_activation"))
    assert "raises-on-unknown-name" in stated_rules(assignment)


@pytest.mark.slow
@pytest.mark.parametrize("assignment_id", available_assignments())
def test_each_bundled_assignment_is_valid(assignment_id: str) -> None:
    assignment = get_assignment(assignment_id)
    report = validate_assignment(assignment)
    assert report.ok, report.problems
    assert report.solution.score == pytest.approx(assignment.total_points)
    assert report.stub.score == pytest.approx(0.0) and len(report.stub.tests) == len(report.solution.tests)
    assert report.mutation_score == pytest.approx(1.0)
    degenerate = [t for t in report.trials if t.kind == "degenerate"]
    assert len(degenerate) == 7 and all(t.score < 0.05 * assignment.total_points for t in degenerate)


def test_the_catalogs_hold_enough_chaffs_and_wheats() -> None:
    from autograder.catalog import load_catalog

    catalogs = [load_catalog(get_assignment(a)) for a in available_assignments()]
    assert sum(len(c.misconceptions) for c in catalogs) >= 25
    assert sum(len(c.wheats) for c in catalogs) >= 10


# --------------------------------------------------------------------------
# A chaff's expected cost (misconceptions.toml `cost = [low, high]`)

SIGMOID_CHAFF = """
[[misconception]]
id = "{id}"
function = "sigmoid"
explanation = "You wrote 1 / 1 + np.exp(-x), which is 1 + e^(-x)."
source = "operator precedence"
cost = {cost}
chaff = '''
def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return 1 / 1 + np.exp(-x)
'''
"""


def test_a_chaff_outside_its_cost_range_fails_validate(tmp_path: Path) -> None:
    """The tiny sigmoid is worth 2 points over two cases; the precedence chaff fails both."""
    assignment = tiny_assignment(tmp_path)
    assignment.misconceptions_path.write_text(
        SIGMOID_CHAFF.format(id="sigmoid-precedence-one-over-one", cost="[0.5, 1.0]"), encoding="utf-8")
    report = validate_assignment(assignment, jobs=1)
    assert any(p.startswith("chaff sigmoid-precedence-one-over-one:") and
               "costs 2 points, outside its expected cost [0.5, 1]" in p for p in report.problems), report.problems
    assignment.misconceptions_path.write_text(
        SIGMOID_CHAFF.format(id="sigmoid-precedence-one-over-one", cost="[1.5, 2]"), encoding="utf-8")
    report = validate_assignment(assignment, jobs=1)
    assert not any("expected cost" in p for p in report.problems), report.problems


@pytest.mark.parametrize("cost", ["[2, 1]", "[-1, 1]", "[1]", "[0, 1, 2]", '["a", "b"]', "1", "[true, 2]"])
def test_a_malformed_cost_range_is_a_catalog_error(tmp_path: Path, cost: str) -> None:
    from autograder.catalog import CatalogError, load_catalog

    assignment = tiny_assignment(tmp_path)
    assignment.misconceptions_path.write_text(SIGMOID_CHAFF.format(id="c", cost=cost), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"cost should be \[low, high\] points with 0 <= low <= high, got "):
        load_catalog(assignment)


def test_a_rule_cost_no_hidden_check_cites_is_reported(tmp_path: Path) -> None:
    assignment = tiny_assignment(tmp_path)
    text = assignment.root.joinpath("manifest.toml").read_text(encoding="utf-8")
    assignment.root.joinpath("manifest.toml").write_text(
        text.replace("[limits]", "[rules]\nno-input-mutaton = 0.3\n\n[limits]", 1), encoding="utf-8")
    report = validate_copy_of(assignment)
    assert "the manifest's [rules] prices rules no hidden check cites: no-input-mutaton" in report.problems


def validate_copy_of(assignment: Assignment) -> ValidationReport:
    return validate_assignment(load_manifest(assignment.root), trials=False)
