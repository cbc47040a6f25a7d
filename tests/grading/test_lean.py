"""``autograder.grading.lean``: a collected suite's cases run without pytest's per-case protocol.

A fork of a warm grading process runs the suite its parent collected (``run.collect_suite``);
for a suite inside the lean subset it calls each test function itself. These tests collect a
suite as the warm parent does and run it both ways, in this process: the outcomes must be the
very ones pytest's protocol gives, whatever the cases do.
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from autograder.assignment import Limits, get_assignment
from autograder.grading import run
from autograder.grading.outcomes import SuiteRun
from autograder.grading.student import GradingSession, open_session
from autograder.submission import Submission
from tests.grading.builders import write_suite

KINDS = '''
    import numpy as np
    import pytest

    from autograder.suite import assert_close, derive
    from autograder.suite.consistency import CONSISTENT_WITH
    from reference.activations import get_activation

    pytestmark = pytest.mark.skill("s")

    @pytest.mark.parametrize("x", [1.0, -2.0], ids=lambda x: f"x={x:g}")
    def test_double(student, x):
        assert student.double(x) == 2 * x

    @pytest.mark.contract
    @pytest.mark.parametrize(("scale", "label"), [(1e308, "huge"), (1.0, "one")])
    def test_strict(strict_student, scale, label):
        assert np.all(np.isfinite(strict_student.double(np.array([scale])))), label

    def test_wrong_answer(student):
        x = np.array([1.0])
        assert_close(student.double(x), derive(get_activation("relu").__call__, x), call="double(x=1)",
                     hint="relu, not double")

    def test_raises(student):
        student.boom(3)

    def test_missing_function(student):
        student.softmax(np.zeros(3))

    def test_grader_bug(student):
        {}["missing"]

    def test_skipped(student):
        pytest.skip("not today")

    def test_failed_by_pytest(student):
        pytest.fail("told to fail")

    def test_xfailed(student):
        pytest.xfail("known")

    def test_consistent(student, record_property):
        record_property(CONSISTENT_WITH, "upstream")

    def test_without_student():
        pass

    def test_returns_a_value(student):
        return student.double(1.0)
'''


@contextmanager
def collected(suite: Path) -> Iterator[run.CollectedSuite]:
    """``suite`` collected as a warm grading process collects it; forgotten afterwards."""
    run.collect_suite(suite)
    key = str(suite.resolve())
    try:
        yield run._COLLECTED[key]
    finally:
        run._COLLECTED.pop(key).config._ensure_unconfigure()
        run.purge_modules_under(suite)


def both_ways(suite: Path, factory: Any) -> tuple[SuiteRun, SuiteRun, run.CollectedSuite]:
    """The suite's run through pytest's protocol, its planned run, and the collected suite planned."""
    with collected(suite) as by_protocol:
        protocol = run._run_collected(dataclasses.replace(by_protocol, plan=None), factory, None, None)
    with collected(suite) as planned:
        lean = run._run_collected(planned, factory, None, None)
    return protocol, lean, planned


@pytest.mark.filterwarnings("ignore::pytest.PytestReturnNotNoneWarning")
def test_a_planned_run_gives_exactly_the_protocols_outcomes(tmp_path: Path,
                                                           grading_session: GradingSession) -> None:
    suite = write_suite(tmp_path / "suite", test_kinds=KINDS)
    protocol, lean, planned = both_ways(suite, grading_session.factory)
    assert planned.plan is not None and len(planned.plan.cases) == len(protocol.outcomes) == 14
    assert lean == protocol
    kinds = {o.name: "passed" if o.passed else o.kind for o in lean.outcomes}
    assert kinds == {"double[x=1]": "passed", "double[x=-2]": "passed", "strict[1e+308-huge]": "student",
                     "strict[1.0-one]": "passed", "wrong_answer": "assertion", "raises": "student",
                     "missing_function": "student", "grader_bug": "grader", "skipped": "grader",
                     "failed_by_pytest": "grader", "xfailed": "grader", "consistent": "passed",
                     "without_student": "passed", "returns_a_value": "passed"}
    cases = {o.name: o for o in lean.outcomes}
    assert "KeyError: 'missing'" in cases["grader_bug"].detail
    assert cases["consistent"].consistent_with == "upstream"
    assert cases["wrong_answer"].message.startswith("double(x=1): got [2.], should be [1.]")


def test_the_cases_of_some_skills_run_planned_as_by_protocol(tmp_path: Path,
                                                            grading_session: GradingSession) -> None:
    suite = write_suite(tmp_path / "suite", test_two='''
        import pytest

        @pytest.mark.skill("a")
        def test_a(student):
            assert student.double(1.0) == 2.0

        @pytest.mark.skill("b")
        def test_b(student):
            assert student.double(1.0) == 3.0
    ''')
    with collected(suite) as planned:
        lean = run._run_collected(planned, grading_session.factory, None, frozenset({"b"}))
    with collected(suite) as by_protocol:
        protocol = run._run_collected(dataclasses.replace(by_protocol, plan=None), grading_session.factory,
                                      None, frozenset({"b"}))
    assert lean == protocol
    assert [(o.name, o.passed) for o in lean.outcomes] == [("b", False)]


JUDGED = '''
    import numpy as np
    import pytest

    from autograder.suite.substitution import Upstream, judged_again_with

    UP = Upstream("up", "u", lambda x: 2.0 * np.asarray(x, dtype=np.float64))
    pytestmark = pytest.mark.skill("d")

    @pytest.mark.parametrize("x", [1.0, 3.0, 5.0])
    @judged_again_with(UP)
    def test_down(student, x):
        assert float(student.down(x)) == pytest.approx(4.0 * x)

    @pytest.mark.parametrize("x", [1.0, 3.0])
    @judged_again_with(UP)
    def test_unwritten(student, x):
        assert float(student.unwritten(x)) == pytest.approx(x)

    @pytest.mark.skill("u")
    def test_up(student):
        assert float(student.up(1.0)) == pytest.approx(2.0)
'''
OWN_WRONG_UPSTREAM = '''
def up(x):
    return 3.0 * x

def down(x):
    return up(x) * 2.0

def unwritten(x):
    raise NotImplementedError
'''


def test_second_runs_put_off_give_the_protocols_outcomes_with_a_worker_per_kind(tmp_path: Path) -> None:
    """The planned run judges every failing case again after all first runs, grouped by what they
    substitute: the same credit and failures as inline second runs, and a fresh worker once, for the
    plain calls after the group (the witnesses replayed), instead of one or two per failing case."""
    suite = write_suite(tmp_path / "suite", test_judged=JUDGED)
    submission = Submission("bob", OWN_WRONG_UPSTREAM, Path("bob.py"))
    started = {}
    runs = {}
    for way in ("protocol", "lean"):
        with open_session(submission, Limits(call_timeout_s=5.0, import_timeout_s=10.0)) as session, \
                collected(suite) as suite_collected:
            planned = suite_collected if way == "lean" else dataclasses.replace(suite_collected, plan=None)
            runs[way] = run._run_collected(planned, session.factory, None, None)
            started[way] = session.session.workers_started
    assert runs["lean"] == runs["protocol"]
    outcomes = {o.name: o for o in runs["lean"].outcomes}
    downs = [outcomes[f"down[{x}]"] for x in (1.0, 3.0, 5.0)]
    assert [(o.passed, o.consistent_with) for o in downs] == [(True, "u")] * 3
    unwritten = outcomes["unwritten[1.0]"]
    assert not unwritten.passed and "NotImplementedError" in unwritten.message
    assert not outcomes["up"].passed
    assert started["lean"] == 2, started  # the first, then a fresh one for the plain calls after the group
    assert started["protocol"] > 2 * started["lean"], started


def no_sandbox() -> AbstractContextManager[object]:
    raise RuntimeError("no sandbox today")


@pytest.mark.filterwarnings("ignore::pytest.PytestReturnNotNoneWarning")
def test_a_student_that_cannot_be_set_up_fails_each_case_as_by_protocol(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", test_kinds=KINDS)
    protocol, lean, _ = both_ways(suite, no_sandbox)
    assert lean == protocol
    failed = [o for o in lean.outcomes if not o.passed]
    assert len(failed) == 13 and all(o.kind == "grader" and "no sandbox today" in o.detail for o in failed)


@pytest.mark.parametrize("assignment_id", ["activations", "backprop", "vanishing"])
def test_every_bundled_suite_runs_planned(assignment_id: str) -> None:
    assignment = get_assignment(assignment_id)
    for suite in (assignment.hidden_tests, assignment.public_tests):
        with collected(suite) as suite_collected:
            assert suite_collected.plan is not None, suite
            assert [case.item for case in suite_collected.plan.cases] == suite_collected.items


OUTSIDE = {
    "own fixture": '''
        @pytest.fixture
        def points():
            return [1.0]

        @pytest.mark.skill("s")
        def test_x(student, points):
            pass
    ''',
    "own student": '''
        @pytest.fixture
        def student():
            return None

        @pytest.mark.skill("s")
        def test_x(student):
            pass
    ''',
    "skipif marker": '''
        @pytest.mark.skipif(True, reason="off")
        @pytest.mark.skill("s")
        def test_x(student):
            pass
    ''',
    "xfail marker": '''
        @pytest.mark.xfail(reason="known")
        @pytest.mark.skill("s")
        def test_x(student):
            pass
    ''',
    "usefixtures marker": '''
        @pytest.mark.usefixtures("student")
        @pytest.mark.skill("s")
        def test_x():
            pass
    ''',
    "class": '''
        class TestValues:
            @pytest.mark.skill("s")
            def test_x(self, student):
                pass
    ''',
    "request": '''
        @pytest.mark.skill("s")
        def test_x(request):
            pass
    ''',
    "indirect parameter": '''
        @pytest.fixture
        def value(request):
            return request.param

        @pytest.mark.skill("s")
        @pytest.mark.parametrize("value", [1], indirect=True)
        def test_x(value):
            pass
    ''',
    "setup_module": '''
        def setup_module():
            pass

        @pytest.mark.skill("s")
        def test_x(student):
            pass
    ''',
}


@pytest.mark.parametrize("text", OUTSIDE.values(), ids=OUTSIDE.keys())
def test_a_suite_outside_the_subset_runs_by_protocol(tmp_path: Path, text: str) -> None:
    suite = write_suite(tmp_path / "suite", test_plain='''
        import pytest

        @pytest.mark.skill("s")
        def test_plain(student):
            pass
    ''', test_outside="import pytest\n" + textwrap.dedent(text))
    with collected(suite) as suite_collected:
        assert len(suite_collected.items) >= 2 and suite_collected.plan is None


def test_a_conftest_hook_puts_the_suite_outside_the_subset(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", conftest='''
        def pytest_runtest_call(item):
            pass
    ''', test_plain='''
        import pytest

        @pytest.mark.skill("s")
        def test_plain(student):
            pass
    ''')
    with collected(suite) as suite_collected:
        assert suite_collected.plan is None


def test_an_interrupt_stops_a_planned_run_as_it_stops_pytest(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", test_stop='''
        import pytest

        @pytest.mark.skill("s")
        def test_stop():
            raise KeyboardInterrupt
    ''')
    with collected(suite) as planned, pytest.raises(KeyboardInterrupt):
        run._run_collected(planned, no_sandbox, None, None)
