"""A small made-up batch covering every section of the report (no sandbox needed)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from autograder.grading.batch import GRADEBOOK, write_student
from autograder.grading.gradebook import render_gradebook
from autograder.grading.results import GRADER_ERROR, GradeResult
from autograder.sandbox.session import CallTimedOut, WorkerDied
from tests.grading.builders import BUNDLED, outcome, result

HOSTILE_ID = '<img src=x onerror=alert(1)>\u202e"x'
"""A student id trying HTML, a bidi override and a quote (file names can hold all three)."""


def _cases(sigmoid: bool = True, relu: bool = True, misconception: str = "", message: str = "",
           kind: str = "assertion") -> tuple:  # type: ignore[type-arg]
    return (outcome("sigmoid[values]", "sigmoid", 2.0, passed=sigmoid, message=message or "sigmoid: wrong",
                    kind=kind, misconception="" if sigmoid else misconception),
            outcome("sigmoid[x=0]", "sigmoid", 1.0),
            outcome("relu[values]", "relu", 1.0, passed=relu, message="relu(x=[-1]): got -1, should be 0"))


def made_up_batch() -> list[GradeResult]:
    """Seven students: full marks, two misconceptions, a timeout, a crash, unloadable, a kit failure."""
    timed_out = str(CallTimedOut("sigmoid", 5.0))
    crashed = str(WorkerDied("the worker was killed by SIGKILL", "relu"))
    results = [
        result(*_cases(), student_id="alice"),
        result(*_cases(sigmoid=False, misconception="sigmoid-derivative-is-sigmoid"), student_id="bob"),
        result(*_cases(sigmoid=False, relu=False, misconception="sigmoid-derivative-is-sigmoid"),
               student_id=HOSTILE_ID),
        result(*_cases(sigmoid=False, message=timed_out, kind="student"), student_id="carol"),
        result(outcome("sigmoid[values]", "sigmoid", 2.0), outcome("sigmoid[x=0]", "sigmoid", 1.0),
               outcome("relu[values]", "relu", 1.0, passed=False, message=crashed, kind="student"),
               student_id="dave"),
        result(student_id="erin", max_score=4.0, error="the submission could not be loaded: SyntaxError: <b>",
               error_kind="submission"),
        result(student_id="frank", max_score=4.0, error=GRADER_ERROR, error_kind="grader", detail="kit: boom"),
    ]
    times = {"alice": 2.0, "bob": 3.0, HOSTILE_ID: 1.0, "carol": 9.5, "dave": 4.0, "erin": 0.2, "frank": 0.0}
    sandboxes = {"erin": "none", "frank": "none"}
    return [replace(r, execution_time=times[r.student_id], sandbox=sandboxes.get(r.student_id, "bwrap"))
            for r in results]


def write_made_up_batch(out: Path) -> list[GradeResult]:
    """The made-up batch written like ``grade --out`` does (bundled activations assignment)."""
    results = made_up_batch()
    for graded in results:
        write_student(graded, out, BUNDLED)
    (out / GRADEBOOK).write_text(render_gradebook(results), encoding="utf-8")
    return results

