"""Run untrusted student code in a sandboxed worker and call it from the grader.

Typical use from a test suite::

    with SandboxSession(source, filename="alice.py") as session:  # or a Program of cells
        student = StudentProxy(session)
        value = student.sigmoid(np.linspace(-5, 5, 11))

See ``launcher`` for what the sandbox does and does not stop, ``session`` for
the failure model and ``wire`` for what values can cross the boundary.
"""

from __future__ import annotations

from autograder.sandbox.launcher import (
    CapturedOutput,
    SandboxKind,
    SandboxLimits,
    SandboxUnavailable,
    sandbox_kind,
    sandbox_kind_reason,
)
from autograder.sandbox.loading import LoadReport, Location, StatementFailure
from autograder.sandbox.program import CodeCell, Program
from autograder.sandbox.proxy import Student, StudentFunction, StudentProxy
from autograder.sandbox.session import (
    BadResult,
    CallTimedOut,
    FunctionDisabled,
    InputChanged,
    MissingFunction,
    SandboxSession,
    StudentCallError,
    StudentRaised,
    WorkerDied,
)
from autograder.sandbox.wire import ProtocolError, UnsupportedValue

__all__ = [
    "BadResult",
    "InputChanged",
    "CallTimedOut",
    "CapturedOutput",
    "CodeCell",
    "FunctionDisabled",
    "LoadReport",
    "Location",
    "MissingFunction",
    "Program",
    "ProtocolError",
    "SandboxKind",
    "SandboxLimits",
    "SandboxSession",
    "SandboxUnavailable",
    "StudentCallError",
    "Student",
    "StudentFunction",
    "StudentProxy",
    "StatementFailure",
    "StudentRaised",
    "UnsupportedValue",
    "WorkerDied",
    "sandbox_kind",
    "sandbox_kind_reason",
]
