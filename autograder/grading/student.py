"""The ``student`` a suite talks to: a proxy over one sandboxed submission.

The diagnosis module (numpy, the catalog) loads with the first session, not with this one:
``autograder check`` starts its worker before importing this module (``autograder.grading.early``)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from contextlib import closing, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.assignment import Limits
from autograder.grading.early import StartedWorker
from autograder.grading.early import sandbox_limits as sandbox_limits  # where it was
from autograder.sandbox import (
    CapturedOutput,
    InputChanged,
    SandboxSession,
    Student,
    StudentCallError,
    StudentProxy,
    StudentRaised,
)
from autograder.sandbox.isolation import OWN_MACHINE_NOTE, sandbox_missing
from autograder.sandbox.launcher import WorkerKind
from autograder.sandbox.proxy import FunctionsByName
from autograder.sandbox.session import Substitutes
from autograder.sandbox.wire import CallOptions
from autograder.submission import Submission, load_submission

if TYPE_CHECKING:
    from autograder.grading.diagnose import CallLog


def _render_output(output: CapturedOutput) -> str:
    parts = []
    for name, text, dropped in (("stdout", output.stdout, output.stdout_dropped),
                                ("stderr", output.stderr, output.stderr_dropped)):
        if text:
            note = f"\n[... {dropped} more bytes dropped]" if dropped else ""
            parts.append(f"--- {name} ---\n{text}{note}")
    return "\n".join(parts)


class SubmissionTimeUp(StudentCallError):
    """The submission used up its total grading time; the remaining calls fail at once."""

    def __init__(self, name: str, seconds: float) -> None:
        super().__init__(f"{name}() was not run: time budget exhausted (the submission used up its "
                         f"total grading time of {seconds:g} s; look for slow loops or calls that hang)")


class DeadlineProxy(FunctionsByName):
    """A ``StudentProxy`` whose calls share one deadline for the whole submission.

    Each call may take at most the smaller of its own timeout and the time left;
    once the deadline has passed, calls fail with ``SubmissionTimeUp`` without
    reaching the worker. Same interface as ``StudentProxy`` for the suites.
    """

    def __init__(self, proxy: Student, *, deadline: float, budget_s: float,
                 call_timeout_s: float, log: CallLog | None = None) -> None:
        self._proxy = proxy
        self._deadline = deadline
        self._budget_s = budget_s
        self._call_timeout_s = call_timeout_s
        self._log = log
        self._with_call_timeout: Student | None = None

    def extend_deadline(self, seconds: float) -> None:
        """Move the deadline by ``seconds``: time the grader took that is not the submission's."""
        self._deadline += max(0.0, seconds)

    def _bounded(self, remaining: float) -> Student:
        """The proxy whose calls may take the call timeout, or ``remaining`` when that is less."""
        if remaining < self._call_timeout_s:
            return self._proxy.with_options(timeout=remaining)
        if self._with_call_timeout is None:
            self._with_call_timeout = self._proxy.with_options(timeout=self._call_timeout_s)
        return self._with_call_timeout

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise SubmissionTimeUp(name, self._budget_s)
        try:
            result = self._bounded(remaining).function(name)(*args, **kwargs)
        except StudentRaised as err:
            self._record(name, args, kwargs, raised=err.type)
            raise
        except InputChanged:
            self._record(name, args, kwargs, raised=InputChanged.__name__)
            raise
        self._record(name, args, kwargs, result=result)
        return result

    def _record(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], *, result: Any = None,
                raised: str = "") -> None:
        """Keep the call for diagnosis (``autograder.grading.diagnose``), when a log is attached."""
        if self._log is not None:
            from autograder.grading.diagnose import LoggedCall

            options = self._proxy.options
            if options.substitute:  # values of the grader's functions took part: not the student's own
                return
            self._log.record(LoggedCall(name, args, dict(kwargs), options.readonly_inputs, options.errstate,
                                        result, raised))

    def __repr__(self) -> str:
        return "<student>"

    def has(self, name: str) -> bool:
        return self._proxy.has(name)

    @property
    def options(self) -> CallOptions:
        return self._proxy.options

    def with_options(self, *, timeout: float | None = None, errstate: bool | None = None,
                     readonly_inputs: bool | None = None, substitute: Substitutes | None = None) -> DeadlineProxy:
        """Other call options; ``timeout`` still never runs past the deadline."""
        return DeadlineProxy(self._proxy.with_options(errstate=errstate, readonly_inputs=readonly_inputs,
                                                      substitute=substitute),
                             deadline=self._deadline,
                             budget_s=self._budget_s,
                             call_timeout_s=self._call_timeout_s if timeout is None else timeout,
                             log=self._log)


@dataclass
class GradingSession:
    """One submission's sandbox, as the grader sees it."""

    session: SandboxSession
    proxy: DeadlineProxy
    log: CallLog

    @property
    def load_error(self) -> str:
        """Why the submission could not be imported ("" when it loaded)."""
        report = self.session.loaded
        return "" if report.ok else report.describe()

    @property
    def load_warnings(self) -> tuple[str, ...]:
        """A line per statement that failed while loading (cell, line, exception), and per ``input()``."""
        return self.session.loaded.warnings()

    @property
    def sandbox(self) -> str:
        return str(self.session.kind or "none")

    def factory(self) -> Any:
        """What the suite plugin calls to get the ``student`` proxy."""
        return nullcontext(self.proxy)

    def captured_output(self) -> str:
        return _render_output(self.session.captured_output())


def sandbox_session(submission: Submission, limits: Limits, kind: WorkerKind | None = None) -> SandboxSession:
    """The (not yet started) sandbox session of ``submission``: call ``spawn()`` on it to start its
    worker early, and hand it to ``open_session``. ``kind`` "none": the own-machine worker, no sandbox."""
    return SandboxSession(submission.program(), filename=submission.filename, limits=sandbox_limits(limits),
                          kind=kind)


def started_session(started: StartedWorker) -> SandboxSession:
    """The sandbox session of a worker ``autograder.grading.early.start_early`` started: as
    ``sandbox_session``'s after ``spawn()``, to hand to ``open_session``."""
    return SandboxSession.with_started(started.submission.program(), started.worker, started.capture,
                                       filename=started.submission.filename, limits=started.limits,
                                       kind=started.kind)


@contextmanager
def open_session(submission: Submission, limits: Limits, budget_s: float | None = None, *,
                 session: SandboxSession | None = None, wait: bool = True) -> Iterator[GradingSession]:
    """Start ``submission`` in a fresh sandboxed worker (or finish starting ``session``, made by
    ``sandbox_session``); every process is gone on exit.

    It runs as a notebook does: statement by statement, a failing one costing only itself
    (``Submission.program``). Its calls share ``budget_s`` seconds in all (default: the
    limits' ``submission_timeout_s``). With ``wait`` False the block begins before the worker
    has loaded the submission: the first use of the session (``load_error``, a call) waits for it."""
    budget_s = limits.submission_timeout_s if budget_s is None else budget_s
    deadline = time.monotonic() + budget_s
    session = session or sandbox_session(submission, limits)
    with session if wait else closing(session):
        from autograder.grading.diagnose import CallLog

        log = CallLog()
        proxy = DeadlineProxy(StudentProxy(session), deadline=deadline,
                              budget_s=budget_s,
                              call_timeout_s=limits.call_timeout_s, log=log)
        yield GradingSession(session, proxy, log)


class SubmissionWarning(UserWarning):
    """A line of the submission that was skipped or failed while loading (pytest lists them)."""


@contextmanager
def sandboxed_student(path: Path) -> Iterator[DeadlineProxy]:
    """The proxy for the submission at ``path`` with default limits (direct pytest runs), in the
    sandbox, or where none can run (``sandbox_missing``) in the own-machine worker, as ``check`` does.

    What was skipped or failed while loading it becomes a ``SubmissionWarning`` each."""
    submission = load_submission(path)
    missing = sandbox_missing()
    if missing:  # a student's own machine: what check does there (autograder.sandbox.own_machine)
        warnings.warn(f"{OWN_MACHINE_NOTE}: {missing}", SubmissionWarning, stacklevel=1)
    session = sandbox_session(submission, Limits(), "none" if missing else None)
    with open_session(submission, Limits(), session=session) as grading:
        if grading.load_error:
            raise RuntimeError(grading.load_error)
        for text in (*submission.warnings, *grading.load_warnings):
            warnings.warn(text, SubmissionWarning, stacklevel=1)
        yield grading.proxy
