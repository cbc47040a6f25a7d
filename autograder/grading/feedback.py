"""``feedback.md``: what failed, on which input, expected against got, and a hint."""

from __future__ import annotations

from collections import defaultdict

from autograder.escaping import markdown_text
from autograder.grading.outcomes import TestOutcome
from autograder.grading.results import GradeResult

MAX_CASES_SHOWN = 5


def _by_group(tests: tuple[TestOutcome, ...]) -> dict[str, list[TestOutcome]]:
    groups: dict[str, list[TestOutcome]] = defaultdict(list)
    for test in tests:
        groups[test.group].append(test)
    return groups


def _group_section(group: str, tests: list[TestOutcome]) -> list[str]:
    failed = [t for t in tests if not t.passed]
    lost = sum(t.max_score for t in failed)
    lines = [f"### `{group}`: {len(failed)} of {len(tests)} checks failed (-{lost:g} points)", ""]
    for test in failed[:MAX_CASES_SHOWN]:
        message = markdown_text(test.message.strip()).replace("\n", "\n  ")
        lines.append(f"- `{test.name}`: {message}")
    if len(failed) > MAX_CASES_SHOWN:
        lines.append(f"- ... and {len(failed) - MAX_CASES_SHOWN} more like these")
    return [*lines, ""]


def render_feedback(result: GradeResult, title: str = "") -> str:
    """The Markdown feedback a student reads; every student-controlled text in it is escaped."""
    heading = markdown_text(f"{title or result.assignment_id} ({result.student_id})")
    lines = [f"# Feedback: {' '.join(heading.split())}", "", f"**{markdown_text(result.summary())}**", ""]
    for warning in result.warnings:
        lines.append(f"> Note: {markdown_text(warning)}".replace("\n", "\n> "))
    if result.warnings:
        lines.append("")
    if result.error:
        return "\n".join([*lines, "Nothing could be graded, so every test scores 0.", ""])
    groups = _by_group(result.tests)
    failing = {g: ts for g, ts in groups.items() if not all(t.passed for t in ts)}
    if not failing:
        return "\n".join([*lines, "Every check passed. Well done.", ""])
    lines += ["## What to fix", ""]
    for group, tests in failing.items():
        lines += _group_section(group, tests)
    passing = [g for g in groups if g not in failing]
    if passing:
        lines += ["## Passing", "", ", ".join(f"`{g}`" for g in passing), ""]
    return "\n".join(lines)
