"""The submission's worker, started before the grader's own imports.

``autograder check`` waits for two things: its own imports (numpy, the suite, the reference) and
the sandboxed worker's (an interpreter, numpy, the submission). They overlap only once the worker
is started, so ``check`` starts it first, with nothing loaded but the launcher (no numpy, no wire,
no pytest), and hands it to its ``SandboxSession`` once those have loaded
(``autograder.grading.student.started_session``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.assignment import Limits
from autograder.limits import MIB
from autograder.sandbox.capture import OutputCapture
from autograder.sandbox.launcher import SandboxLimits, Worker, WorkerKind, start_worker
from autograder.submission import Submission


def sandbox_limits(limits: Limits) -> SandboxLimits:
    """The worker limits an assignment's manifest asks for."""
    return SandboxLimits(call_timeout_s=limits.call_timeout_s,
                         import_timeout_s=limits.import_timeout_s,
                         memory_bytes=limits.memory_mb * MIB, cpu_seconds=limits.cpu_seconds)


@dataclass(frozen=True)
class StartedWorker:
    """A submission's first worker, started, with what its session needs to take it over."""

    submission: Submission
    limits: SandboxLimits
    kind: WorkerKind | None
    capture: OutputCapture
    worker: Worker


def start_early(submission: Submission, limits: Limits, kind: WorkerKind | None = None) -> StartedWorker:
    """Start ``submission``'s worker now (``kind`` as ``sandbox_session`` takes it); it loads the
    submission while the caller goes on. Raises what ``SandboxSession.spawn`` raises."""
    worker_limits = sandbox_limits(limits)
    capture = OutputCapture(worker_limits.output_bytes)
    filename = Path(submission.filename).name or "submission.py"  # as SandboxSession names it
    worker = start_worker(submission.program(), filename, worker_limits, capture, kind)
    return StartedWorker(submission, worker_limits, kind, capture, worker)
