"""Running an assignment's suite by hand, as an instructor does, and recording the outcome.

:func:`run_suite` is a real ``pytest.main`` in this process with
``-p autograder.suite.plugin --submission FILE``: exactly the command an
instructor types to run a suite against one submission. A :class:`Recorder`
plugin notes every collected test's points and whether it passed; the suite's
modules are forgotten afterwards so the next run imports them afresh (as the
grader does).

A :class:`Mistake` is the instructor's solution with one deliberate error and
the hidden tests that error must fail (no fewer: the suite would miss it; no
more: partial credit would be unfair). :func:`lost_points` prices a set of
failed tests the way the grader does (``autograder.grading.credit``: each
case's share of its skill, contract checks held back while values are wrong).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.assignment import Assignment
from autograder.grading.credit import price
from autograder.grading.outcomes import CaseOutcome
from autograder.grading.run import CaseMarks, marks_of, purge_modules_under

#: Separates the solution from the redefinitions a redefining mistake appends to it.
WRONG_PART = "\n\n# --- the wrong part ---\n"


class Recorder:
    """A pytest plugin recording every item's points and whether it passed.

    Tests are known by their readable name: the node's last part without ``test_``
    (``sigmoid_derivative[x=0]``). A skipped test counts as failed: a submission
    earns only the points of tests that ran and passed.
    """

    def __init__(self) -> None:
        #: readable name -> its skill marks (None if unmarked or malformed)
        self.points: dict[str, CaseMarks | None] = {}
        self.failed: set[str] = set()
        self.ran: set[str] = set()
        self.collect_errors: list[str] = []
        self.duplicate_names: list[str] = []

    @staticmethod
    def name(nodeid: str) -> str:
        return nodeid.split("::")[-1].removeprefix("test_")

    @property
    def names(self) -> set[str]:
        return set(self.points)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {str(report.longreprtext)[-2000:]}")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            name = self.name(item.nodeid)
            if name in self.points:
                self.duplicate_names.append(name)
            self.points[name] = marks_of(item)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = self.name(report.nodeid)
        if report.failed or report.skipped:
            self.failed.add(name)
        if report.when == "call" or report.failed:
            self.ran.add(name)


def run_suite(suite: Path, submission: Path) -> Recorder:
    """``pytest -p autograder.suite.plugin --submission SUBMISSION SUITE``, in this process."""
    recorder = Recorder()
    args = ["-p", "autograder.suite.plugin", "--submission", str(submission),
            "-p", "no:cacheprovider", "-p", "no:randomly", "--import-mode=importlib",
            "-o", "addopts=", "--rootdir", str(suite), "-q", "--no-header", str(suite)]
    try:
        code = pytest.main(args, plugins=[recorder])
    finally:
        purge_modules_under(suite)
    assert not recorder.collect_errors, "\n".join(recorder.collect_errors)
    assert code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), f"pytest exited with {code!r}"
    assert recorder.points, f"{suite} collected no tests"
    assert not recorder.duplicate_names, f"tests sharing a readable name: {recorder.duplicate_names}"
    assert recorder.ran == set(recorder.points), "some tests did not run"
    return recorder


def priced(recorder: Recorder, assignment: Assignment, failed: Iterable[str]) -> tuple[CaseOutcome, ...]:
    """Every recorded case priced by the assignment's credit model, ``failed`` ones failed."""
    failing = set(failed)
    cases = [CaseOutcome(name, marks.skill, 0.0, name not in failing, contract=marks.contract,
                         weight=marks.weight)
             for name, marks in recorder.points.items() if marks is not None]
    return price(cases, assignment.credit)


def lost_points(recorder: Recorder, names: Iterable[str], assignment: Assignment) -> float:
    """The points a submission failing exactly ``names`` loses (held-back contract checks included)."""
    return assignment.total_points - sum(o.earned for o in priced(recorder, assignment, names))


@dataclass(frozen=True)
class Mistake:
    """The solution with one deliberate error, and the hidden tests it must fail (exactly those).

    Either ``old`` (which must occur in the solution exactly once) is replaced by
    ``new``, or, with ``old=None``, ``new`` holds functions appended to the
    solution that redefine its own (each defined there exactly once).
    """

    old: str | None
    new: str
    fails: frozenset[str]

    @classmethod
    def replace(cls, old: str, new: str, fails: Iterable[str]) -> Mistake:
        return cls(old, new, frozenset(fails))

    @classmethod
    def redefine(cls, body: str, fails: Iterable[str]) -> Mistake:
        return cls(None, textwrap.dedent(body), frozenset(fails))

    def apply(self, solution: str) -> str:
        if self.old is None:
            redefined = re.findall(r"^def (\w+)\(", self.new, flags=re.MULTILINE)
            assert redefined, f"the mistake redefines no function: {self.new!r}"
            for function in redefined:
                assert len(re.findall(rf"^def {function}\(", solution, flags=re.MULTILINE)) == 1, (
                    f"the solution no longer defines {function} exactly once")
            return solution + WRONG_PART + self.new
        assert solution.count(self.old) == 1, f"the solution no longer contains {self.old!r} exactly once"
        return solution.replace(self.old, self.new)
