"""A graded submission, and its Gradescope ``results.json`` form.

The format is Gradescope's autograder results specification: top-level
``score``, ``execution_time``, ``output`` and ``tests``; each test has
``name``, ``score``, ``max_score``, ``status``, ``output`` and ``visibility``.
Kit-specific facts (sandbox kind, group totals, warnings, the sha256 of the
submission's content) go in ``extra_data``.

One Gradescope test per skill: its score is what the skill earned, its
``output`` names the skill's failing cases (the first few, each with its
input, the expected and the returned value, and the misconception when one is
recognised). Every case, with its own points, stays in the entry's
``extra_data.cases`` for instructors, so the file is read back whole by
``--resume``. With ``feedback = "full"`` a failing value check over a 1-D range
also keeps its ``curve`` there (x, the values returned, the reference's, the
indices that are off: what ``feedback.html`` plots); with ``"names"`` never.

The ``output`` fields are declared Markdown (``output_format``/``test_output_format``
``md``) and hold student-controlled text escaped by ``autograder.escaping``; the
cases in ``extra_data`` keep the raw text (Gradescope never renders them).
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from autograder.curves import from_json as curve_from_json
from autograder.curves import to_json as curve_json
from autograder.escaping import markdown_text
from autograder.grading.outcomes import CaseOutcome

ErrorKind = Literal["", "submission", "grader"]
"""Why a submission scored 0 without its tests counting: ``submission`` (the student's problem, still
a grade), ``grader`` (the kit failed), or ``""`` (no such error: the tests counted)."""

RESULTS_FORMAT_VERSION = 2
MAX_CASES_IN_OUTPUT = 3
"""Failing cases a skill's ``output`` spells out; the rest are counted."""
UNCREDITED_CONTRACT = ("its contract checks (int input, shapes, no mutation, stability) earn only as far "
                       "as its values are right")
GRADER_ERROR = ("the grader could not run the hidden tests (a problem in the kit, not in your "
                "code); your instructor can see why and will regrade")
"""What a student is told when the kit failed; the details stay in ``GradeResult.detail``."""


def format_points(value: float) -> str:
    """Points as people read them: at most 2 decimals, no trailing zeros (``results.json`` keeps all)."""
    return f"{round(value, 2):g}"

SEPARATE_SKILLS = frozenset({"questions", "worked_numbers"})
"""Skills graded from a file of their own (the question sheet's ``answers.toml``), not from the code:
a submission whose code fails to load, or that the kit failed on, still earns them; every other
skill of an errored result fails closed."""


@dataclass(frozen=True)
class GradeResult:
    """Everything known about one graded submission. Plain data only."""

    student_id: str
    assignment_id: str
    tests: tuple[CaseOutcome, ...]
    max_score: float
    execution_time: float
    sandbox: str
    error: str = ""
    """Why the submission scored 0 without its tests counting (unreadable, crashed at import...)."""
    error_kind: ErrorKind = ""
    """``submission`` (the student's problem: still a grade) or ``grader`` (the kit failed)."""
    warnings: tuple[str, ...] = field(default=())
    student_output: str = ""
    detail: str = ""
    """For the instructor: what went wrong inside the kit (never shown in feedback)."""
    submission_sha256: str = ""
    """The submission's content hash when it was graded (``autograder.fingerprint``); "" if unknown."""
    needs_look: tuple[str, ...] = field(default=())
    """Why an instructor should look at it, as grading found (``autograder.grading.needs_look``)."""

    @property
    def score(self) -> float:
        """The points earned; with an error, only those of the skills graded apart from the code."""
        return round(sum(t.earned for t in self.tests if not self.error or t.group in SEPARATE_SKILLS), 6)

    @property
    def grader_failures(self) -> int:
        """Tests the suite itself could not run (scored 0, to be looked at by the instructor)."""
        return sum(t.kind == "grader" and not t.passed for t in self.tests)

    @property
    def graded(self) -> bool:
        """True when the kit graded every test (a student's error still counts as graded)."""
        return self.error_kind != "grader" and self.grader_failures == 0

    def group_scores(self) -> dict[str, tuple[float, float]]:
        """(score, max_score) per test group, in suite order."""
        groups: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for test in self.tests:
            groups[test.group][0] += 0.0 if self.error and test.group not in SEPARATE_SKILLS else test.earned
            groups[test.group][1] += test.max_score
        return {name: (round(s, 6), round(m, 6)) for name, (s, m) in groups.items()}

    @property
    def misconceptions(self) -> tuple[str, ...]:
        """The ids of the known misconceptions recognised, in suite order."""
        return tuple(dict.fromkeys(t.misconception for t in self.tests if t.misconception))

    def scores_only(self) -> GradeResult:
        """The same grade, one outcome per skill, without what only its own pages show (failure
        messages, plots, printed output): what a batch keeps in memory once those pages are
        written, so grading thousands costs a few kilobytes per student, not the megabytes of
        their failing values. Scores per skill, the kit's failures (and their details) and the
        misconceptions are kept; the cases are in the student's ``results.json``."""
        tests = tuple(outcome for skill, cases in skill_cases(self.tests).items()
                      for outcome in _skill_scores(skill, cases))
        return dataclasses.replace(self, tests=tests, student_output="")

    def for_report(self) -> GradeResult:
        """The same grade with what the batch report reads, and little more: each failing case as
        it is (its message names a timeout or a crash) but without its plot; the plain passing
        cases of a skill pooled into one outcome holding their points, where the skill's first
        one was; no printed output. A report over thousands of students then holds a few
        kilobytes per student, not every case of every one."""
        kept: list[CaseOutcome | list[CaseOutcome]] = []
        pooled: dict[str, list[CaseOutcome]] = {}
        for case in self.tests:
            if _pooled_in_report(case.passed, case.misconception, case.kind):
                if case.group not in pooled:
                    kept.append(pooled.setdefault(case.group, []))
                pooled[case.group].append(case)
            else:
                kept.append(dataclasses.replace(case, curve=None) if case.curve is not None else case)
        tests = tuple(_pooled(entry) if isinstance(entry, list) else entry for entry in kept)
        return dataclasses.replace(self, tests=tests, student_output="")

    def summary(self) -> str:
        """One student-facing line; a kit failure never shows its details here."""
        if self.error:
            reason = GRADER_ERROR if self.error_kind == "grader" else self.error
            return f"Score {format_points(self.score)} / {format_points(self.max_score)}: {reason}"
        skills = skill_cases(self.tests)
        mastered = sum(all(t.earned >= t.max_score - 1e-9 for t in cases) for cases in skills.values())
        return (f"Score {format_points(self.score)} / {format_points(self.max_score)} "
                f"({mastered} of {len(skills)} skills full marks)")


NOTES_HEADING = "## Notes on how your code ran"
NOTES_INTRO = ("Your code ran one statement at a time, as a notebook runs its cells. These lines were "
               "skipped or failed; everything else ran and was graded:")


def notes_markdown(warnings: tuple[str, ...]) -> list[str]:
    """The notes on how the submission ran (cell, line, what happened) as a Markdown section, escaped."""
    if not warnings:
        return []
    items = [f"- {markdown_text(warning)}".replace("\n", "\n  ") for warning in warnings]
    return [NOTES_HEADING, "", NOTES_INTRO, "", *items, ""]


def _output(result: GradeResult) -> str:
    """The student-facing top of ``results.json``: the summary, then the notes on how the code ran."""
    return "\n".join([markdown_text(result.summary()), "", *notes_markdown(result.warnings)]).rstrip("\n")


def _case_json(test: CaseOutcome, detail: str = "full") -> dict[str, Any]:
    """One case for instructors and ``--resume``; fields at their default value are left out.

    A failing value check's ``curve`` (hidden inputs and reference values over
    the tested range) is written only with ``detail="full"``: under ``"names"``
    the hidden inputs and expected values stay secret, in every file.
    """
    case: dict[str, Any] = {"name": test.name, "max_score": test.max_score, "earned": test.earned,
                            "passed": test.passed}
    optional = {"output": "" if test.passed else test.message, "failure_kind": "" if test.passed else test.kind,
                "grader_detail": test.detail, "contract": test.contract, "misconception": test.misconception,
                "consistent_with": test.consistent_with, "consistent_on": test.consistent_on}
    case.update({key: value for key, value in optional.items() if value})
    if test.weight != 1.0:
        case["weight"] = test.weight
    if detail == "full" and test.curve is not None and not test.passed:
        case["curve"] = curve_json(test.curve)
    return case


def _skill_output(cases: list[CaseOutcome], detail: str = "full") -> str:
    """The student-facing summary of one skill: its failing cases, then why contract points are held back.

    ``detail="names"`` (the manifest's ``feedback``) names the failing cases without their messages.
    """
    failed = [t for t in cases if not t.passed]
    lines = [f"{t.name}: " + (t.message if detail == "full" else "failed") for t in failed[:MAX_CASES_IN_OUTPUT]]
    if len(failed) > MAX_CASES_IN_OUTPUT:
        lines.append(f"... and {len(failed) - MAX_CASES_IN_OUTPUT} more failing checks")
    if any(t.passed and t.earned < t.max_score - 1e-9 for t in cases):
        lines.append(f"{cases[0].group}: {UNCREDITED_CONTRACT}")
    return "\n".join(lines)


def skill_cases(tests: tuple[CaseOutcome, ...]) -> dict[str, list[CaseOutcome]]:
    """The cases of each skill, skills in suite order."""
    groups: dict[str, list[CaseOutcome]] = defaultdict(list)
    for test in tests:
        groups[test.group].append(test)
    return dict(groups)


def _skill_scores(skill: str, cases: list[CaseOutcome]) -> list[CaseOutcome]:
    """A skill's cases as one outcome holding their points, plus one worth nothing for each
    further misconception seen in the skill (so ``GradeResult.misconceptions`` is unchanged)."""
    broken = [c for c in cases if c.kind == "grader" and not c.passed]
    ids = list(dict.fromkeys(c.misconception for c in cases if c.misconception))
    total = CaseOutcome(skill, skill, round(sum(c.max_score for c in cases), 6), all(c.passed for c in cases),
                        kind="grader" if broken else "assertion", detail="; ".join(c.detail for c in broken),
                        earned=round(sum(c.earned for c in cases), 6), misconception=ids[0] if ids else "")
    return [total, *(CaseOutcome(skill, skill, 0.0, True, misconception=other) for other in ids[1:])]


def _pooled_in_report(passed: bool, misconception: str, kind: str) -> bool:
    """Whether the report keeps a case only in its skill's sum (``GradeResult.for_report``): a plain
    pass, with no misconception, not the kit's own failure."""
    return passed and not misconception and kind != "grader"


def _pooled(cases: list[CaseOutcome]) -> CaseOutcome:
    """Passing cases of one skill as one passing outcome with their points."""
    return _pooled_outcome(cases[0].group, [c.max_score for c in cases], [c.earned for c in cases])


def _pooled_outcome(skill: str, points: list[float], earned: list[float]) -> CaseOutcome:
    """One passing outcome of ``skill`` holding the points of its passing cases (``points``, ``earned``)."""
    return CaseOutcome(f"{skill}: {len(points)} passing checks", skill, round(sum(points), 6), True,
                       earned=round(sum(earned), 6))


def _skill_json(skill: str, cases: list[CaseOutcome], failed_closed: bool, detail: str) -> dict[str, Any]:
    possible = round(sum(t.max_score for t in cases), 6)
    earned = 0.0 if failed_closed and skill not in SEPARATE_SKILLS else round(sum(t.earned for t in cases), 6)
    full = earned >= possible - 1e-9
    misconceptions = list(dict.fromkeys(t.misconception for t in cases if t.misconception))
    return {"name": skill, "score": earned, "max_score": possible, "status": "passed" if full else "failed",
            "output": "" if full else markdown_text(_skill_output(cases, detail)), "visibility": "visible",
            "extra_data": {"skill": skill, "misconceptions": misconceptions,
                           "cases": [_case_json(t, detail) for t in cases]}}


def to_gradescope(result: GradeResult, detail: str = "full") -> dict[str, Any]:
    """The Gradescope ``results.json`` document for ``result``.

    ``detail`` is the assignment's ``feedback`` level: with ``"names"`` the
    student-facing ``output`` names failing cases only; ``extra_data`` keeps everything
    but the failing cases' curves (hidden inputs and expected values), which only ``"full"`` writes.
    """
    return {
        "score": result.score,
        "max_score": result.max_score,
        "execution_time": round(result.execution_time, 3),
        "output": _output(result),
        "output_format": "md",
        "test_output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [_skill_json(skill, cases, bool(result.error), detail)
                  for skill, cases in skill_cases(result.tests).items()],
        "extra_data": {
            "format_version": RESULTS_FORMAT_VERSION,
            "student_id": result.student_id,
            "assignment": result.assignment_id,
            "sandbox": result.sandbox,
            "error": GRADER_ERROR if result.error_kind == "grader" else result.error,
            "error_kind": result.error_kind,
            "warnings": list(result.warnings),
            "groups": {k: {"score": s, "max_score": m} for k, (s, m) in result.group_scores().items()},
            "misconceptions": list(result.misconceptions),
            "student_output": result.student_output,
            "grader_detail": result.detail,
            "submission_sha256": result.submission_sha256,
            "needs_look": list(result.needs_look),
        },
    }


CASE_DEPTH = 5
"""How deep a case's object sits in ``results.json`` (document, tests, test, extra_data, cases, case):
from there down, each value is written on one line."""


def results_json(result: GradeResult, detail: str = "full") -> str:
    """``results.json``'s text: indented by two spaces down to the cases, then one case per line."""
    return "".join(_json_text(to_gradescope(result, detail), 0)) + "\n"


_ONE_LINE = json.JSONEncoder(allow_nan=False)


def _json_text(value: Any, depth: int) -> list[str]:
    """``value`` as JSON (no NaN or infinity): containers shallower than ``CASE_DEPTH`` as
    ``json.dumps(indent=2)`` writes them, deeper ones as it writes them without an indent (C-fast)."""
    if depth >= CASE_DEPTH or not isinstance(value, (dict, list)) or not value:
        return [_ONE_LINE.encode(value)]
    inner = "\n" + "  " * (depth + 1)
    if isinstance(value, dict):
        items = [[inner, json.dumps(str(key)), ": ", *_json_text(item, depth + 1)] for key, item in value.items()]
        opening, closing = "{", "}"
    else:
        items = [[inner, *_json_text(item, depth + 1)] for item in value]
        opening, closing = "[", "]"
    return [opening, ",".join("".join(item) for item in items), "\n", "  " * depth, closing]


def _case_from_json(skill: str, case: dict[str, Any]) -> CaseOutcome:
    return CaseOutcome(name=case["name"], group=skill, max_score=float(case["max_score"]),
                       passed=bool(case["passed"]), message=case.get("output", ""),
                       kind=case.get("failure_kind") or "assertion", detail=case.get("grader_detail", ""),
                       contract=bool(case.get("contract")), weight=float(case.get("weight", 1.0)),
                       earned=float(case["earned"]), misconception=case.get("misconception", ""),
                       consistent_with=case.get("consistent_with", ""), consistent_on=case.get("consistent_on", ""),
                       curve=curve_from_json(case["curve"]) if "curve" in case else None)


def from_gradescope(document: dict[str, Any]) -> GradeResult:
    """Rebuild a ``GradeResult`` from its ``results.json`` (used by ``--resume``)."""
    tests = tuple(_case_from_json(skill, case) for skill, case in _json_cases(document))
    return _result_from_json(document, tests, document["extra_data"]["student_output"])


def report_result(document: dict[str, Any]) -> GradeResult:
    """``from_gradescope(document).for_report()``, without building the outcomes that drops: the
    plain passing cases of each skill are summed as they are read, and no plot is parsed."""
    kept: list[CaseOutcome | str] = []
    pooled: dict[str, tuple[list[float], list[float]]] = {}
    for skill, case in _json_cases(document):
        if _pooled_in_report(bool(case["passed"]), case.get("misconception", ""),
                            case.get("failure_kind") or "assertion"):
            if skill not in pooled:
                kept.append(skill)
            points, earned = pooled.setdefault(skill, ([], []))
            points.append(float(case["max_score"]))
            earned.append(float(case["earned"]))
        else:
            kept.append(_case_from_json(skill, _without_curve(case)))
    tests = tuple(_pooled_outcome(entry, *pooled[entry]) if isinstance(entry, str) else entry for entry in kept)
    return _result_from_json(document, tests, "")


def _without_curve(case: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in case.items() if key != "curve"} if "curve" in case else case


def _json_cases(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each case of a ``results.json`` with its skill, in order (a document of another format: ValueError)."""
    extra = document["extra_data"]
    if extra.get("format_version") != RESULTS_FORMAT_VERSION:
        raise ValueError(f"results format {extra.get('format_version')!r}, not {RESULTS_FORMAT_VERSION}")
    for entry in document["tests"]:
        skill = entry["extra_data"]["skill"]
        for case in entry["extra_data"]["cases"]:
            yield skill, case


def _result_from_json(document: dict[str, Any], tests: tuple[CaseOutcome, ...], output: str) -> GradeResult:
    extra = document["extra_data"]
    return GradeResult(student_id=extra["student_id"], assignment_id=extra["assignment"],
                       tests=tests, max_score=float(document["max_score"]),
                       execution_time=float(document["execution_time"]), sandbox=extra["sandbox"],
                       error=extra["error"], error_kind=extra["error_kind"],
                       warnings=tuple(extra["warnings"]), student_output=output,
                       detail=extra.get("grader_detail", ""),
                       submission_sha256=str(extra.get("submission_sha256", "")),
                       needs_look=tuple(str(reason) for reason in extra.get("needs_look", [])))
