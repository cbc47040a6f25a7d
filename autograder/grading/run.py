"""Run a pytest suite in this (trusted) process against one student proxy.

The suite's tests talk to the submission only through the ``student`` fixture,
whose factory this module installs in pytest's stash. Test modules are
re-imported for every run (they are purged from ``sys.modules`` afterwards), so
module-level state such as a seeded generator is the same for every student.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from _pytest.runner import runtestprotocol

from autograder.catalog import Misconception
from autograder.curves import curve_of
from autograder.grading.diagnose import CaseDiagnosis
from autograder.grading.forked import in_fork_child
from autograder.grading.lean import Plan, SharedFixtureFailed, plan, run_planned
from autograder.grading.outcomes import CaseOutcome, FailureKind, SuiteRun, exception_name
from autograder.grading.verdicts import (
    GRADER_FAILURE,
    UNMARKED,
    CaseMarks,
    drop_exception,
    failed_ending,
    failure,
    marks_from,
    passed_ending,
)
from autograder.sandbox import StudentCallError
from autograder.suite import plugin as suite_plugin
from autograder.suite.expect import save_expectations
from autograder.suite.plugin import STUDENT_FACTORY, StudentFactory
from autograder.suite.rules import rules_of

UNUSED_BUILTIN_PLUGINS = ("cacheprovider", "unraisableexception", "threadexception", "logging", "faulthandler",
                          "stepwise", "pastebin", "doctest", "setuponly", "setupplan", "legacypath", "tmpdir",
                          "subtests", "debugging", "capture", "warnings", "terminal")
"""pytest's own plugins a graded run never uses. Each costs per item (logging, capture and warnings
wrap every phase; the terminal reports each one) or per run (unraisableexception collects garbage
twice at exit, ~0.1 s each): together about half of a suite run. The kit reads outcomes through its
own plugin (``_Collector``), never from pytest's terminal output."""

PYTEST_ARGS = ("-p", "autograder.suite.plugin", "-p", "no:randomly",
               *(arg for name in UNUSED_BUILTIN_PLUGINS for arg in ("-p", f"no:{name}")),
               "--import-mode=importlib", "--assert=plain", "-o", "addopts=", "-o", "python_files=test_*.py")


def with_suite_plugin(plugins: Sequence[object]) -> list[object]:
    """``plugins``, then the suite plugin module that ``-p autograder.suite.plugin`` names.

    Registered as an object, under the name ``-p`` gives it, it is already loaded when pytest
    reads ``-p``: pytest then skips its search of every installed distribution's entry points
    for a plugin of that name (~10 ms per run)."""
    return [*plugins, suite_plugin]


def readable_name(item: pytest.Item) -> str:
    """``test_sigmoid[x=0]`` -> ``sigmoid[x=0]``."""
    return item.name.removeprefix("test_")


def marks_of(item: pytest.Item) -> CaseMarks | None:
    """The item's one ``skill`` marker (on the function, its class or module, or its parameter);
    None when missing, given twice or malformed."""
    return marks_from(list(item.iter_markers("skill")), item.get_closest_marker("contract") is not None)


def _marks(item: pytest.Item, known: Mapping[str, CaseMarks | None]) -> CaseMarks | None:
    """``marks_of(item)``, or what was read for it before (``known``, by node id)."""
    return known[item.nodeid] if item.nodeid in known else marks_of(item)


def _skill_of(item: pytest.Item, known: Mapping[str, CaseMarks | None] | None = None) -> str:
    """The skill an item measures; ``UNMARKED`` when its marker is missing or malformed."""
    marks = _marks(item, known or {})
    return UNMARKED if marks is None else marks.skill


def _failure(report: pytest.TestReport, excinfo: BaseException | None) -> tuple[str, FailureKind, str]:
    """The student-facing message of a failed report, its kind, and instructor-only detail."""
    return failure(excinfo, lambda: str(report.longreprtext))


CaseBegins = Callable[[str, bool], None]
"""Told, as each case begins, its node id and whether it runs (False: its outcome is known)."""


class _Collector:
    """A pytest plugin recording each graded item and its outcome."""

    def __init__(self, factory: StudentFactory, diagnosis: CaseDiagnosis | None = None,
                 skills: frozenset[str] | None = None, marks: Mapping[str, CaseMarks | None] | None = None,
                 on_case: CaseBegins | None = None) -> None:
        self.start(factory, diagnosis, skills, marks, on_case)

    def start(self, factory: StudentFactory, diagnosis: CaseDiagnosis | None = None,
              skills: frozenset[str] | None = None, marks: Mapping[str, CaseMarks | None] | None = None,
              on_case: CaseBegins | None = None) -> None:
        """Record a new run, forgetting any earlier one (a fork reuses the collector that collected).
        ``on_case`` is told the node id of each case as it begins, and whether it runs."""
        self.factory = factory
        self.diagnosis = diagnosis
        self.skills = skills
        self.marks = marks or {}
        """The items' marks by node id, where they were read before (``marks_of``)."""
        self.on_case = on_case
        self.known: Mapping[str, CaseOutcome] = {}
        """Outcomes known without running their cases, by node id (``_ran_planned``)."""
        self.items: list[pytest.Item] = []
        self.reports: dict[str, pytest.TestReport] = {}
        self.misconceptions: dict[str, Misconception] = {}
        self.errors: list[str] = []

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[STUDENT_FACTORY] = self.factory

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(f"could not collect {report.nodeid}: {str(report.longreprtext)[-800:]}")

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if self.skills is None:
            return
        kept = [item for item in items if _skill_of(item) in self.skills]
        dropped = [item for item in items if item not in kept]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = list(session.items)

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self.on_case is not None:
            self.on_case(item.nodeid, item.nodeid not in self.known)
        if self.diagnosis is not None:
            self.diagnosis.begin_case()

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        # Outermost wrapper: every other plugin is done with the exception when this resumes.
        report = yield
        if call.excinfo is not None:
            # Keep plain strings only: the exception's frames hold what the student returned
            # (a 60 MB array per failing test adds up), so they are cleared and dropped now.
            report._autograder_failure = _failure(report, call.excinfo.value)
            report._autograder_curve = curve_of(call.excinfo.value)  # plain floats, or None
            report._autograder_raised = exception_name(type(call.excinfo.value))
            if report.failed:
                report.longrepr = str(report.longreprtext)
            drop_exception(call.excinfo.value)
            call.excinfo = None
        if call.when == "call" and report.failed and self.diagnosis is not None:
            found = self.diagnosis.diagnose()
            if found is not None:
                self.misconceptions[item.nodeid] = found
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # The first failing phase explains a test; teardown belongs to the kit, not the student.
        known = self.reports.get(report.nodeid)
        if report.when == "teardown" or (known is not None and known.failed):
            return
        if report.failed or report.when == "call" or known is None:
            self.reports[report.nodeid] = report

    def credited(self, report: pytest.TestReport) -> None:
        """A case's passing report in place of its failing one (a second run earned it credit):
        the first run's misconception goes with the failure."""
        self.reports[report.nodeid] = report
        self.misconceptions.pop(report.nodeid, None)

    def outcomes(self) -> list[CaseOutcome]:
        return [self._outcome(item) for item in self.items]

    def _outcome(self, item: pytest.Item) -> CaseOutcome:
        known = self.known.get(item.nodeid)
        if known is not None:
            return known
        name = readable_name(item)
        marks = _marks(item, self.marks)
        if marks is None:
            self.errors.append(f"{name} has no valid skill marker (exactly one skill(name, weight=w > 0))")
            marks = CaseMarks(UNMARKED, 1.0, False)
        ending = _ending(self.reports.get(item.nodeid), self.misconceptions.get(item.nodeid))
        return CaseOutcome(name, marks.skill, 0.0, contract=marks.contract, weight=marks.weight,
                           rules=rules_of(item), **ending)


def _ending(report: pytest.TestReport | None, found: Misconception | None) -> dict[str, Any]:
    """The fields of a case's outcome that its report (None: it never ran) and the misconception
    its failure shows set."""
    if report is None:
        return {"passed": False, "message": GRADER_FAILURE, "kind": "grader", "detail": "the test did not run"}
    if report.passed:
        return passed_ending(dict(report.user_properties))
    if report.skipped:
        return {"passed": False, "message": GRADER_FAILURE, "kind": "grader", "detail": "the test was skipped"}
    failed = getattr(report, "_autograder_failure", None) or _failure(report, None)
    return failed_ending(failed, dict(report.user_properties), getattr(report, "_autograder_curve", None),
                         getattr(report, "_autograder_raised", ""), found)


class _PlainFailureReports:
    """Reports failures the kit words itself (assertions, the student's errors) without pytest's
    traceback rendering, which parses the suite's source for every failing case (~30 ms each, so
    seconds for a wrong submission). Anything else gets pytest's full report: that text is the
    instructor's only clue to a fault in the suite."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> pytest.TestReport | None:
        error = call.excinfo.value if call.excinfo is not None else None
        if call.when == "collect" or not isinstance(error, (AssertionError, StudentCallError)):
            return None
        return pytest.TestReport(item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed",
                                 type(error).__name__, call.when, duration=call.duration, start=call.start,
                                 stop=call.stop, user_properties=item.user_properties)


class _RunWhenReady:
    """Asks ``ready()`` once the suite is collected, before any case runs; the cases run only if it
    answers True. pytest configures itself and collects the suite while the caller still waits for
    something of its own (a sandboxed worker loading the submission)."""

    def __init__(self, ready: Callable[[], bool]) -> None:
        self._ready = ready

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        return None if self._ready() else True


def purge_modules_under(root: Path) -> None:
    """Forget every imported module whose file lies under ``root`` (the next run re-imports).

    Each module's folder is resolved once per call (resolving every module file of
    ``sys.modules`` took 0.2 s per run)."""
    inside = str(root.resolve()) + os.sep
    resolved: dict[str, str] = {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str):
            continue
        folder = os.path.dirname(path)
        if folder not in resolved:
            resolved[folder] = os.path.realpath(folder) + os.sep
        if resolved[folder].startswith(inside):
            del sys.modules[name]


@contextlib.contextmanager
def _no_plugin_autoload() -> Iterator[None]:
    """Only the kit's own plugin runs: third-party pytest plugins installed beside the kit
    can neither reorder nor alter grading (and cost ~1 s of start-up)."""
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous


@dataclass
class CollectedSuite:
    """A suite collected in this process and kept live: pytest configured, the session started,
    its items ready. A fork of this process runs them for one student (``run_suite``) without
    configuring or collecting again; the items and their modules are then exactly as collected."""

    config: pytest.Config
    items: list[pytest.Item]
    errors: tuple[str, ...]
    collector: _Collector
    """The plugin that collected the items, still registered: a fork's run records through it."""
    plan: Plan | None = None
    """How the items run without pytest's per-case protocol (``autograder.grading.lean``); None:
    the suite is outside that subset, and each item runs the full protocol."""
    marks: dict[str, CaseMarks | None] = field(default_factory=dict)
    """Each item's marks by node id, read once here rather than in every fork."""

    def skill_of(self, item: pytest.Item) -> str:
        return _skill_of(item, self.marks)


_COLLECTED: dict[str, CollectedSuite] = {}


def collect_suite(suite_dir: Path) -> tuple[str, ...]:
    """Collect ``suite_dir`` here, running nothing, and keep it live for forks of this process
    (``autograder.grading.warm``). The problems collection found.

    This drives pytest's session by hand, as ``pytest.main`` would up to its run loop
    (``_prepareconfig`` is pytest's own entry point, private since pytest 3 and unchanged)."""
    key = str(suite_dir.resolve())
    if key in _COLLECTED:
        _COLLECTED.pop(key).config._ensure_unconfigure()
    _COLLECTED[key] = _collected(suite_dir)
    return _COLLECTED[key].errors


def _collected(suite_dir: Path) -> CollectedSuite:
    """``suite_dir`` configured and collected here, its items ready and nothing run."""
    from _pytest.config import _prepareconfig

    purge_modules_under(suite_dir)
    collector = _Collector(lambda: contextlib.nullcontext(None))
    plain_reports = _PlainFailureReports()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), _no_plugin_autoload():
        config = _prepareconfig([*PYTEST_ARGS, "--rootdir", str(suite_dir), str(suite_dir)],
                                plugins=with_suite_plugin([collector, plain_reports]))
        config._do_configure()
        session = pytest.Session.from_config(config)
        config.hook.pytest_sessionstart(session=session)
        session.perform_collect()
    items = list(session.items)
    return CollectedSuite(config, items, tuple(collector.errors), collector,
                          plan(config, items, own_plugins=[plain_reports, collector]),
                          {item.nodeid: marks_of(item) for item in items})


def _run_collected(suite: CollectedSuite, factory: StudentFactory, diagnosis: CaseDiagnosis | None,
                   skills: frozenset[str] | None, ready: Callable[[], bool] | None = None,
                   known: Mapping[str, CaseOutcome] | None = None,
                   on_case: CaseBegins | None = None) -> SuiteRun:
    """Run the live ``suite``'s items for one student: what ``pytest.main`` would do after collection.
    ``known`` (by node id) are outcomes to take instead of running their cases, where the cases run
    without pytest's protocol (``_ran_planned``)."""
    collector = suite.collector
    collector.start(factory, diagnosis, skills, suite.marks, on_case)
    suite.config.stash[STUDENT_FACTORY] = factory
    items = [item for item in suite.items if skills is None or suite.skill_of(item) in skills]
    collector.items = items
    if ready is not None and not ready():  # every case listed, none run: as pytest.main leaves them
        return SuiteRun(tuple(collector.outcomes()), (*suite.errors, *collector.errors))
    sink = io.StringIO()
    # No save_expectations() here: this is a fork of a warm process, whose own run of the
    # solution saved what the reference derived; a value new to one student would only be
    # written again by every fork that meets it.
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        if not _ran_planned(suite, skills, collector, known or {}):
            _run_protocol(items, collector)
    return SuiteRun(tuple(collector.outcomes()), (*suite.errors, *collector.errors))


def _ran_planned(suite: CollectedSuite, skills: frozenset[str] | None, collector: _Collector,
                 known: Mapping[str, CaseOutcome]) -> bool:
    """Whether the planned cases (those of ``skills``) ran without pytest's per-case protocol, those
    whose outcomes are ``known`` taking them instead; False, with nothing run, when the suite has no
    plan or its ``student`` could not be set up. The collector's hooks are kept: it begins each case,
    and wraps the report of a failing one."""
    if suite.plan is None:
        return False
    cases = tuple(case for case in suite.plan.cases if skills is None or suite.skill_of(case.item) in skills)
    collector.known = known
    try:
        run_planned(replace(suite.plan, cases=cases), collector.pytest_runtest_setup,
                    collector.pytest_runtest_logreport, collector.credited, skip=frozenset(known))
    except SharedFixtureFailed:
        collector.known = {}
        return False
    return True


def _run_protocol(items: Sequence[pytest.Item], collector: _Collector) -> None:
    """Each item through pytest's protocol without its logging hooks (no terminal listens); the
    collector reads the reports it returns, as pytest_runtest_logreport would hand them over."""
    for index, item in enumerate(items):
        following = items[index + 1] if index + 1 < len(items) else None
        for report in runtestprotocol(item, log=False, nextitem=following):
            collector.pytest_runtest_logreport(report)


def _run_once(suite_dir: Path, factory: StudentFactory, diagnosis: CaseDiagnosis | None,
              skills: frozenset[str] | None, ready: Callable[[], bool] | None,
              known: Mapping[str, CaseOutcome] | None = None,
              on_case: CaseBegins | None = None) -> SuiteRun | None:
    """The suite's run as a fork of a warm process runs it (collected, then its items run without
    pytest's per-case protocol where ``autograder.grading.lean`` plans them, second runs grouped),
    collected here for this one run; None, with nothing of the student's run, when pytest cannot be
    configured or collect (``pytest.main`` then runs it, and says why)."""
    try:
        suite = _collected(suite_dir)
    except Exception:  # noqa: BLE001 - a usage error, a broken plugin: pytest.main reports it
        purge_modules_under(suite_dir)
        return None
    try:
        if not suite.items and not suite.errors and skills is None:
            return SuiteRun((), (f"the suite in {suite_dir} collected no tests",))
        return _run_collected(suite, factory, diagnosis, skills, ready, known, on_case)
    finally:
        suite.config._ensure_unconfigure()
        save_expectations()  # what the reference derived, for the next process (never raises)
        purge_modules_under(suite_dir)


def run_suite(suite_dir: Path, factory: StudentFactory, *, keyword: str | None = None,
              diagnosis: CaseDiagnosis | None = None, skills: Collection[str] | None = None,
              plugins: Sequence[object] = (), ready: Callable[[], bool] | None = None,
              known: Mapping[str, CaseOutcome] | None = None, on_case: CaseBegins | None = None) -> SuiteRun:
    """Run the suite in ``suite_dir`` with ``student`` built by ``factory``; ``diagnosis``
    names the known misconception a failing case shows; ``skills``, when given, runs only the
    cases of those skills (the others are deselected before anything is called); ``plugins``
    are more pytest plugins for this run. ``ready``, when given, is asked once the suite is
    collected: its cases run only if it answers True (otherwise none of them runs). It is not
    asked when pytest stops before (no suite folder, a usage error). ``known`` (by node id) are
    outcomes taken instead of running their cases, where the cases run without pytest's protocol
    (``autograder.grading.lean``); ``on_case`` is told each case's node id as it begins, and whether
    it runs (a case whose outcome is taken is begun, not run)."""
    if not suite_dir.is_dir():
        return SuiteRun((), (f"suite folder {suite_dir} does not exist",))
    chosen = None if skills is None else frozenset(skills)
    collected = _COLLECTED.get(str(suite_dir.resolve())) if in_fork_child() else None
    if collected is not None and keyword is None and not plugins:
        return _run_collected(collected, factory, diagnosis, chosen, ready, known, on_case)
    if keyword is None and not plugins:
        once = _run_once(suite_dir, factory, diagnosis, chosen, ready, known, on_case)
        if once is not None:
            return once
    collector = _Collector(factory, diagnosis, None if skills is None else frozenset(skills), on_case=on_case)
    args = [*PYTEST_ARGS, "--rootdir", str(suite_dir), str(suite_dir)]
    if keyword:
        args += ["-k", keyword]
    gate = [] if ready is None else [_RunWhenReady(ready)]
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), _no_plugin_autoload():
            exit_code = pytest.main(args, plugins=with_suite_plugin([collector, _PlainFailureReports(), *gate,
                                                                     *plugins]))
    finally:
        save_expectations()  # what the reference derived, for the next process (never raises)
        purge_modules_under(suite_dir)
    outcomes = collector.outcomes()
    errors = list(collector.errors)
    if exit_code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        errors.append(f"pytest stopped with {pytest.ExitCode(exit_code).name}: {sink.getvalue()[-800:]}")
    if not outcomes and not errors and skills is None:
        errors.append(f"the suite in {suite_dir} collected no tests")
    return SuiteRun(tuple(outcomes), tuple(errors))
