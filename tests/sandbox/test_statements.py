"""Keep-going loading in real workers: each top-level statement on its own, as Jupyter runs cells."""

from __future__ import annotations

import time

import pytest

from autograder.sandbox import StudentRaised
from autograder.sandbox.loading import Location
from autograder.sandbox.program import CodeCell, Program

from .conftest import source


def notebook(*cells: str, numbers: tuple[int, ...] | None = None) -> Program:
    """A keep-going program of ``cells`` (dedented), numbered 1, 2, ... unless ``numbers`` say otherwise."""
    numbers = numbers or tuple(range(1, len(cells) + 1))
    return Program(tuple(CodeCell(source(text), n) for text, n in zip(cells, numbers)), keep_going=True)


def script(text: str) -> Program:
    return Program.script(source(text), keep_going=True)


def test_a_failing_statement_costs_only_itself(make_session) -> None:
    session = make_session(script("""
        def double(x):
            return 2 * x
        double(undefined)
        def triple(x):
            return 3 * x
    """))
    report = session.loaded
    assert report.ok and report.functions == ("double", "triple")
    (failure,) = report.failures
    assert (failure.where, failure.type) == (Location(None, 3, "double(undefined)"), "NameError")
    assert session.call("triple", (2,)) == 6


def test_every_kind_of_exit_costs_only_its_statement(make_session) -> None:
    session = make_session(script("""
        import sys
        sys.exit(0)
        raise SystemExit(3)
        raise KeyboardInterrupt
        def f():
            return "still here"
    """))
    assert [f.type for f in session.loaded.failures] == ["SystemExit", "SystemExit", "KeyboardInterrupt"]
    assert session.call("f") == "still here"


def test_the_last_definition_wins(make_session) -> None:
    session = make_session(notebook("def f():\n    return 'draft'", "f()", "def f():\n    return 'final'"))
    assert session.loaded.failures == () and session.call("f") == "final"


def test_a_cell_that_does_not_parse_is_skipped_whole(make_session) -> None:
    session = make_session(notebook("def f():\n    return 1", "x = 1\ndef g(:\n    pass", "def h():\n    return 3",
                                    numbers=(2, 5, 7)))
    report = session.loaded
    assert report.functions == ("f", "h")
    (failure,) = report.failures
    assert failure.whole_cell and failure.type == "SyntaxError"
    assert failure.describe() == ("cell 5, line 2 (`def g(:`): SyntaxError: invalid syntax; "
                                  "the whole cell was skipped, the rest of the notebook still ran")


def test_a_script_that_does_not_parse_fails_the_load(make_session) -> None:
    report = make_session(script("def f(:\n    pass\n")).loaded
    assert not report.ok and report.error_type == "SyntaxError"


def test_a_statement_python_refuses_to_compile_costs_only_itself(make_session) -> None:
    session = make_session(script("return 5\ndef f():\n    return 1\n"))
    (failure,) = session.loaded.failures
    assert (failure.type, failure.where.line, failure.whole_cell) == ("SyntaxError", 1, False)
    assert session.call("f") == 1


def test_a_failure_inside_a_function_names_where_it_was_raised(make_session) -> None:
    session = make_session(notebook("""
        def elu(x):
            raise NotImplementedError()
    """, "elu(1.0)", numbers=(4, 5)))
    (failure,) = session.loaded.failures
    assert failure.describe() == ("cell 5, line 1: `elu(1.0)` raised NotImplementedError (in elu, cell 4, line 2); "
                                  "the rest of the notebook still ran")


def test_a_traceback_of_a_call_names_the_cell(make_session) -> None:
    session = make_session(notebook("import numpy as np", "def f(x):\n    return x / 0"),
                           filename="alice.ipynb")
    with pytest.raises(StudentRaised) as info:
        session.call("f", (1,))
    assert 'File "alice.ipynb, cell 2", line 2, in f' in info.value.traceback


def test_input_answers_an_empty_string_and_is_reported(make_session) -> None:
    session = make_session(script("""
        name = input("your name? ")
        count = int(input())
        def answer():
            return name
    """))
    report = session.loaded
    assert session.call("answer") == ""
    assert [f.type for f in report.failures] == ["ValueError"]  # int("") fails in its own statement
    assert [where.line for where in report.inputs] == [1, 2]
    assert session.captured_output().stdout == "your name? "


def test_future_imports_apply_to_the_statements_after_them(make_session) -> None:
    session = make_session(script("""
        from __future__ import annotations
        def f(x: UndefinedType) -> str:
            return f.__annotations__["x"]
    """))
    assert session.loaded.failures == () and session.call("f", (1,)) == "UndefinedType"


def test_failures_beyond_the_cap_are_counted(make_session) -> None:
    session = make_session(script("\n".join(f"undefined_{i}" for i in range(130)) + "\ndef f():\n    return 1\n"))
    report = session.loaded
    assert len(report.failures) == 100 and report.more_failures == 30
    assert report.warnings()[-1] == "... and 30 more statements failed"


@pytest.mark.slow
def test_a_statement_that_hangs_fails_the_load_and_is_named(make_session) -> None:
    started = time.monotonic()
    session = make_session(notebook("def f():\n    return 1", "import time\n\nwhile True:\n    time.sleep(1)"),
                           import_timeout_s=1.5)
    assert time.monotonic() - started < 6
    report = session.loaded
    assert not report.ok
    assert report.error_message == "timed out after 1.5 s while running cell 2, line 3 (`while True:`)"


def test_a_worker_killed_by_a_statement_names_it(make_session) -> None:
    report = make_session(notebook("import os", "os._exit(7)")).loaded
    assert not report.ok and report.error_type == "WorkerDied"
    assert report.error_message.endswith("status 7 while running cell 2, line 1 (`os._exit(7)`)")


def test_strict_mode_still_stops_at_the_first_exception(make_session) -> None:
    report = make_session("x = 1\nraise ValueError('stop')\ndef f():\n    pass\n").loaded
    assert not report.ok and report.error_type == "ValueError" and report.failures == ()
