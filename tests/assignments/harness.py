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
failed tests the way the grader does (a test's points split evenly over its
parametrised cases).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.grading.run import purge_modules_under

#: Separates the solution from the redefinitions a redefining mistake appends to it.
WRONG_PART = "\n\n# --- the wrong part ---\n"


class Recorder:
    """A pytest plugin recording every item's points and whether it passed.

    Tests are known by their readable name: the node's last part without ``test_``
    (``sigmoid_derivative[x=0]``). A skipped test counts as failed: a submission
    earns only the points of tests that ran and passed.
    """

    def __init__(self) -> None:
        #: readable name -> (the test function it is a case of, its points or None if unmarked)
        self.points: dict[str, tuple[str, float | None]] = {}
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
            marker = item.get_closest_marker("points")
            points = float(marker.args[0]) if marker is not None and marker.args else None
            function = f"{item.path}::{getattr(item, 'originalname', item.name)}"
            name = self.name(item.nodeid)
            if name in self.points:
                self.duplicate_names.append(name)
            self.points[name] = (function, points)

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


def lost_points(recorder: Recorder, names: Iterable[str]) -> float:
    """The points the tests ``names`` are worth (each test's points split over its cases)."""
    cases: dict[str, int] = {}
    for function, _ in recorder.points.values():
        cases[function] = cases.get(function, 0) + 1
    total = 0.0
    for name in names:
        function, points = recorder.points[name]
        total += (points or 0.0) / cases[function]
    return total


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
