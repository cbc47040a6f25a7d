"""Run untrusted student code in a sandboxed worker and call it from the grader.

Typical use from a test suite::

    with SandboxSession(source, filename="alice.py") as session:
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
from autograder.sandbox.proxy import StudentFunction, StudentProxy
from autograder.sandbox.session import (
    BadResult,
    InputChanged,
    CallTimedOut,
    FunctionDisabled,
    LoadReport,
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
    "FunctionDisabled",
    "LoadReport",
    "MissingFunction",
    "ProtocolError",
    "SandboxKind",
    "SandboxLimits",
    "SandboxSession",
    "SandboxUnavailable",
    "StudentCallError",
    "StudentFunction",
    "StudentProxy",
    "StudentRaised",
    "UnsupportedValue",
    "WorkerDied",
    "sandbox_kind",
    "sandbox_kind_reason",
]
