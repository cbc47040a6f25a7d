"""The grader's handle on one sandboxed submission (``open_session``, ``sandboxed_student``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.assignment import Limits
from autograder.grading.student import (
    GradingSession,
    open_session,
    sandbox_limits,
    sandboxed_student,
)
from autograder.sandbox import sandbox_kind
from autograder.submission import Submission
from tests.grading.builders import GOOD, submission_file


def test_manifest_limits_become_sandbox_limits() -> None:
    limits = sandbox_limits(Limits(call_timeout_s=1.5, import_timeout_s=2.5, memory_mb=300, cpu_seconds=7))
    assert limits.call_timeout_s == pytest.approx(1.5)
    assert limits.import_timeout_s == pytest.approx(2.5)
    assert limits.memory_bytes == 300 * 1024 * 1024
    assert limits.cpu_seconds == 7


def test_session_proxy_calls_the_submission_and_captures_its_output(grading_session: GradingSession) -> None:
    assert grading_session.load_error == ""
    assert grading_session.sandbox == str(sandbox_kind())
    with grading_session.factory() as student:
        assert student.double(2.5) == pytest.approx(5.0)


def test_captured_output_is_labelled_by_stream() -> None:
    source = 'import sys\nprint("hello from import")\nprint("oops", file=sys.stderr)\n'
    with open_session(Submission("bob", source, Path("bob.py")), Limits()) as session:
        output = session.captured_output()
    assert "--- stdout ---\nhello from import" in output
    assert "--- stderr ---\noops" in output


def test_a_submission_that_fails_to_import_has_a_one_line_load_error() -> None:
    source = "import numpy as np\ndef sigmoid(x:\n    return x\n"
    with open_session(Submission("carol", source, Path("carol.py")), Limits()) as session:
        assert session.load_error == ("the submission could not be loaded: SyntaxError: "
                                      "'(' was never closed (carol.py, line 2)")


def test_a_statement_that_raises_at_import_is_a_warning_not_a_load_error() -> None:
    source = "import numpy as np\nraise RuntimeError('no GPU found')\ndef double(x):\n    return 2 * x\n"
    with open_session(Submission("carol", source, Path("carol.py")), Limits()) as session:
        assert session.load_error == ""
        assert session.load_warnings == ("line 2: `raise RuntimeError('no GPU found')` raised RuntimeError: "
                                         "no GPU found; the rest of the file still ran",)
        assert session.proxy.double(2.0) == 4.0


def test_sandboxed_student_refuses_a_submission_that_cannot_load(tmp_path: Path) -> None:
    path = submission_file(tmp_path, "dave.py", "def broken(:\n")
    with pytest.raises(RuntimeError, match="SyntaxError"), sandboxed_student(path):
        pass


def test_sandboxed_student_reads_the_file_at_path(tmp_path: Path) -> None:
    path = submission_file(tmp_path, "erin.py", GOOD)
    with sandboxed_student(path) as student:
        assert student.relu(-3.0) == pytest.approx(0.0)
