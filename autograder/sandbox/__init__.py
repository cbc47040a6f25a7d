"""Run untrusted student code in a sandboxed worker and call it from the grader.

Typical use from a test suite::

    with SandboxSession(source, filename="alice.py") as session:  # or a Program of cells
        student = StudentProxy(session)
        value = student.sigmoid(np.linspace(-5, 5, 11))

See ``launcher`` for what the sandbox does and does not stop, ``session`` for
the failure model and ``wire`` for what values can cross the boundary.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "BadResult": "autograder.sandbox.session",
    "CallTimedOut": "autograder.sandbox.session",
    "CapturedOutput": "autograder.sandbox.launcher",
    "CodeCell": "autograder.sandbox.program",
    "FunctionDisabled": "autograder.sandbox.session",
    "InputChanged": "autograder.sandbox.session",
    "LoadReport": "autograder.sandbox.loading",
    "Location": "autograder.sandbox.loading",
    "MissingFunction": "autograder.sandbox.session",
    "Program": "autograder.sandbox.program",
    "ProtocolError": "autograder.sandbox.wire",
    "SandboxKind": "autograder.sandbox.launcher",
    "SandboxLimits": "autograder.sandbox.launcher",
    "SandboxSession": "autograder.sandbox.session",
    "SandboxUnavailable": "autograder.sandbox.launcher",
    "StatementFailure": "autograder.sandbox.loading",
    "Student": "autograder.sandbox.proxy",
    "StudentCallError": "autograder.sandbox.session",
    "StudentFunction": "autograder.sandbox.proxy",
    "StudentProxy": "autograder.sandbox.proxy",
    "StudentRaised": "autograder.sandbox.session",
    "UnsupportedValue": "autograder.sandbox.wire",
    "WorkerDied": "autograder.sandbox.session",
    "sandbox_kind": "autograder.sandbox.launcher",
    "sandbox_kind_reason": "autograder.sandbox.launcher",
}
"""Where each name lives: the package imports a module on the first use of one of its names, so that
``autograder check`` can start its worker (``launcher``, ``program``) before numpy and the wire load."""


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


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
