"""``feedback.html``: ``feedback.md``'s content for a browser, grouped by skill.

Per skill short of full marks: the points (a meter), every failing check with
its message (the input, expected and returned values, the hint and the likely
misconception), why contract points are held back, and the names of the checks
that passed. Then the skills with full marks. With the manifest's
``feedback = "names"`` a failing check shows its name only.

No plot of the student's function against the reference: ``results.json``
keeps, per failing check, its message (the first wrong input with the values
there and a few elided array entries), not the values over the tested range,
and one point is clearer as the sentence it already is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autograder.grading.feedback import MAX_CASES_SHOWN
from autograder.grading.results import UNCREDITED_CONTRACT, GradeResult, skill_cases
from autograder.report.render import render

FULL = 1e-9


def _skill(name: str, tests: list[Any], title: str) -> dict[str, Any]:
    earned, possible = sum(t.earned for t in tests), sum(t.max_score for t in tests)
    return {"name": name, "title": title, "earned": earned, "possible": possible, "checks": len(tests),
            "failed": [{"name": t.name, "message": t.message.strip(), "misconception": t.misconception}
                       for t in tests if not t.passed],
            "passed": [t.name for t in tests if t.passed],
            "uncredited": any(t.passed and t.earned < t.max_score - FULL for t in tests),
            "short": possible - earned > FULL}


def render_feedback_html(result: GradeResult, title: str = "", *, skills: Mapping[str, str] | None = None,
                         detail: str = "full") -> str:
    """The HTML feedback page; ``skills`` maps skill names to their titles (the manifest's)."""
    titles = skills or {}
    groups = [] if result.error else [_skill(name, tests, titles.get(name, ""))
                                      for name, tests in skill_cases(result.tests).items()]
    return render("feedback.html", title=title or result.assignment_id, assignment_id=result.assignment_id,
                  student=result.student_id, summary=result.summary(), score=result.score,
                  max_score=result.max_score, error=bool(result.error), warnings=result.warnings,
                  full_marks=not result.error and not any(g["short"] for g in groups),
                  short=[g for g in groups if g["short"]], full=[g for g in groups if not g["short"]],
                  detail=detail, cases_shown=MAX_CASES_SHOWN, uncredited=UNCREDITED_CONTRACT)
