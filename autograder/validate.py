"""Build-time self-checks of an assignment's suites: the suite as a measuring instrument.

The hidden suite must: collect at least one test; give every case a manifest
skill, and every skill at least one value check; cite, in every contract check,
the rule it enforces, and cite only rules the student material states
(``autograder.suite.rules``: the release README or a docstring of the stub); score 100% on the
instructor's solution and 0 on the generated stub; and compare only against
values derived from the reference (a typed-in expectation raises
``UnderivedExpectation``, which shows up here). The public suite must pass on
the solution too.

Then the catalog (``autograder/catalog.py``) and the floor
(``autograder/degenerate.py``): every chaff must lose points and be diagnosed
by its own id; every wheat must score 100%; every degenerate submission must
score under ``FLOOR`` of the total. The mutation score is the share of chaffs
caught (losing points).
"""

from __future__ import annotations

import contextlib
import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from autograder.assignment import Assignment
from autograder.catalog import SEPARATOR, CatalogError, load_catalog, with_redefinition
from autograder.degenerate import FLOOR, degenerate_submissions
from autograder.grading.budget import record_solution_seconds, time_budget_s
from autograder.grading.grade import grade_loaded
from autograder.grading.outcomes import CaseOutcome, exception_name
from autograder.grading.results import GradeResult
from autograder.grading.run import readable_name, run_suite
from autograder.release import solution_source, stub_source
from autograder.release.readme import student_readme
from autograder.submission import Submission
from autograder.suite.expect import UnderivedExpectation
from autograder.suite.rules import cite, malformed, rules_of, stated_in
from autograder.tolerances import POINTS
from autograder.wording import plural

UNDERIVED = exception_name(UnderivedExpectation)
"""What a case that compared against a value typed by hand raised (``CaseOutcome.raised``)."""


@dataclass(frozen=True)
class Trial:
    """One known submission graded during validation, and whether it behaved as it must."""

    kind: str
    """``chaff``, ``wheat`` or ``degenerate``."""
    id: str
    function: str
    score: float
    max_score: float
    diagnosed: tuple[str, ...]
    ok: bool
    why: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ValidationReport:
    """Problems found (empty when the assignment is sound) and the scores behind them."""

    assignment_id: str
    problems: tuple[str, ...]
    solution: GradeResult
    stub: GradeResult
    public: GradeResult
    notes: tuple[str, ...] = field(default=())
    trials: tuple[Trial, ...] = field(default=())

    @property
    def mutation_score(self) -> float:
        """The share of chaffs that lose points (1.0 when there are none)."""
        chaffs = [t for t in self.trials if t.kind == "chaff"]
        caught = [t for t in chaffs if t.score < t.max_score - 1e-9]
        return len(caught) / len(chaffs) if chaffs else 1.0

    def as_json(self) -> dict[str, Any]:
        return {"assignment": self.assignment_id, "ok": self.ok, "problems": list(self.problems),
                "solution": self.solution.score, "stub": self.stub.score,
                "max_score": self.solution.max_score, "mutation_score": self.mutation_score,
                "notes": list(self.notes), "trials": [t.as_json() for t in self.trials]}

    @property
    def ok(self) -> bool:
        return not self.problems


def _grade_source(assignment: Assignment, source: str, name: str, suite: Path | None) -> GradeResult:
    submission = Submission(student_id=name, source=source, origin=assignment.source_path)
    return grade_loaded(assignment, submission, suite=suite)


def _why(test: CaseOutcome) -> str:
    """One line: the student-facing message, or for a suite problem its last traceback line."""
    if test.kind == "grader":
        lines = [line for line in test.detail.splitlines() if line.strip()]
        return lines[-1] if lines else test.message
    return test.message.splitlines()[0] if test.message else test.kind


def _failures(result: GradeResult, limit: int = 8) -> str:
    failed = [f"{t.name}: {_why(t)}" for t in result.tests if not t.passed]
    more = f" (+{len(failed) - limit} more)" if len(failed) > limit else ""
    return "; ".join(failed[:limit]) + more


def _problems(assignment: Assignment, solution: GradeResult, stub: GradeResult,
              public: GradeResult) -> list[str]:
    problems = [f"{label}: {r.detail or r.error}" for label, r in
                (("solution", solution), ("stub", stub), ("public suite", public)) if r.error]
    if problems:
        return problems
    underived = [t.name for t in solution.tests if t.raised == UNDERIVED]
    if underived:
        problems.append(f"expected values not derived from the reference in: {', '.join(underived)}")
    total = sum(t.max_score for t in solution.tests)
    if not math.isclose(total, assignment.total_points, rel_tol=0, abs_tol=1e-9):
        problems.append(f"hidden cases add up to {total:g} points, manifest says {assignment.total_points:g}")
    if solution.score < solution.max_score - 1e-9:
        problems.append(f"the solution scores {solution.score:g}/{solution.max_score:g}: {_failures(solution)}")
    if stub.score > 0:
        passing = ", ".join(t.name for t in stub.tests if t.passed)
        problems.append(f"the stub scores {stub.score:g}, should be 0; passing: {passing}")
    if public.score < public.max_score - 1e-9:
        problems.append(f"the solution fails public tests: {_failures(public)}")
    return problems


def _skill_problems(assignment: Assignment, solution: GradeResult) -> list[str]:
    valued = {t.group for t in solution.tests if not t.contract}
    missing = [s.name for s in assignment.credit.skills if s.name not in valued]
    return [f"skills with no value check in the hidden suite: {', '.join(missing)}"] if missing else []


@dataclass(frozen=True)
class CitedRules:
    """A hidden case's rule ids, and whether it is a contract check."""

    name: str
    contract: bool
    rules: tuple[str, ...]


class _RuleReader:
    """A pytest plugin that reads each collected case's rule markers (no case runs)."""

    def __init__(self) -> None:
        self.cases: list[CitedRules] = []

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        self.cases.append(CitedRules(readable_name(item), item.get_closest_marker("contract") is not None,
                                     rules_of(item)))


def cited_rules(assignment: Assignment) -> tuple[list[CitedRules], tuple[str, ...]]:
    """Every hidden case's cited rules, collected without running a case; and collection errors."""
    reader = _RuleReader()
    run = run_suite(assignment.hidden_tests, lambda: contextlib.nullcontext(None), skills=(), plugins=[reader])
    return reader.cases, run.errors


def stated_rules(assignment: Assignment) -> frozenset[str]:
    """The rule ids the student material states: the release README and the stub's docstrings."""
    return stated_in(student_readme(assignment)) | stated_in(stub_source(assignment))


def _rule_problems(assignment: Assignment) -> list[str]:
    """A hidden check that cites a rule the students cannot read, or a contract check that cites none."""
    cases, errors = cited_rules(assignment)
    if errors:
        return [f"hidden suite: {e}" for e in errors]
    stated = stated_rules(assignment)
    problems = []
    bad = sorted({i for case in cases for i in malformed(case.rules)})
    if bad:
        problems.append(f"malformed rule ids in the hidden suite: {', '.join(bad)}")
    unstated: dict[str, list[str]] = {}
    for case in cases:
        for rule in case.rules:
            if rule not in stated:
                unstated.setdefault(rule, []).append(case.name)
    for rule, names in sorted(unstated.items()):
        more = f" (+{len(names) - 3} more)" if len(names) > 3 else ""
        problems.append(f"hidden checks cite rule {rule!r}, which neither the release README nor a docstring "
                        f"of the stub states (add {cite(rule)} to the sentence that says it): "
                        f"{', '.join(names[:3])}{more}")
    cited = {rule for case in cases for rule in case.rules}
    priced = [rule for rule, _ in assignment.credit.rule_costs if rule not in cited]
    if priced:  # a misspelt rule id would otherwise price nothing, silently
        problems.append(f"the manifest's [rules] prices rules no hidden check cites: {', '.join(priced)}")
    bare = [case.name for case in cases if case.contract and not case.rules]
    if bare:
        more = f" (+{len(bare) - 5} more)" if len(bare) > 5 else ""
        problems.append(f"contract checks citing no rule (@pytest.mark.rule): {', '.join(bare[:5])}{more}")
    return problems


def _diagnoses(result: GradeResult) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part for t in result.tests if t.misconception
                               for part in t.misconception.split(SEPARATOR)))


def _cost_problem(result: GradeResult, cost: tuple[float, float] | None) -> str:
    """Why the chaff's cost falls outside its catalog range ("" when it has none or is inside)."""
    if cost is None:
        return ""
    lost = result.max_score - result.score
    if cost[0] - POINTS <= lost <= cost[1] + POINTS:
        return ""
    return f"costs {lost:.4g} points, outside its expected cost [{cost[0]:g}, {cost[1]:g}]"


def _chaff_trial(result: GradeResult, misconception_id: str, function: str,
                 cost: tuple[float, float] | None = None) -> Trial:
    found = _diagnoses(result)
    lost = result.score < result.max_score - 1e-9
    why = "" if lost else "scores full marks: the suite does not catch it"
    if lost and misconception_id not in found:
        why = f"not diagnosed as {misconception_id} (diagnosed: {', '.join(found) or 'nothing'})"
    why = "; ".join(w for w in (why, _cost_problem(result, cost)) if w)
    return Trial("chaff", misconception_id, function, result.score, result.max_score, found, not why, why)


def _wheat_trial(result: GradeResult, wheat_id: str, function: str) -> Trial:
    full = result.score >= result.max_score - 1e-9 and not result.error
    why = "" if full else f"a correct variant scores {result.score:.4g}: {result.error or _failures(result, 3)}"
    return Trial("wheat", wheat_id, function, result.score, result.max_score, _diagnoses(result), full, why)


def _degenerate_trial(result: GradeResult, name: str) -> Trial:
    under = result.score < FLOOR * result.max_score
    why = "" if under else f"scores {result.score:.4g}, above the floor of {FLOOR:.0%}: {_passing(result)}"
    return Trial("degenerate", name, "*", result.score, result.max_score, _diagnoses(result), under, why)


def _passing(result: GradeResult) -> str:
    earning = [f"{t.name} (+{t.earned:.2g})" for t in result.tests if t.earned > 0]
    return ", ".join(earning[:6]) + (f" (+{len(earning) - 6} more)" if len(earning) > 6 else "")


def _grade_sources(assignment: Assignment, named: list[tuple[str, str]], jobs: int) -> list[GradeResult]:
    """Grade each (name, source) against the hidden suite, ``jobs`` at a time, in order."""
    if jobs <= 1 or len(named) <= 1:
        return [_grade_source(assignment, source, name, None) for name, source in named]
    from autograder.grading.pool import pool_context

    with ProcessPoolExecutor(max_workers=jobs, mp_context=pool_context()) as pool:
        futures = [pool.submit(_grade_source, assignment, source, name, None) for name, source in named]
        return [future.result() for future in futures]


def _trials(assignment: Assignment, solution: str, stub: str, jobs: int) -> tuple[list[Trial], list[str]]:
    try:
        catalog = load_catalog(assignment)
    except CatalogError as err:
        return [], [str(err)]
    degenerates = degenerate_submissions(assignment, solution, stub)
    named = ([(m.id, with_redefinition(solution, m.chaff)) for m in catalog.misconceptions]
             + [(w.id, with_redefinition(solution, w.code)) for w in catalog.wheats]
             + [(d.name, d.source) for d in degenerates])
    results = iter(_grade_sources(assignment, named, jobs))
    trials = [_chaff_trial(next(results), m.id, m.function, m.cost) for m in catalog.misconceptions]
    trials += [_wheat_trial(next(results), w.id, w.function) for w in catalog.wheats]
    trials += [_degenerate_trial(next(results), d.name) for d in degenerates]
    return trials, [f"{t.kind} {t.id}: {t.why}" for t in trials if not t.ok]


def _timing_note(assignment: Assignment, solution: GradeResult, record: bool) -> str:
    if not record:
        return (f"solution graded in {solution.execution_time:.2f} s; submissions get "
                f"{time_budget_s(assignment):.1f} s (--record-timing to base it on this run)")
    if solution.error or solution.score < solution.max_score - 1e-9:
        return "solution grading time not recorded: the solution does not score full marks"
    return record_solution_seconds(assignment, solution.execution_time)


def validate_assignment(assignment: Assignment, *, trials: bool = True, record_timing: bool = False,
                        jobs: int | None = None) -> ValidationReport:
    """Run every self-check of ``assignment`` and report the problems found.

    ``trials=False`` skips the catalog and the floor (the quick check);
    ``record_timing`` writes the solution's grading time, which sets every
    submission's time budget (``autograder/grading/budget.py``); ``jobs`` grading
    processes grade the trials (default: the cores)."""
    solution_text, stub_text = solution_source(assignment), stub_source(assignment)
    solution = _grade_source(assignment, solution_text, "solution", None)
    stub = _grade_source(assignment, stub_text, "stub", None)
    public = _grade_source(assignment, solution_text, "solution", assignment.public_tests)
    notes: tuple[str, ...] = (f"hidden suite: {plural(len(solution.tests), 'case')}, "
             f"{plural(len(assignment.credit.skills), 'skill')}, {plural(solution.max_score, 'point')}",
             f"public suite: {plural(len(public.tests), 'case')}",
             f"sandbox: {solution.sandbox}", _timing_note(assignment, solution, record_timing))
    problems = (_problems(assignment, solution, stub, public) + _skill_problems(assignment, solution)
                + _rule_problems(assignment))
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    done, trial_problems = _trials(assignment, solution_text, stub_text, workers) if trials else ([], [])
    if trials:  # what `check` would let through, for the instructor to close or mark hidden-only
        from autograder.public_gaps import public_gaps

        notes += tuple(public_gaps(assignment, solution_text, load_catalog(assignment)))
    return ValidationReport(assignment.id, tuple(problems + trial_problems), solution, stub, public,
                            notes, tuple(done))
