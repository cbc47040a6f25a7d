"""The ``student`` a suite talks to: a proxy over one sandboxed submission."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.assignment import Limits
from autograder.sandbox import CapturedOutput, SandboxLimits, SandboxSession, StudentProxy
from autograder.submission import Submission, load_submission

MIB = 1024 * 1024


def sandbox_limits(limits: Limits) -> SandboxLimits:
    """The worker limits an assignment's manifest asks for."""
    return SandboxLimits(call_timeout_s=limits.call_timeout_s,
                         import_timeout_s=limits.import_timeout_s,
                         memory_bytes=limits.memory_mb * MIB, cpu_seconds=limits.cpu_seconds)


def _render_output(output: CapturedOutput) -> str:
    parts = []
    for name, text, dropped in (("stdout", output.stdout, output.stdout_dropped),
                                ("stderr", output.stderr, output.stderr_dropped)):
        if text:
            note = f"\n[... {dropped} more bytes dropped]" if dropped else ""
            parts.append(f"--- {name} ---\n{text}{note}")
    return "\n".join(parts)


@dataclass
class GradingSession:
    """One submission's sandbox, as the grader sees it."""

    session: SandboxSession
    proxy: StudentProxy

    @property
    def load_error(self) -> str:
        """Why the submission could not be imported ("" when it loaded)."""
        report = self.session.loaded
        return "" if report.ok else report.describe()

    @property
    def sandbox(self) -> str:
        return str(self.session.kind or "none")

    def factory(self) -> Any:
        """What the suite plugin calls to get the ``student`` proxy."""
        return nullcontext(self.proxy)

    def captured_output(self) -> str:
        return _render_output(self.session.captured_output())


@contextmanager
def open_session(submission: Submission, limits: Limits) -> Iterator[GradingSession]:
    """Start ``submission`` in a fresh sandboxed worker; every process is gone on exit."""
    session = SandboxSession(submission.source, filename=f"{submission.student_id}.py",
                             limits=sandbox_limits(limits))
    with session:
        yield GradingSession(session, StudentProxy(session))


@contextmanager
def sandboxed_student(path: Path) -> Iterator[StudentProxy]:
    """The proxy for the submission at ``path`` with default limits (direct pytest runs)."""
    with open_session(load_submission(path), Limits()) as grading:
        if grading.load_error:
            raise RuntimeError(grading.load_error)
        yield grading.proxy
