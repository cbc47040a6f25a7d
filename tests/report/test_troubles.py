"""The report recognises timeouts and worker crashes from the messages the sandbox really writes."""

from __future__ import annotations

import signal

import pytest

from autograder.grading.student import SubmissionTimeUp
from autograder.report import troubles
from autograder.sandbox.launcher import SandboxLimits, describe_exit
from autograder.sandbox.session import (
    BREAKS_BEFORE_DISABLE,
    MAX_RESTARTS,
    CallTimedOut,
    FunctionDisabled,
    MissingFunction,
    StudentRaised,
    WorkerDied,
)
from tests.grading.builders import outcome

LIMITS = SandboxLimits()


def failing(message: str, kind: str = "student") -> object:
    return outcome("softmax[n=3]", "softmax", passed=False, message=message, kind=kind)


TIMEOUTS = [
    (str(CallTimedOut("softmax", 5.0)), "softmax"),
    (str(FunctionDisabled("softmax", "it did not return within 5 s earlier")), "softmax"),
    (str(SubmissionTimeUp("softmax", 30.0)), "softmax"),
]
CRASHES = [
    (str(WorkerDied(describe_exit(-signal.SIGKILL, "fallback", LIMITS), "softmax")), "softmax"),
    (str(WorkerDied(describe_exit(128 + signal.SIGSEGV, "bwrap", LIMITS), "softmax")), "softmax"),
    (str(WorkerDied(describe_exit(-signal.SIGXCPU, "bwrap", LIMITS), "softmax")), "softmax"),
    (str(WorkerDied(describe_exit(3, "bwrap", LIMITS), "softmax")), "softmax"),
    (str(WorkerDied(describe_exit(None, "bwrap", LIMITS), "softmax")), "softmax"),
    (str(FunctionDisabled("softmax", f"it killed the worker {BREAKS_BEFORE_DISABLE} times")), "softmax"),
    (str(FunctionDisabled("softmax", f"it garbled the result channel of the worker {BREAKS_BEFORE_DISABLE} times")),
     "softmax"),
    (str(WorkerDied(f"the worker crashed {MAX_RESTARTS} times; it is not restarted again")), ""),
    (str(WorkerDied("the worker could not be restarted: the submission could not be loaded")), ""),
]


@pytest.mark.parametrize(("message", "function"), TIMEOUTS)
def test_every_timeout_message_is_a_timeout(message: str, function: str) -> None:
    found = troubles.timed_out([failing(message)])
    assert found is not None and found.functions == ((function,) if function else ())
    assert found.checks == 1 and found.first_message == message.split("\n")[0]
    assert troubles.crashed([failing(message)]) is None


@pytest.mark.parametrize(("message", "function"), CRASHES)
def test_every_crash_message_is_a_crash(message: str, function: str) -> None:
    found = troubles.crashed([failing(message)])
    assert found is not None and found.functions == ((function,) if function else ())
    assert troubles.timed_out([failing(message)]) is None


@pytest.mark.parametrize("message", [
    str(StudentRaised("ValueError", "the worker was killed by me")),  # the student's own words
    str(StudentRaised("RuntimeError", "softmax() did not return within 5 s")),
    str(MissingFunction("softmax")),
    "softmax(z=[1, 2]): got nan, should be 0.5",
])
def test_wrong_answers_raised_errors_and_missing_functions_are_neither(message: str) -> None:
    for kind in ("assertion", "student"):
        assert troubles.timed_out([failing(message, kind)]) is None
        assert troubles.crashed([failing(message, kind)]) is None


def test_only_student_failures_count_so_a_returned_string_cannot_fake_a_timeout() -> None:
    message = "softmax(z=[1]): got 'did not return within 5 s', should be [1.]"
    assert troubles.timed_out([failing(message, "assertion")]) is None


def test_functions_are_listed_once_in_order() -> None:
    cases = [failing(str(CallTimedOut("tanh", 5.0))), failing(str(FunctionDisabled("tanh", "it did not return "
                                                                                      "within 5 s earlier"))),
             failing(str(CallTimedOut("elu", 5.0))), outcome("ok", "relu")]
    found = troubles.timed_out(cases)
    assert found is not None and found.functions == ("tanh", "elu") and found.checks == 3
