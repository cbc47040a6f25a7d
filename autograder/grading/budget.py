"""A submission's time budget, relative to the instructor solution's own time.

``autograder validate`` grades the solution and records how long that took in
``assignments/<id>/timing.toml``. A submission may then take at most
``BUDGET_FACTOR`` times as long (never less than ``BUDGET_FLOOR_S``, never more
than the manifest's ``submission_timeout_s``). A slow submission keeps the
checks it reached; the rest fail with "time budget exhausted", so one student
cannot hold a grading slot for minutes.
"""

from __future__ import annotations

import math
import tomllib

from autograder.assignment import Assignment

BUDGET_FACTOR = 20.0
"""How many times the solution's grading time a submission may take."""
BUDGET_FLOOR_S = 30.0
"""The least any submission gets: room for a loaded machine and a slow but honest loop."""
TIMING_FILE = "timing.toml"


def recorded_solution_seconds(assignment: Assignment) -> float | None:
    """The solution's grading time recorded by ``validate``, if any (a broken record counts as none)."""
    try:
        raw = tomllib.loads((assignment.root / TIMING_FILE).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    value = raw.get("solution_seconds")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        return None
    return float(value)


def time_budget_s(assignment: Assignment) -> float:
    """The wall-clock seconds one submission's checks may take in all."""
    cap = assignment.limits.submission_timeout_s
    recorded = recorded_solution_seconds(assignment)
    if recorded is None:
        return cap
    return min(cap, max(BUDGET_FLOOR_S, BUDGET_FACTOR * recorded))


def record_solution_seconds(assignment: Assignment, seconds: float) -> str:
    """Write the solution's grading time next to the manifest; a note saying what was done."""
    text = ("# Written by `autograder validate`: how long grading the instructor solution took.\n"
            f"# Submissions get {BUDGET_FACTOR:g} times this (at least {BUDGET_FLOOR_S:g} s, at most the\n"
            "# manifest's submission_timeout_s); see autograder/grading/budget.py.\n"
            f"solution_seconds = {seconds:.3f}\n")
    try:
        (assignment.root / TIMING_FILE).write_text(text, encoding="utf-8")
    except OSError as err:
        return f"solution grading time {seconds:.2f} s not recorded: {err}"
    return f"solution grading time {seconds:.2f} s recorded; time budget {time_budget_s(assignment):.1f} s"
