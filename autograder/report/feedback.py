"""``feedback.html``: ``feedback.md``'s content for a browser, grouped by skill.

Per skill short of full marks: the points (a meter), every failing check with
its message (the input, expected and returned values, the hint and the likely
misconception), why contract points are held back, and the names of the checks
that passed. Then the skills with full marks. With the manifest's
``feedback = "names"`` a failing check shows its name only.

With ``feedback = "full"``, a failing value check over a 1-D range (its
``Curve``: the tested x, the student's values and the reference's) is drawn
under its message: the reference as a line, the student's values as points, the
wrong ones in red. A picture shows at once what the sentence "first wrong at
x=..." cannot: a mirrored sigmoid, a wrong slope left of 0, an overflow at
x = -1000. At most ``grading.feedback.MAX_PLOTS`` per page (the first failing checks), so a page
stays small and quick to write. With ``"names"`` no curve is ever drawn: the
hidden inputs and expected values are secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autograder.curves import Curve
from autograder.grading.feedback import MAX_CASES_SHOWN, SHEET_ALONE, graded_apart, plotted
from autograder.grading.outcomes import CaseOutcome
from autograder.grading.results import UNCREDITED_CONTRACT, GradeResult, skill_cases
from autograder.report.render import render

FULL = 1e-9


def _plot(curve: Curve) -> dict[str, str]:
    """The figure of one failing check: its SVG as a ``data:`` URI and what it shows, in words."""
    from autograder.report.charts import data_uri
    from autograder.report.curve_plot import curve_svg

    function = curve.function or "your function"
    wrong = curve.wrong_count
    alt = (f"Plot of {function} over the {len(curve.x)} tested values of {curve.x_name}: the reference as a "
           f"blue line, your values as dots, the {wrong} wrong ones in red.")
    return {"src": data_uri(curve_svg(curve)), "alt": alt, "function": function, "x_name": curve.x_name}


def _plots(tests: tuple[CaseOutcome, ...], detail: str) -> dict[int, dict[str, str]]:
    """The plots of the page, by the ``id`` of their case (which ones: ``grading.feedback.plotted``)."""
    return {id(t): _plot(t.curve) for t in plotted(tests, detail) if t.curve is not None}


def _skill(name: str, tests: list[Any], title: str, plots: dict[int, dict[str, str]]) -> dict[str, Any]:
    earned, possible = sum(t.earned for t in tests), sum(t.max_score for t in tests)
    return {"name": name, "title": title, "earned": earned, "possible": possible, "checks": len(tests),
            "failed": [{"name": t.name, "message": t.message.strip(), "misconception": t.misconception,
                        "plot": plots.get(id(t))}
                       for t in tests if not t.passed],
            "passed": [t.name for t in tests if t.passed],
            "uncredited": any(t.passed and t.earned < t.max_score - FULL for t in tests),
            "short": possible - earned > FULL}


def render_feedback_html(result: GradeResult, title: str = "", *, skills: Mapping[str, str] | None = None,
                         detail: str = "full") -> str:
    """The HTML feedback page; ``skills`` maps skill names to their titles (the manifest's)."""
    titles = skills or {}
    plots = {} if result.error else _plots(result.tests, detail)
    groups = [_skill(name, tests, titles.get(name, ""), plots)
              for name, tests in skill_cases(graded_apart(result)).items()]
    return render("feedback.html", title=title or result.assignment_id, assignment_id=result.assignment_id,
                  student=result.student_id, summary=result.summary(), score=result.score,
                  max_score=result.max_score, error=bool(result.error), warnings=result.warnings,
                  full_marks=not result.error and not any(g["short"] for g in groups),
                  short=[g for g in groups if g["short"]], full=[g for g in groups if not g["short"]],
                  detail=detail, sheet_alone=SHEET_ALONE, cases_shown=MAX_CASES_SHOWN, uncredited=UNCREDITED_CONTRACT)
