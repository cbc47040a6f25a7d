"""The pytest plugin: the ``student`` fixture, the ``points`` marker and ``--submission``.

Each test runs a tiny suite with ``pytest.main`` in this process, the way an
instructor runs ``pytest --submission alice.py tests/hidden``.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from autograder.suite.plugin import STUDENT_FACTORY
from tests.grading.builders import GOOD, WRONG_RELU, submission_file, write_suite

SUITE = '''
import numpy as np
import pytest


@pytest.mark.skill("sigmoid")
def test_relu(student):
    assert student.relu(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]
'''


class Recorder:
    """Outcome per test name, over every phase."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}
        self.messages: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = report.nodeid.split("::")[-1]
        if report.failed or name not in self.outcomes:
            self.outcomes[name] = report.outcome
            self.messages[name] = report.longreprtext


def run_pytest(suite: Path, *args: str, plugins: tuple[Any, ...] = (),
               grading_plugin: str = "autograder.grading.direct") -> tuple[int, Recorder]:
    """``pytest`` on ``suite`` in this process; its modules are forgotten afterwards (pytest
    would otherwise reuse a ``test_s`` module of one test's suite for the next one's)."""
    recorder = Recorder()
    argv = ["-p", "autograder.suite.plugin", "-p", grading_plugin,
            "-p", "no:cacheprovider", "--import-mode=importlib",
            "-o", "addopts=", "--strict-markers", "-q", "--rootdir", str(suite), *args, str(suite)]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            code = pytest.main(argv, plugins=[recorder, *plugins])
    finally:
        for name, module in list(sys.modules.items()):
            if (getattr(module, "__file__", None) or "").startswith(str(suite)):
                del sys.modules[name]
    return int(code), recorder


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return write_suite(tmp_path / "suite", test_tiny=SUITE)


def test_points_marker_is_registered_for_strict_markers(suite: Path, tmp_path: Path) -> None:
    good = submission_file(tmp_path, "alice.py", GOOD)
    code, recorder = run_pytest(suite, "--submission", str(good))
    assert code == pytest.ExitCode.OK
    assert recorder.outcomes == {"test_relu": "passed"}


def test_submission_option_grades_that_file_in_the_sandbox(suite: Path, tmp_path: Path) -> None:
    wrong = submission_file(tmp_path, "bob.py", WRONG_RELU)
    code, recorder = run_pytest(suite, "--submission", str(wrong))
    assert code == pytest.ExitCode.TESTS_FAILED
    assert recorder.outcomes == {"test_relu": "failed"}


def test_without_a_submission_the_student_fixture_says_how_to_pass_one(suite: Path) -> None:
    code, recorder = run_pytest(suite)
    assert code != pytest.ExitCode.OK
    assert "this suite needs a submission: pass --submission PATH" in recorder.messages["test_relu"]


def test_a_submission_that_cannot_load_errors_with_the_reason(suite: Path, tmp_path: Path) -> None:
    broken = submission_file(tmp_path, "carol.py", "def relu(x:\n    return x\n")
    code, recorder = run_pytest(suite, "--submission", str(broken))
    assert code != pytest.ExitCode.OK
    assert recorder.outcomes["test_relu"] == "failed"
    assert "SyntaxError: '(' was never closed" in recorder.messages["test_relu"]


def test_a_factory_in_the_stash_replaces_the_option(suite: Path) -> None:
    class FakeStudent:
        def relu(self, x: Any) -> Any:
            return x.clip(min=0.0)

    entered: list[str] = []

    @contextmanager
    def factory() -> Iterator[FakeStudent]:
        entered.append("yes")
        yield FakeStudent()

    class Install:
        def pytest_configure(self, config: pytest.Config) -> None:
            config.stash[STUDENT_FACTORY] = factory

    code, recorder = run_pytest(suite, plugins=(Install(),))
    assert code == pytest.ExitCode.OK and recorder.outcomes == {"test_relu": "passed"}
    assert entered == ["yes"]


def test_strict_student_raises_on_floating_point_errors_in_the_students_code(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", test_strict='''
        import numpy as np
        import pytest

        X = np.array([-1000.0, 0.0])

        @pytest.mark.skill("sigmoid")
        def test_lenient(student):
            assert np.isfinite(student.sigmoid(X)).all()

        @pytest.mark.skill("sigmoid")
        def test_strict(strict_student):
            strict_student.sigmoid(X)
    ''')
    overflowing = submission_file(tmp_path, "dan.py", GOOD)  # np.exp(1000) overflows to inf, 1/inf = 0
    _, recorder = run_pytest(suite, "--submission", str(overflowing))
    assert recorder.outcomes == {"test_lenient": "passed", "test_strict": "failed"}
    assert "FloatingPointError" in recorder.messages["test_strict"] and "overflow" in recorder.messages["test_strict"]


def test_the_suite_plugin_imports_nothing_of_the_grader() -> None:
    """What suites are written with sits below the grader: it asks for a student through a hook."""
    import subprocess

    probe = ("import sys, autograder.suite.plugin, autograder.suite\n"
             "print(sorted(m for m in sys.modules if m.startswith('autograder.grading')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_without_the_grading_plugin_the_option_says_what_to_add(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", test_s=SUITE)
    good = submission_file(tmp_path, "alice.py", GOOD)
    _, recorder = run_pytest(suite, "--submission", str(good), grading_plugin="no:autograder.grading.direct")
    assert "add -p autograder.grading.direct" in recorder.messages["test_relu"]
