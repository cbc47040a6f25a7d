"""``autograder.grading.plain``: ``check``'s public suite run without pytest.

A plain suite is run both ways, pytest's (``run.run_suite``) and by hand, against the same
sandboxed submission: the outcomes must be the very same (names, order, marks, messages, kinds).
A suite outside the subset is handed back (None) before anything of the student's runs.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from autograder.assignment import Limits, get_assignment
from autograder.conftest_template import CONFTEST
from autograder.grading import plain, run
from autograder.grading.outcomes import SuiteRun
from autograder.grading.student import GradingSession, open_session
from autograder.solution_cache import solution_source, stub_source
from autograder.submission import Submission
from tests.grading.builders import write_suite

REPO = Path(__file__).resolve().parents[2]

KINDS = '''
    import numpy as np
    import pytest

    from autograder.suite import assert_close, derive
    from autograder.suite.consistency import CONSISTENT_WITH
    from reference.activations import get_activation

    CASES = [pytest.param(1.0, id="one", marks=pytest.mark.skill("p")),
             pytest.param(-2.0, id="minus-two", marks=[pytest.mark.skill("p"), pytest.mark.rule("r-two")])]

    @pytest.mark.skill("s")
    @pytest.mark.parametrize("x", [1.0, -2.0], ids=lambda x: f"x={x:g}")
    def test_double(student, x):
        assert student.double(x) == 2 * x

    @pytest.mark.parametrize("x", CASES)
    def test_params(student, x):
        assert student.double(x) == 2 * x

    @pytest.mark.skill("s", weight=2)
    @pytest.mark.contract
    @pytest.mark.rule("no-overflow")
    @pytest.mark.parametrize(("scale", "label"), [(1e308, "huge"), (1.0, "one")])
    def test_strict(strict_student, scale, label):
        assert np.all(np.isfinite(strict_student.double(np.array([scale])))), label

    @pytest.mark.skill("s")
    @pytest.mark.parametrize("value, name", [(0, "zero"), (2.5, None), ("word", True)])
    def test_default_ids(student, value, name):
        assert value is not None

    @pytest.mark.skill("s")
    @pytest.mark.parametrize("n", [3, 4], ids=["three", None])
    def test_listed_ids(student, n):
        assert student.double(n) == 2 * n

    @pytest.mark.skill("s")
    def test_wrong_answer(student):
        x = np.array([1.0])
        assert_close(student.double(x), derive(get_activation("relu").__call__, x), call="double(x=1)",
                     hint="relu, not double")

    @pytest.mark.skill("s")
    def test_raises(student):
        student.boom(3)

    @pytest.mark.skill("s")
    def test_missing_function(student):
        student.softmax(np.zeros(3))

    @pytest.mark.skill("s")
    def test_grader_bug(student):
        {}["missing"]

    @pytest.mark.skill("s")
    def test_consistent(student, record_property):
        record_property(CONSISTENT_WITH, "upstream")

    def test_without_a_skill(student):
        pass

    @pytest.mark.skill("s")
    @pytest.mark.skill("t")
    def test_two_skills():
        pass

    @pytest.mark.skill("s")
    def test_returns_a_value(student):
        return student.double(1.0)
'''


def without_grader_detail(suite_run: SuiteRun) -> SuiteRun:
    return dataclasses.replace(suite_run, outcomes=tuple(
        dataclasses.replace(o, detail="") if o.kind == "grader" else o for o in suite_run.outcomes))


def both_ways(suite: Path, factory: Any, module: str = "activations") -> tuple[Any, Any]:
    by_pytest = run.run_suite(suite, factory)
    by_hand = plain.run_plain_suite(suite, module, factory)
    return by_pytest, by_hand


@pytest.mark.filterwarnings("ignore::pytest.PytestReturnNotNoneWarning")
def test_a_plain_suite_gives_exactly_pytests_outcomes(tmp_path: Path, grading_session: GradingSession) -> None:
    suite = write_suite(tmp_path / "suite", test_kinds=KINDS, test_more='''
        import pytest

        @pytest.mark.skill("m")
        def test_in_a_second_module(student):
            assert student.double(2.0) == 4.0

        @pytest.mark.skill("m")
        def test_module_name():
            raise AssertionError(__name__)  # not an assert: the pytest running these tests rewrites those
    ''')
    by_pytest, by_hand = both_ways(suite, grading_session.factory)
    assert by_hand is not None
    # a fault of the suite's detail (the instructor's, never shown to students) is Python's traceback
    assert without_grader_detail(by_hand) == without_grader_detail(by_pytest)
    names = [o.name for o in by_hand.outcomes]
    assert names[:4] == ["double[x=1]", "double[x=-2]", "params[one]", "params[minus-two]"]
    assert "default_ids[0-zero]" in names and "default_ids[2.5-None]" in names and "listed_ids[4]" in names
    assert names[-2:] == ["in_a_second_module", "module_name"] and by_hand.outcomes[-1].message == "test_more"
    cases = {o.name: o for o in by_hand.outcomes}
    assert cases["params[minus-two]"].rules == ("r-two",) and cases["strict[1e+308-huge]"].contract
    assert cases["consistent"].consistent_with == "upstream"
    assert cases["grader_bug"].kind == "grader" and "KeyError: 'missing'" in cases["grader_bug"].detail
    assert len(by_hand.errors) == 2  # the case without a skill, the case with two


@pytest.mark.parametrize("assignment_id", ["activations", "backprop", "vanishing"])
def test_each_assignments_public_suite_runs_plain_as_pytest_runs_it(assignment_id: str) -> None:
    assignment = get_assignment(assignment_id)
    assert plain.plain_modules(assignment.public_tests, assignment.module) is not None
    for source in (solution_source(assignment), stub_source(assignment)):
        submission = Submission("alice", source, Path(f"{assignment.module}.py"))
        with open_session(submission, Limits(call_timeout_s=10.0, import_timeout_s=20.0)) as session:
            by_pytest, by_hand = both_ways(assignment.public_tests, session.factory, assignment.module)
        assert by_hand == by_pytest
        assert by_hand is not None and by_hand.outcomes and not by_hand.errors


OUTSIDE = {
    "pytest.raises": '''
        @pytest.mark.skill("s")
        def test_it(student):
            with pytest.raises(ValueError):
                student.boom(1)
    ''',
    "a fixture of its own": '''
        @pytest.fixture
        def value():
            return 1

        @pytest.mark.skill("s")
        def test_it(student, value):
            pass
    ''',
    "pytestmark": '''
        pytestmark = pytest.mark.skill("s")

        def test_it(student):
            pass
    ''',
    "two parametrize": '''
        @pytest.mark.skill("s")
        @pytest.mark.parametrize("a", [1, 2])
        @pytest.mark.parametrize("b", [1, 2])
        def test_it(student, a, b):
            pass
    ''',
    "the same id twice": '''
        @pytest.mark.skill("s")
        @pytest.mark.parametrize("a", [1, 2], ids=lambda a: "same")
        def test_it(student, a):
            pass
    ''',
    "an id pytest escapes": '''
        @pytest.mark.skill("s")
        @pytest.mark.parametrize("a", ["é"])
        def test_it(student, a):
            pass
    ''',
    "pytest under another name": '''
        import pytest as pt

        @pt.mark.skill("s")
        def test_it(student):
            pass
    ''',
    "a test class": '''
        class TestIt:
            def test_it(self, student):
                pass
    ''',
    "another decorator": '''
        import functools

        @functools.lru_cache
        @pytest.mark.skill("s")
        def test_it(student):
            pass
    ''',
    "a test name imported": '''
        from os.path import join as test_join

        @pytest.mark.skill("s")
        def test_it(student):
            pass
    ''',
}


class NeverCalled:
    def __call__(self) -> Any:
        raise AssertionError("a suite outside the subset called the student")


@pytest.mark.parametrize("what", sorted(OUTSIDE))
def test_a_suite_outside_the_subset_is_left_to_pytest_before_anything_runs(tmp_path: Path, what: str) -> None:
    suite = write_suite(tmp_path / "suite", test_it="import pytest\n" + textwrap.dedent(OUTSIDE[what]))
    asked: list[bool] = []
    assert plain.run_plain_suite(suite, "activations", NeverCalled(), ready=lambda: asked.append(True) or True) is None
    assert not asked


SIMPLE = '''
    import pytest

    @pytest.mark.skill("s")
    def test_it(student):
        pass
'''


def test_a_folder_holding_more_than_test_modules_is_left_to_pytest(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", test_it=SIMPLE)
    assert plain.plain_modules(suite, "activations") is not None
    (suite / "conftest.py").write_text(CONFTEST.format(module="activations", command="pip install x",
                                                       message="install the kit"), encoding="utf-8")
    assert plain.plain_modules(suite, "activations") is not None  # the release's own conftest.py
    (suite / "conftest.py").write_text(CONFTEST.format(module="activations", command="", message="")
                                       + "\npytest_plugins = ['my_plugin']\n", encoding="utf-8")
    assert plain.plain_modules(suite, "activations") is None
    (suite / "conftest.py").unlink()
    (suite / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    assert plain.plain_modules(suite, "activations") is None
    (suite / "pytest.ini").unlink()
    (suite / "helpers").mkdir()
    assert plain.plain_modules(suite, "activations") is None


def test_a_pytest_configuration_above_the_folder_or_in_the_environment_is_left_to_pytest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    suite = write_suite(tmp_path / "project" / "suite", test_it=SIMPLE)
    (tmp_path / "project" / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert plain.plain_modules(suite, "activations") is not None
    (tmp_path / "project" / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\naddopts = '-x'\nmarkers = ['skill: a skill']\n", encoding="utf-8")
    assert plain.plain_modules(suite, "activations") is not None  # options the kit's run overrides
    (tmp_path / "project" / "pyproject.toml").write_text("[tool.pytest.ini_options]\npythonpath = ['src']\n",
                                                         encoding="utf-8")
    assert plain.plain_modules(suite, "activations") is None
    (tmp_path / "project" / "tox.ini").write_text("[pytest]\nusefixtures = value\n", encoding="utf-8")
    (tmp_path / "project" / "pyproject.toml").unlink()
    assert plain.plain_modules(suite, "activations") is None
    (tmp_path / "project" / "tox.ini").unlink()
    assert plain.plain_modules(suite, "activations") is not None
    monkeypatch.setenv("PYTEST_ADDOPTS", "-x")
    assert plain.plain_modules(suite, "activations") is None


def test_check_of_a_passing_file_never_imports_pytest(tmp_path: Path) -> None:
    (tmp_path / "activations.py").write_text(solution_source(get_assignment("activations")), encoding="utf-8")
    probe = ("import sys\nfrom autograder.cli import main\n"
             "try:\n    main(['--course', sys.argv[1], 'check', 'activations.py'])\n"
             "except SystemExit as done:\n    print('status', done.code)\n"
             "print('pytest imported:', 'pytest' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe, str(REPO / "assignments")], cwd=tmp_path,
                          capture_output=True, text=True, check=False, timeout=120)
    assert "all public tests pass" in done.stdout, done.stdout + done.stderr
    assert "status 0" in done.stdout and "pytest imported: False" in done.stdout
