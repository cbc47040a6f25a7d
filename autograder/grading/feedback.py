"""``feedback.md``: per skill, what failed, on which input, expected against got, and a hint.

A failing check that ``feedback.html`` draws as a plot (``plotted``) says so
in one line: Markdown carries no picture.
"""

from __future__ import annotations

from autograder.escaping import markdown_text
from autograder.grading.outcomes import CaseOutcome
from autograder.grading.results import (
    SEPARATE_SKILLS,
    UNCREDITED_CONTRACT,
    GradeResult,
    format_points,
    notes_markdown,
    skill_cases,
)
from autograder.wording import plural

MAX_CASES_SHOWN = 5
MAX_PLOTS = 8
"""Failing checks drawn as a plot in ``feedback.html`` at most (~0.2 s and ~35 kB each)."""
SHEET_ALONE = ("Your code could not be graded, so its tests score 0. Your question sheet is a file of its own "
               "and was graded all the same:")


def graded_apart(result: GradeResult) -> tuple[CaseOutcome, ...]:
    """The cases that count: all of them, or for an errored result those graded apart from the code."""
    return tuple(t for t in result.tests if not result.error or t.group in SEPARATE_SKILLS)
PLOT_NOTE = "(feedback.html shows a plot of your values against the reference for this check)"


def plotted(tests: tuple[CaseOutcome, ...], detail: str) -> list[CaseOutcome]:
    """The failing checks ``feedback.html`` draws, and ``feedback.md`` points to: those that kept a
    curve, in the page's order (by skill), the first ``MAX_PLOTS``; none unless ``detail`` is ``"full"``
    (the curve holds the hidden inputs and the expected values)."""
    if detail != "full":
        return []
    failing = [t for cases in skill_cases(tests).values() for t in cases if not t.passed and t.curve is not None]
    return failing[:MAX_PLOTS]


def _lost(tests: list[CaseOutcome]) -> float:
    return sum(t.max_score - t.earned for t in tests)


def _skill_section(skill: str, tests: list[CaseOutcome], detail: str, drawn: frozenset[int]) -> list[str]:
    failed = [t for t in tests if not t.passed]
    earned = sum(t.earned for t in tests)
    possible = sum(t.max_score for t in tests)
    lines = [f"### `{skill}`: {format_points(earned)} / {format_points(possible)} "
             f"({len(failed)} of {plural(len(tests), 'check')} failed)", ""]
    for test in failed[:MAX_CASES_SHOWN]:
        if detail != "full":
            lines.append(f"- `{test.name}`: failed")
            continue
        message = markdown_text(test.message.strip()).replace("\n", "\n  ")
        lines.append(f"- `{test.name}`: {message}" + (f"\n  {PLOT_NOTE}" if id(test) in drawn else ""))
    if len(failed) > MAX_CASES_SHOWN:
        lines.append(f"- ... and {len(failed) - MAX_CASES_SHOWN} more like these")
    if any(t.passed and t.earned < t.max_score - 1e-9 for t in tests):
        lines.append(f"- `{skill}`: {UNCREDITED_CONTRACT}")
    return [*lines, ""]


def render_feedback(result: GradeResult, title: str = "", detail: str = "full") -> str:
    """The Markdown feedback a student reads; every student-controlled text in it is escaped.

    ``detail`` is the assignment's ``feedback`` level: ``"names"`` lists failing checks by name only.
    """
    heading = markdown_text(f"{title or result.assignment_id} ({result.student_id})")
    lines = [f"# Feedback: {' '.join(heading.split())}", "", f"**{markdown_text(result.summary())}**", "",
             *notes_markdown(result.warnings)]
    skills = skill_cases(graded_apart(result))
    if result.error and not skills:
        return "\n".join([*lines, "Nothing could be graded, so every test scores 0.", ""])
    if result.error:
        lines += [SHEET_ALONE, ""]
    short = {s: ts for s, ts in skills.items() if _lost(ts) > 1e-9}
    if not short:
        return "\n".join([*lines, "Every check passed. Well done.", ""])
    lines += ["## What to fix", ""]
    drawn = frozenset(id(t) for t in plotted(result.tests, detail))
    for skill, tests in short.items():
        lines += _skill_section(skill, tests, detail, drawn)
    full = [s for s in skills if s not in short]
    if full:
        lines += ["## Full marks", "", ", ".join(f"`{s}`" for s in full), ""]
    return "\n".join(lines)
