"""The submission's worker, started before the grader's own imports.

``autograder check`` waits for two things: its own imports (numpy, the suite, the reference)
and the sandboxed worker's (bubblewrap, an interpreter, numpy, the submission). They overlap only
once the worker is started, so the ``autograder`` command starts it first (``prestart_check``,
called by ``autograder.launch``), with nothing loaded but the launcher (no manifest, no
submission reader, no click, no numpy, no wire, no pytest) and the default limits. The manifest
and the file are read while it boots, and its program sent to it; a manifest that asks for other
limits costs a second start. The check then runs with that worker
(``autograder.views.check_with_report``, then ``autograder.grading.student.started_session``),
without loading the CLI's parser at all."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.limits import MIB
from autograder.sandbox.capture import OutputCapture
from autograder.sandbox.launcher import SandboxLimits, Worker, WorkerKind, send_program, start_worker

if TYPE_CHECKING:  # not loaded before the worker starts: the manifest and the reader cost ~25 ms
    from autograder.assignment import Assignment, Limits
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
    worker = start_worker(submission.program(), _worker_filename(submission.filename), worker_limits, capture,
                          kind)
    return StartedWorker(submission, worker_limits, kind, capture, worker)


def _worker_filename(path: str | Path) -> str:
    """The name a submission's frames carry in its worker, as ``SandboxSession`` names it."""
    return Path(path).name or "submission.py"


@dataclass(frozen=True)
class _Unloaded:
    """A worker started before its submission was read: the program follows (``send_program``)."""

    filename: str
    limits: SandboxLimits
    capture: OutputCapture
    worker: Worker


def _start_unloaded(file: Path) -> _Unloaded:
    """Start a sandboxed worker for the submission ``file`` will give, with the default limits,
    before the manifest or the file is read: it boots its interpreter and numpy meanwhile."""
    limits = SandboxLimits()  # what a manifest without [limits] asks for (autograder.limits)
    capture = OutputCapture(limits.output_bytes)
    filename = _worker_filename(file)
    return _Unloaded(filename, limits, capture, start_worker(None, filename, limits, capture))


def _loaded(unloaded: _Unloaded, submission: Submission, limits: Limits) -> StartedWorker:
    """The started worker, given ``submission``'s program; when the manifest asks for other limits,
    the file loads under another name or the program is too large for one frame, that worker is
    let go and one started the usual way (``start_early``)."""
    program = submission.program().to_json()
    if (sandbox_limits(limits) != unloaded.limits or _worker_filename(submission.filename) != unloaded.filename
            or len(program) > unloaded.limits.max_frame_bytes):
        unloaded.worker.kill()
        return start_early(submission, limits)
    send_program(unloaded.worker.request_fd, program, time.monotonic() + unloaded.limits.startup_timeout_s)
    return StartedWorker(submission, unloaded.limits, None, unloaded.capture, unloaded.worker)


@dataclass(frozen=True)
class CheckRequest:
    """What an ``autograder check`` of one file is asked for, as ``check_request`` reads it."""

    file: Path
    assignment_id: str | None
    course: Path | None
    isolation: str


@dataclass(frozen=True)
class PrestartedCheck:
    """A plain check whose worker ``prestart_check`` has started: what it was asked, the
    assignment found for the file, and the worker loading it."""

    request: CheckRequest
    assignment: Assignment
    started: StartedWorker


_CHECK_OPTIONS = {"--assignment": "assignment_id", "--isolation": "isolation"}


def check_request(argv: list[str]) -> CheckRequest | None:
    """The check ``argv`` (the command's arguments) asks for when it has the plain shape
    ``[--course DIR] check [--assignment ID] [--isolation auto|sandbox] FILE``; None for anything
    else (another command, help, an option this does not know): the CLI then does everything."""
    course: Path | None = None
    tokens = list(argv)
    while tokens and tokens[0] != "check":
        option = _option(tokens)
        if option is None or option[0] != "--course":
            return None
        course = Path(option[1])
    if not tokens:
        return None
    tokens.pop(0)
    values: dict[str, str] = {"isolation": "auto"}
    files: list[str] = []
    while tokens:
        if not tokens[0].startswith("-"):
            files.append(tokens.pop(0))
            continue
        option = _option(tokens)
        if option is None or option[0] not in _CHECK_OPTIONS:
            return None
        values[_CHECK_OPTIONS[option[0]]] = option[1]
    if len(files) != 1 or values["isolation"] not in ("auto", "sandbox") or files[0].endswith(".toml"):
        return None
    return CheckRequest(Path(files[0]), values.get("assignment_id"), course, values["isolation"])


def _option(tokens: list[str]) -> tuple[str, str] | None:
    """The option at the head of ``tokens``, ``--name=value`` or ``--name value``, taken off them;
    None when it has no value."""
    name, _, value = tokens.pop(0).partition("=")
    if not value and tokens:
        value = tokens.pop(0)
    return (name, value) if value else None


def prestart_check(argv: list[str]) -> PrestartedCheck | None:
    """For ``autograder check FILE`` (``check_request``), start a sandboxed worker now, before the
    manifest, FILE, the CLI or numpy load: its interpreter and numpy start on the other core
    meanwhile, and it takes FILE's program once that is read. ``autograder.launch`` then runs the
    check with it, without the CLI's parser. Anything unusual (a file that cannot be read, no
    course, no sandbox here) starts nothing or kills what started, says nothing and gives None:
    the CLI then checks and reports it as it always does."""
    request = check_request(argv)
    if request is None:
        return None
    from autograder.shortlived import idle_blas_threads_sleep

    idle_blas_threads_sleep()  # before numpy loads, which sending the program does
    try:
        from autograder.sandbox.isolation import own_machine_requested, sandbox_missing

        if sandbox_missing() or own_machine_requested():
            return None
        unloaded = _start_unloaded(request.file)
    except Exception:  # noqa: BLE001 - the CLI meets the same problem and reports it
        return None
    try:
        from autograder.assignment import assignment_for_file
        from autograder.submission import load_submission

        assignment = assignment_for_file(request.file, request.assignment_id, request.course)
        submission = load_submission(request.file, preferred=assignment.module)
        return PrestartedCheck(request, assignment, _loaded(unloaded, submission, assignment.limits))
    except Exception:  # noqa: BLE001 - as above
        unloaded.worker.kill()
        return None
