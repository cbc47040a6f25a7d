"""Running a collected suite's cases without pytest's per-case protocol.

A fork of a warm grading process runs the items its parent collected (``run._run_collected``).
Through ``runtestprotocol`` each case costs three hook calls, a ``CallInfo`` and a
``TestReport`` per phase, and a round of pytest's fixture machinery (a ``SubRequest`` per
fixture, a fresh fixture definition, signature included, for every ``request``) to hand the test
values that are fixed at collection (its direct parameters) or shared by every case
(``student``): about as much CPU as the tests themselves.

For a suite inside the subset ``plan`` accepts, a case's outcome is the same when its test
function is called with those values directly, so ``run_planned`` does that. The subset:

* test functions in modules (no classes, no ``setup_module`` in a package, no conftest hooks
  or other plugins acting on a case), marked with ``skill``, ``contract`` and ``parametrize``
  only (``skipif`` and ``xfail`` are acted on, so they are outside);
* fixtures: direct parameters, the kit's ``student`` (set up before the first case and finished
  after the last, as a session fixture is), and the kit's ``strict_student`` and pytest's
  ``record_property``, called for each case that uses them as pytest calls them.

A passing case gets its report made here. A failing one is handed to pytest's
``pytest_runtest_makereport`` with its exception, so its report (and so the message, the kind and
the diagnosis the kit reads from it) is the one pytest's protocol makes. Any other suite runs the
full protocol.

A case judged again with its upstream substituted (``autograder.suite.substitution``) has its
second run after every case's first (``second_runs_later``), grouped with the others that
substitute the same functions; one it earns credit on has its failing report replaced by a
passing one (``credited``).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from _pytest.fixtures import FixtureDef
from _pytest.outcomes import OutcomeException
from _pytest.python import DirectParamFixtureDef, importtestmodule
from _pytest.runner import get_reraise_exceptions

from autograder.suite.substitution import SecondRun, run_later, second_runs_later

SHARED_FIXTURE = ("student", "autograder.suite.plugin", "student")
"""The session fixture every case shares (its name, module and function)."""
PER_CASE_FIXTURES = frozenset({("autograder.suite.plugin", "strict_student"), ("_pytest.junitxml", "record_property")})
"""Function fixtures without teardown, called for each case that uses them."""
PLAIN_MARKERS = frozenset({"skill", "contract", "rule", "parametrize"})
"""Markers no plugin acts on while a case runs."""
PLAIN_COLLECTORS = (pytest.Session, pytest.Dir, pytest.Module)
"""Collectors whose setup and teardown do nothing (for a ``Package``, see ``_plain_package``)."""
PACKAGE_FIXTURES = ("setUpModule", "setup_module", "tearDownModule", "teardown_module")

KNOWN_HOOKS: dict[str, frozenset[str]] = {
    "pytest_runtest_setup": frozenset({"runner", "skipping"}),
    "pytest_runtest_call": frozenset({"runner", "skipping"}),
    "pytest_runtest_teardown": frozenset({"runner"}),
    "pytest_runtest_makereport": frozenset({"runner", "skipping", "unittest"}),
    "pytest_pyfunc_call": frozenset({"python"}),
    "pytest_fixture_setup": frozenset({"fixtures"}),
    "pytest_fixture_post_finalizer": frozenset(),
    "pytest_exception_interact": frozenset(),
}
"""pytest's own plugins implementing the hooks a case goes through, by name. For a case inside
the subset, what they do besides calling the test is what ``run_planned`` does itself (setting up
fixtures) or nothing at all (skip and xfail markers, environment variables, post-mortem state)."""

SharedFunction = Callable[..., Iterator[Any]]


@dataclass(frozen=True)
class PerCaseFixture:
    name: str
    function: Callable[..., Any]
    arguments: tuple[str, ...]


@dataclass(frozen=True)
class PlannedCase:
    """One item and what its test function is called with."""

    item: pytest.Function
    parameters: dict[str, object]
    fixtures: tuple[PerCaseFixture, ...]
    """Each after the fixtures it uses."""
    arguments: tuple[str, ...]
    shared: bool
    """Whether the case uses the shared fixture."""
    location: tuple[str, int | None, str]
    keywords: dict[str, Literal[1]]


@dataclass(frozen=True)
class Plan:
    """The cases of a suite inside the subset, and the shared fixture's function."""

    cases: tuple[PlannedCase, ...]
    shared: SharedFunction | None = None


def plan(config: pytest.Config, items: Sequence[pytest.Item], own_plugins: Sequence[object]) -> Plan | None:
    """How ``run_planned`` runs ``items`` (made once, where they were collected); None when any of
    them is outside the subset (see the module doc). ``own_plugins``: the kit's plugins for the run."""
    if not _hooks_known(config, own_plugins):
        return None
    packages: dict[pytest.Package, bool] = {}
    cases: list[PlannedCase] = []
    shared: set[SharedFunction] = set()
    for item in items:
        if not isinstance(item, pytest.Function) or not _plain_item(item, packages):
            return None
        found = _fixtures_of(item)
        if found is None:
            return None
        fixtures, function = found
        cases.append(PlannedCase(item, _parameters(item), fixtures, tuple(item._fixtureinfo.argnames),
                                 function is not None, item.location, dict.fromkeys(item.keywords, 1)))
        shared |= {function} if function is not None else set()
    if len(shared) > 1:
        return None
    return Plan(tuple(cases), next(iter(shared), None))


def _hooks_known(config: pytest.Config, own_plugins: Sequence[object]) -> bool:
    """Whether the per-case hooks are implemented by ``KNOWN_HOOKS`` and ``own_plugins`` only."""
    manager = config.pluginmanager
    for hook, known in KNOWN_HOOKS.items():
        for implementation in getattr(config.hook, hook).get_hookimpls():
            if any(implementation.plugin is own for own in own_plugins):
                continue
            if implementation.plugin_name not in known or \
                    manager.get_plugin(implementation.plugin_name) is not implementation.plugin:
                return False
    return True


def _plain_item(item: pytest.Function, packages: dict[pytest.Package, bool]) -> bool:
    """A test function of a module, under collectors with nothing to set up, marked only plainly."""
    if type(item) is not pytest.Function or "request" in item._fixtureinfo.argnames:
        return False  # a class's method, or a test that could reach pytest's state through ``request``
    if any(marker.name not in PLAIN_MARKERS for marker in item.iter_markers()):
        return False
    for node in item.listchain()[:-1]:
        if type(node) is pytest.Package:
            if node not in packages:
                packages[node] = _plain_package(node)
            if not packages[node]:
                return False
        elif type(node) not in PLAIN_COLLECTORS:
            return False
    return True


def _plain_package(package: pytest.Package) -> bool:
    """Whether ``package``'s setup only imports its ``__init__.py``. It is imported here, as its
    setup would import it (so a fork starts with it imported, as with the suite's modules)."""
    try:
        module = importtestmodule(package.path / "__init__.py", package.config)
    except Exception:  # noqa: BLE001 - its setup would fail: pytest's protocol reports that
        return False
    return all(getattr(module, name, None) is None for name in PACKAGE_FIXTURES)


def _parameters(item: pytest.Function) -> dict[str, object]:
    return dict(item.callspec.params) if hasattr(item, "callspec") else {}


def _fixtures_of(item: pytest.Function) -> tuple[tuple[PerCaseFixture, ...], SharedFunction | None] | None:
    """The item's per-case fixtures in setup order and its shared fixture's function; None
    when it uses any other fixture (an indirect parameter, the suite's own fixture ...)."""
    info = item._fixtureinfo
    parameters = _parameters(item)
    shared: SharedFunction | None = None
    fixtures: list[PerCaseFixture] = []
    for name in info.names_closure:
        if name == "request":
            continue
        definitions = info.name2fixturedefs.get(name, ())
        definition = definitions[-1] if definitions else None
        if definition is None or isinstance(definition, DirectParamFixtureDef) != (name in parameters):
            return None
        if name in parameters:
            continue
        if _is_shared(name, definition):
            shared = definition.func
        elif _key(definition.func) in PER_CASE_FIXTURES and definition.scope == "function" \
                and definition.params is None:
            fixtures.append(PerCaseFixture(name, definition.func, tuple(definition.argnames)))
        else:
            return None
    ordered = _in_setup_order(fixtures)
    return None if ordered is None else (ordered, shared)


def _key(function: Callable[..., Any]) -> tuple[str, str]:
    return getattr(function, "__module__", ""), getattr(function, "__qualname__", "")


def _is_shared(name: str, definition: FixtureDef[Any]) -> bool:
    """Whether ``definition`` is the kit's ``student``: a generator, for the whole session."""
    return (name, *_key(definition.func)) == SHARED_FIXTURE and definition.scope == "session" \
        and tuple(definition.argnames) == ("request",) and inspect.isgeneratorfunction(definition.func)


def _in_setup_order(fixtures: list[PerCaseFixture]) -> tuple[PerCaseFixture, ...] | None:
    """``fixtures``, each after those of them it uses; None for a cycle."""
    names = {fixture.name for fixture in fixtures}
    ordered: list[PerCaseFixture] = []
    pending = list(fixtures)
    while pending:
        done = {fixture.name for fixture in ordered}
        ready = [f for f in pending if all(a in done or a not in names for a in f.arguments)]
        if not ready:
            return None
        ordered += ready
        pending = [f for f in pending if f not in ready]
    return tuple(ordered)


class SharedFixtureFailed(Exception):
    """The shared fixture could not be set up: nothing ran (pytest's protocol reports why)."""


def run_planned(plan: Plan, begin_case: Callable[[pytest.Item], None],
                record: Callable[[pytest.TestReport], None],
                credited: Callable[[pytest.TestReport], None], *, skip: Collection[str] = ()) -> None:
    """Run the cases of ``plan`` in order, but those whose node ids ``skip`` holds (their outcomes
    are known: each is only begun): ``begin_case`` before each, then ``record`` of its report (the
    failing phase's, else the call's). Then the second runs the failing ones left
    (``autograder.suite.substitution.run_later``): ``credited`` gets the passing report of each
    case one of them credits, in place of its failing one.

    Raises ``SharedFixtureFailed``, having run nothing, if the shared fixture cannot be set up."""
    if not plan.cases:
        return
    with _shared_value(plan, _request_of(plan.cases[0].item)) as shared, second_runs_later() as later:
        failed_first: list[tuple[PlannedCase, pytest.TestReport, SecondRun]] = []
        for case in plan.cases:
            begin_case(case.item)
            if case.item.nodeid in skip:
                continue
            left = len(later)
            report = _run_case(case, shared)
            record(report)
            if report.failed and len(later) > left:
                failed_first.append((case, report, later[-1]))
        skills = run_later([run for _, _, run in failed_first])
        for (case, report, _), skill in zip(failed_first, skills):
            if skill:
                credited(_passed(case, report.start, report.duration))


@contextmanager
def _shared_value(plan: Plan, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The shared fixture's value while the cases run. Finished after them as pytest finishes a
    session fixture; an error then would belong to the last case's teardown, which the kit ignores."""
    if plan.shared is None or not any(case.shared for case in plan.cases):
        yield None
        return
    generator = plan.shared(request=request)
    try:
        value = next(generator)
    except (Exception, OutcomeException) as err:
        raise SharedFixtureFailed(f"{type(err).__name__}: {err}") from err
    try:
        yield value
    finally:
        try:
            next(generator)
        except (Exception, OutcomeException):  # StopIteration included
            pass


def _request_of(item: pytest.Function) -> pytest.FixtureRequest:
    if not item._request:
        item._initrequest()  # as runtestprotocol does for an item run before
    request: pytest.FixtureRequest = item._request
    return request


def _run_case(case: PlannedCase, shared: Any) -> pytest.TestReport:
    item = case.item
    started, clock = time.time(), time.perf_counter()
    try:
        item.funcargs = _arguments(case, shared)
    except BaseException:
        return _failed(item, "setup", started, clock)
    try:
        item.runtest()
    except BaseException:
        return _failed(item, "call", started, clock)
    finally:
        item.funcargs = {}
    return _passed(case, started, time.perf_counter() - clock)


def _passed(case: PlannedCase, started: float, duration: float) -> pytest.TestReport:
    return pytest.TestReport(case.item.nodeid, case.location, case.keywords, "passed", None, "call",
                             duration=duration, start=started, stop=started + duration,
                             user_properties=case.item.user_properties)


def _arguments(case: PlannedCase, shared: Any) -> dict[str, Any]:
    """What the test function is called with: its per-case fixtures set up as pytest would."""
    values: dict[str, Any] = {**case.parameters, "request": _request_of(case.item)}
    if case.shared:
        values[SHARED_FIXTURE[0]] = shared
    for fixture in case.fixtures:
        values[fixture.name] = fixture.function(**{name: values[name] for name in fixture.arguments})
    return {name: values[name] for name in case.arguments}


def _failed(item: pytest.Function, when: Literal["setup", "call"], started: float, clock: float) -> pytest.TestReport:
    """pytest's report of the exception being handled (re-raised when it stops the run, as in pytest)."""
    excinfo = pytest.ExceptionInfo.from_current()
    if isinstance(excinfo.value, get_reraise_exceptions(item.config)):
        raise
    duration = time.perf_counter() - clock
    call: pytest.CallInfo[None] = pytest.CallInfo(None, excinfo, started, started + duration, duration, when,
                                                  _ispytest=True)
    report: pytest.TestReport = item.ihook.pytest_runtest_makereport(item=item, call=call)
    return report
