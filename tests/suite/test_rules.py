"""``autograder.suite.rules``: how a rule is cited by a check and stated to students."""

from __future__ import annotations

import pytest

from autograder.assignment import available_assignments, get_assignment
from autograder.release.readme import student_readme
from autograder.suite.rules import GENERAL_RULES, cite, malformed, stated_in


def test_a_rule_is_stated_by_its_citation_only() -> None:
    text = f"Raises ValueError for an unknown task {cite('raises-on-unknown-name')}. Mentions no-input-mutation."
    assert stated_in(text) == {"raises-on-unknown-name"}
    assert stated_in("(rule `Not An Id`) (rule no-input-mutation)") == frozenset()


@pytest.mark.parametrize("assignment_id", available_assignments())
def test_the_readme_states_every_general_rule(assignment_id: str) -> None:
    readme = student_readme(get_assignment(assignment_id))
    assert stated_in(readme) == {rule.id for rule in GENERAL_RULES}
    assert all(f"- {rule.stated()}" in readme for rule in GENERAL_RULES)


def test_malformed_ids_are_named() -> None:
    assert malformed(["no-input-mutation", "Bad Id", 3, "trailing-"]) == ["'Bad Id'", "3", "'trailing-'"]
