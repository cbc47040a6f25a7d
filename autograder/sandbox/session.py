"""Grader-side handle on one sandboxed submission: load it, call it, kill it.

``SandboxSession`` owns one worker process at a time for one submission. The
worker is untrusted from the moment student code runs, so everything here
assumes the other end of the pipes may lie, stall, flood or die:

* every read and write has a deadline (``select``/``poll``), and the frame
  size is checked before anything is allocated;
* every response is decoded strictly by ``wire`` and must carry the id of the
  request it answers;
* a call that times out, kills the worker or garbles the stream discards the
  worker (SIGKILL to its whole process tree / PID namespace); the next call
  transparently starts a fresh one, re-importing the submission, so the
  remaining functions are still graded;
* a function that timed out is disabled for the rest of the session, and so
  is one that killed or garbled the worker ``BREAKS_BEFORE_DISABLE`` times
  (so it cannot use up the ``MAX_RESTARTS`` the other functions need).

Every failure a student can cause surfaces as a ``StudentCallError`` subclass
whose message can be shown to the student. Failures of the sandbox itself are
``SandboxUnavailable``. A session is not thread-safe.

Calls sent ahead (``follow``). A session can be given the calls a run of the suite made before
(``CallPlan``: their request frames, as ``recorded_plan`` keeps them). While the calls asked match
it, frame for frame, the next ones are sent without waiting (up to ``AHEAD_CALLS``, never more bytes
than a pipe holds), so the worker runs them back to back and each answer is usually there when
asked: one wake-up per batch instead of two per call. Each answer is still read under its own
call's deadline, in order, and every failure maps as above (a hang costs its call, a crash is
charged to the call that caused it). The worker runs exactly the calls asked, in their order, with
one exception it undoes: when the calls asked stop matching, the worker has run calls sent ahead
that were not asked; it is replaced by a fresh one, the calls asked of it so far are run again on
it (their answers unread), and the session goes on one call at a time. A submission that keeps state
between calls thus sees the sequence it would have seen without calls sent ahead. A failing case
often asks a call or two more or fewer than the plan and then goes on as it does: a later call that
asks what a call of the plan asks (under another id: ``wire.request_key``) takes the plan up again
from there, its calls renumbered as the session will number them. Each leaving that costs a fresh
worker replays every call asked so far, so a plan is taken up again only while those replays stay
within ``REPLAY_CALLS``.

Answers held to a transcript (``answers_as_recorded``). A session can also be given every call a run
made with the payload of each answer, byte for byte (``Transcript``, as ``recorded_transcript`` keeps
it). Before any call, it sends them as a followed plan's and compares each answer as it comes: all
the same, the worker has run exactly those calls and the caller may take that run's outcomes (the
suite's side being a function of the answers it gets). At the first that differs, or does not come
in time, the session simply follows the transcript as a plan, the answers read kept for the calls
asked in order: what they get, and what the submission sees and prints, is what they would have
been without the comparison.

Cases answered as recorded. A transcript may also say where each case of its run began (the suite
tells the session, ``case_begins``). Then a submission some of whose answers differ is still sent
every call and read to the end, while at most half of them differ; the cases each of whose calls was
answered with the bytes recorded are named (``cases_as_recorded``): their outcomes are the run's
(a case's side too is a function of the answers to its calls), and only the other cases run. The
calls those ask take the answers read for the same calls of their own case, on that worker; any
other call runs there, after all of them. A submission of functions (what an assignment asks for)
gets what it would have got without the comparison; one that keeps state between calls saw every
call of the transcript first, and each of its cases is judged on the answers it gave to that case's
calls.
"""

from __future__ import annotations

import bisect
import collections
import itertools
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

from autograder.sandbox import wire
from autograder.sandbox.capture import PrintedUpTo
from autograder.sandbox.fair_time import FairDeadline
from autograder.sandbox.launcher import (
    CapturedOutput,
    OutputCapture,
    SandboxLimits,
    SandboxUnavailable,
    Worker,
    WorkerKind,
    confirm_bwrap,
    describe_exit,
    sandbox_kind,
    scratch_mode,
    start_worker,
)
from autograder.sandbox.loading import LoadReport, Location, parse_load_report, running_location
from autograder.sandbox.program import Program

MAX_RESTARTS = 50  # every restart re-imports the submission; past this the session gives up
MAX_SUBSTITUTES = 16  # functions one call may substitute (the suites name two or three)

Substitutes = Mapping[str, Callable[..., Any]]
"""Per substituted function name, the grader's callable that answers for it (see ``SandboxSession.call``)."""
BREAKS_BEFORE_DISABLE = 3  # a function that kills or garbles the worker this often is not called again
AHEAD_CALLS = 32
"""Calls of a plan sent ahead of the one asked, at first. The calls sent ahead are topped up (in one
write) once half as many are left unasked, and each top-up doubles how many (up to ``AHEAD_MOST``):
a plan the calls asked keep following goes in a few writes, one that they leave early ran few calls
that were not asked."""
AHEAD_MOST = 512
REPLAY_CALLS = 64
"""Calls a session's replays may run in all. Each time the calls asked leave the plan after calls were
sent ahead, a fresh worker replays the calls asked so far, at about a call's cost each: the plan is
taken up again only while the calls asked so far fit what is left of this."""
REJOIN_AFTER = 3
"""Calls asked in a row, each asking what the plan's next call asks, before the plan is taken up
again (with the last of them). A failing test often asks one call and stops (a stub's do), and leaving
the plan after calls were sent ahead costs a fresh worker and a replay."""
WRITE_AHEAD_S = 1.0
"""A write ahead fits the pipe's free room and never waits; past this, the pipe is taken to be broken."""
AHEAD_BYTES = 48 * 1024
"""Request bytes sent ahead at most: less than a pipe's smallest buffer (64 KiB), so a write ahead
never waits for the worker, which may be busy writing answers nobody reads yet."""
COMPARE_AT_LEAST = 16
"""Answers ``answers_as_recorded`` reads before it gives up on a submission most of whose answers
differ: past them, it goes on comparing only while at most half of the answers read differ."""
TRANSCRIPT_BYTES = 8 * 1024 * 1024
"""Answer bytes a session keeps for its transcript (``recorded_transcript``) at most: past them it keeps
none. An answer may be as large as a frame (``max_frame_bytes``), and a submission could otherwise make
the grader hold one per call."""


@dataclass(frozen=True)
class CallPlan:
    """The plain calls (no functions substituted) a run made on its first worker, in order: their
    request frames, ids included (a session numbers its calls from 1), and the functions called."""

    frames: tuple[bytes, ...]
    functions: frozenset[str]
    keys: tuple[bytes, ...] = field(init=False, repr=False, compare=False)
    """Per frame, what it asks without its id (``wire.request_key``)."""
    ids: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _positions: dict[bytes, list[int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = tuple(wire.request_key(frame) for frame in self.frames)
        positions: dict[bytes, list[int]] = {}
        for position, key in enumerate(keys):
            positions.setdefault(key, []).append(position)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "ids", tuple(wire.request_id_of(frame) for frame in self.frames))
        object.__setattr__(self, "_positions", positions)

    def position_of(self, key: bytes, start: int) -> int | None:
        """The first position from ``start`` on whose call asks ``key``; None when there is none."""
        positions = self._positions.get(key, ())
        at = bisect.bisect_left(positions, start)
        return positions[at] if at < len(positions) else None


@dataclass(frozen=True)
class Transcript:
    """Every call a run made, all plain and on its first worker (``plan``), with the payload of each
    answer as it came, byte for byte, and the functions the submission defined: what
    ``answers_as_recorded`` holds another submission to."""

    plan: CallPlan
    answers: tuple[bytes, ...]
    defined: frozenset[str]
    cases: tuple[tuple[str, int], ...] = ()
    """Each case the run began (``case_begins``), in order, with the position of its first call: its
    calls are those up to the next case's first. Empty when the run did not say where its cases began."""
    consulted: frozenset[str] | None = None
    """The names the run asked whether the submission defines (``SandboxSession.has``, a call's
    check): what else it defined could not change the run. None: every name (a listing of them)."""

    def defines_alike(self, functions: Collection[str]) -> bool:
        """Whether a submission defining ``functions`` answers every question of the run about its
        definitions as this one's did: the same functions, or the same among the names consulted.
        The run's questions come in an order its answers decide, so a run answered alike asks
        no other."""
        if self.consulted is None:
            return frozenset(functions) == self.defined
        return self.consulted & frozenset(functions) == self.consulted & self.defined

    def segments(self) -> dict[str, tuple[int, int]]:
        """Per case, the positions of its calls (from, to)."""
        ends = [start for _, start in self.cases[1:]] + [len(self.answers)]
        return {case: (start, end) for (case, start), end in zip(self.cases, ends)}


@dataclass
class _Answered:
    """Every call of a transcript, sent to ``worker`` and answered there, with the answers read: a call
    asked that is one of them, within the calls of the case running (``window``), takes its answer."""

    plan: CallPlan
    answers: tuple[bytes, ...]
    worker: Worker
    segments: dict[str, tuple[int, int]]
    first_id: int
    """The id the call at position 0 was sent with (the others are numbered on from it)."""
    window: tuple[int, int] = (0, 0)
    """The positions the next call asked may take an answer from (the running case's, from the last
    one taken on)."""


@dataclass
class _Ahead:
    """The state of a plan being followed on one worker."""

    plan: CallPlan
    worker: Worker | None = None
    asked: int = 0
    """The plan's position: its calls before it were asked (those from ``first`` on matched)."""
    sent: int = 0
    """The plan's calls before this position were sent to ``worker``."""
    first: int = 0
    """The position at which the plan was taken up on ``worker``."""
    first_id: int = 1
    """The id of the call asked at ``first``: the calls sent after it are numbered on from it, as the
    session numbers the calls it will be asked if they match."""
    room: int = 0
    """Request bytes that may be sent ahead of the call asked."""
    unasked_bytes: int = 0
    """Bytes of the calls sent and not asked yet."""
    closed: bool = False
    """Nothing more is sent (a write failed): the calls sent are still read."""
    window: int = AHEAD_CALLS
    """Calls sent ahead of the one asked at most, for now (``AHEAD_CALLS``)."""

    def take(self) -> None:
        """The next call sent is asked: its answer is the next to read."""
        self.unasked_bytes -= len(self.plan.frames[self.asked])
        self.asked += 1

    def frame_to_send(self, position: int) -> bytes:
        """The plan's call at ``position``, under the id the session gives it if it is asked."""
        request_id = self.first_id + position - self.first
        frame = self.plan.frames[position]
        return frame if self.plan.ids[position] == request_id else wire.renumbered(frame, request_id)


class StudentCallError(Exception):
    """Base of every failure caused by student code; ``str()`` is student-facing."""


class StudentRaised(StudentCallError):
    """The student's function raised; ``traceback`` holds only the submission's frames."""

    def __init__(self, type: str, message: str, traceback: str = "") -> None:  # noqa: A002
        super().__init__(f"{type}: {message}" if message else type)
        self.type = type
        self.message = message
        self.traceback = traceback


class CallTimedOut(StudentCallError):
    """The call did not answer within its time limit; the function is now disabled."""

    def __init__(self, function: str, seconds: float) -> None:
        super().__init__(f"{function}() did not return within {seconds:g} s")
        self.function = function
        self.seconds = seconds


class WorkerDied(StudentCallError):
    """The worker process ended (or had to be abandoned) during a call."""

    def __init__(self, description: str, function: str | None = None) -> None:
        where = f"while running {function}(): " if function else ""
        super().__init__(where + description)
        self.description = description
        self.function = function


class MissingFunction(StudentCallError):
    """The submission does not define the requested public function."""

    def __init__(self, name: str, reason: str | None = None) -> None:
        super().__init__(reason or f"the submission does not define a function named {name!r}")
        self.name = name
        self.reason = reason


class CallKind(NamedTuple):
    """A function as the grader calls it: alone, or with some of the submission's functions
    substituted; what hangs or crashes in one kind says nothing of another."""

    function: str
    substituted: frozenset[str]


class FunctionDisabled(StudentCallError):
    """The function hung (or kept crashing the worker) earlier and is not called again."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}() is not called again: {reason}")
        self.name = name
        self.reason = reason


class InputChanged(StudentCallError):
    """A call asked to treat its inputs as read-only changed one of them."""

    def __init__(self, function: str, which: list[str]) -> None:
        super().__init__(f"{function}() changed its input ({', '.join(which)}): build a new array or "
                         "dict for the result instead of writing into what you were given")
        self.function = function
        self.which = which


class BadResult(StudentCallError):
    """The result could not be brought back (unsupported type, too large, garbled)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _worth_comparing_on(read: int, differing: int) -> bool:
    """Whether ``answers_as_recorded`` goes on reading answers after ``differing`` of ``read`` differed."""
    return read < COMPARE_AT_LEAST or 2 * differing <= read


def _cases_answered(segments: dict[str, tuple[int, int]], first_case: int, differing: list[int]) -> frozenset[str]:
    """The cases (``Transcript.segments``) none of whose calls is at a position of ``differing``
    (sorted); none when a call made before the first case's (at ``first_case``: a shared fixture's) is."""
    if differing[0] < first_case:
        return frozenset()
    return frozenset(case for case, (start, end) in segments.items()
                     if bisect.bisect_left(differing, start) == bisect.bisect_left(differing, end))


def _checked_substitutes(function: str, substitutes: Substitutes) -> dict[str, Callable[..., Any]]:
    """``substitutes`` as a dict, after checking it names public functions other than ``function``
    (a suite's mistake otherwise: ValueError)."""
    answers = dict(substitutes)
    if len(answers) > MAX_SUBSTITUTES:
        raise ValueError(f"a call may substitute at most {MAX_SUBSTITUTES} functions")
    for name, answer in answers.items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") or name == function:
            raise ValueError(f"cannot substitute {name!r} in a call of {function}()")
        if not callable(answer):
            raise ValueError(f"the substitute for {name!r} is not callable")
    return answers


def _while(running: list[Location]) -> str:
    """``while running cell 3, line 2 (`train()`)``: the statement the worker last announced."""
    return f"while running {running[-1].quoted()}" if running else "while importing"


class SandboxSession:
    """One submission in a sandboxed worker; use as a context manager.

    ``source`` is the submission's Python source (run as a module: the first
    exception fails the load), or a ``Program`` of cells (see ``program``);
    ``filename`` is the name its frames carry in tracebacks. ``kind`` forces a
    sandbox kind (default: the best available, see ``sandbox_kind()``), or ``"none"``: no
    sandbox, the own-machine worker (``own_machine``), driven the same way.
    """

    def __init__(self, source: str | Program, *, filename: str = "submission.py",
                 limits: SandboxLimits | None = None, kind: WorkerKind | None = None) -> None:
        self.limits = limits or SandboxLimits()
        self._program = source if isinstance(source, Program) else Program.script(source)
        self._filename = Path(filename).name or "submission.py"
        self._kind = kind
        self._capture = OutputCapture(self.limits.output_bytes)
        self._worker: Worker | None = None
        self._spawned: Worker | None = None
        self._retired: list[Worker] = []
        self._loaded: LoadReport | None = None
        self._consulted: set[str] | None = set()
        """The names asked about (``has``, a call's check); None once every name was (``functions``)."""
        self._disabled: dict[CallKind, str] = {}
        self._breaks: dict[CallKind, int] = {}
        self._ids = itertools.count(1)
        self._restarts = 0
        self._restart_failure: str | None = None
        self._renew = False  # the next worker replaces one retired after substituted calls
        self._served: frozenset[str] | None = None  # what the current worker's calls substituted
        self._closed = False
        self._seen: dict[int, tuple[dict[str, int], tuple[str, ...]]] = {}  # per worker: its latest
        self._plan: CallPlan | None = None  # the plan given (``follow``)
        self._ahead: _Ahead | None = None  # the plan followed on the current worker
        self._rejoin_from = 0  # where the calls asked last left the plan
        self._streak = 0  # calls asked in a row since, each the plan's next (``REJOIN_AFTER``)
        self._trail = 0  # the plan's position the next call asked continues that run at
        self._replayed = 0  # calls the replays ran (``REPLAY_CALLS``)
        self._history: list[bytes] = []  # with a plan: every call asked of ``_history_worker``
        self._history_worker: Worker | None = None
        self._history_printed = PrintedUpTo()  # where the output of ``_history_worker`` begins
        self._recording = True  # the plain calls of the first worker are kept (``recorded_plan``)
        self._recorded: list[bytes] = []
        self._recorded_functions: set[str] = set()
        self._recorded_answers: list[bytes] | None = []  # each recorded call's answer; None: past TRANSCRIPT_BYTES
        self._recorded_answer_bytes = 0
        self._payload = b""  # the payload of the last frame read
        self._kept_answers: collections.deque[bytes] = collections.deque()  # read ahead (``answers_as_recorded``)
        self._kept_for: Worker | None = None  # the worker that sent them
        self._cases: list[tuple[str, int]] = []  # each case begun while recording, at its first call
        self._answered: _Answered | None = None  # a transcript's calls, all answered (``answers_as_recorded``)
        self.cases_as_recorded: frozenset[str] = frozenset()
        """After ``answers_as_recorded`` answered False: the cases of the transcript each of whose calls
        this submission answered with the bytes recorded (see there); empty when none, or not all read."""

    @classmethod
    def with_started(cls, source: str | Program, worker: Worker, capture: OutputCapture, *,
                     filename: str = "submission.py", limits: SandboxLimits | None = None,
                     kind: WorkerKind | None = None) -> SandboxSession:
        """A session whose first worker was started already (``start_worker`` with ``capture``,
        the same program, name, limits and kind), as ``spawn`` starts it: ``autograder check``
        starts it before numpy and this module load (``autograder.grading.early``)."""
        session = cls(source, filename=filename, limits=limits, kind=kind)
        session._capture = capture
        session._spawned = worker
        return session

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> SandboxSession:
        """A session for the source file at ``path`` (read here, by the grader)."""
        path = Path(path)
        return cls(path.read_text(encoding="utf-8"), filename=path.name, **options)

    def __enter__(self) -> SandboxSession:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            try:
                self.close()
            except Exception:
                pass

    # ---------------------------------------------------------------- loading

    def start(self) -> LoadReport:
        """Start the first worker (if not yet started) and return the load report."""
        if self._closed:
            raise RuntimeError("the sandbox session is closed")
        if self._loaded is None:
            self._worker, self._loaded = self._launch()
            self._began(self._worker, PrintedUpTo())  # everything captured is the first worker's
        return self._loaded

    @property
    def loaded(self) -> LoadReport:
        """The load report of the first import of the submission."""
        return self.start()

    @property
    def kind(self) -> WorkerKind | None:
        """The sandbox kind of the current (or last) worker."""
        workers = [self._worker] if self._worker else self._retired[-1:]
        return workers[0].kind if workers else self._kind

    def has(self, name: str) -> bool:
        """Whether the submission loaded and defines a public function ``name``."""
        self._consult(name)
        report = self.loaded
        return report.ok and name in report.functions

    def functions(self) -> tuple[str, ...]:
        """Every public function the submission defines (none when it did not load)."""
        self._consulted = None
        report = self.loaded
        return tuple(report.functions) if report.ok else ()

    def _consult(self, name: object) -> None:
        if self._consulted is not None and isinstance(name, str):
            self._consulted.add(name)

    def spawn(self) -> None:
        """Start the first worker now and return at once; ``start`` reads its hello and load report.
        A caller that still has imports to do (``autograder check``) overlaps them with the
        sandbox's own start-up this way."""
        if self._closed or self._loaded is not None or self._spawned is not None:
            return
        self._spawned = self._start(self._kind)

    def _start(self, kind: WorkerKind | None) -> Worker:
        """A new worker for the program (``kind`` None: the presumed one, see ``start_worker``)."""
        return start_worker(self._program, self._filename, self.limits, self._capture, kind)

    def _started_worker(self) -> Worker:
        """A worker that has said hello. bwrap is presumed to work until a bwrap worker fails to
        start; then its self-test decides, and only a failed self-test falls back."""
        worker, self._spawned = self._spawned, None
        if worker is None:
            worker = self._start(self._kind)
        kind = worker.kind
        try:
            self._await_hello(worker)
        except SandboxUnavailable:
            if self._kind is not None or kind != "bwrap":
                raise
            presumed = scratch_mode()
            retry = sandbox_kind()  # the self-test: bwrap in its plain mode, or the fallback
            if retry == "bwrap" and scratch_mode() == presumed:
                raise
            worker = self._start(retry)
            self._await_hello(worker)
        if worker.kind == "bwrap":
            confirm_bwrap()
        return worker

    def _launch(self) -> tuple[Worker | None, LoadReport]:
        """A fresh worker and its load report; (None, failure) if the import failed."""
        worker = self._started_worker()
        seconds = self.limits.import_timeout_s
        running: list[Location] = []
        try:
            report = self._read_load_report(worker, FairDeadline(seconds, worker.leftover_pids), running)
        except wire.ChannelTimeout:
            report = LoadReport.failed("TimeoutError", f"timed out after {seconds:g} s {_while(running)}")
        except wire.ChannelClosed:
            status = describe_exit(worker.exit_status(1.0), worker.kind, self.limits)
            report = LoadReport.failed("WorkerDied", f"{status} {_while(running)}")
        except wire.ProtocolError as err:
            report = LoadReport.failed("BadResult", f"garbled load report: {err}")
        except BaseException:
            self._retire(worker)
            raise
        if not report.ok:
            self._retire(worker)
            return None, report
        return worker, report

    def _note_seen(self, worker: Worker, message: Any) -> None:
        """Keep what ``worker``'s audit hook has counted so far (``seen.py``), if it sent any: its
        counts only grow, so an answer read ahead and taken later (``_answered_id``) never lowers them."""
        if type(message) is dict and "seen" in message:
            counts, examples = wire.parse_seen(message["seen"])
            kept = self._seen.get(id(worker))
            if counts and (kept is None or sum(counts.values()) >= sum(kept[0].values())):
                self._seen[id(worker)] = (counts, examples)

    @property
    def seen(self) -> tuple[dict[str, int], tuple[str, ...]]:
        """What the submission attempted, counted by the workers' audit hooks: per kind, the most
        any one worker saw (a restarted worker loads the submission again), and a few paths."""
        counts: dict[str, int] = {}
        examples: list[str] = []
        for worker_counts, worker_examples in self._seen.values():
            for kind, n in worker_counts.items():
                counts[kind] = max(counts.get(kind, 0), n)
            examples.extend(e for e in worker_examples if e not in examples)
        return counts, tuple(examples[:wire.MAX_SEEN_EXAMPLES])

    def _read_load_report(self, worker: Worker, deadline: FairDeadline, running: list[Location]) -> LoadReport:
        """The load report, after the statements the worker announced (the last kept in ``running``)."""
        while True:
            message = self._read_fairly(worker, deadline)
            location = running_location(message)
            if location is None:
                self._note_seen(worker, message)
                return parse_load_report(message)
            running[:] = [location]

    def _await_hello(self, worker: Worker) -> None:
        """Wait for the worker's first frame, sent before any student code runs."""
        try:
            hello = self._read(worker, time.monotonic() + self.limits.startup_timeout_s)
        except (wire.ChannelTimeout, wire.ChannelClosed, wire.ProtocolError) as err:
            self._retire(worker)
            self._capture.settle()
            detail = self._capture.snapshot().stderr.strip()[-1500:]
            raise SandboxUnavailable(f"the sandbox worker did not start ({type(err).__name__}): "
                                     f"{detail or 'no output'}") from None
        if type(hello) is not dict or hello.get("hello") != "worker":
            self._retire(worker)
            raise SandboxUnavailable("the sandbox worker sent an unexpected first message")
        worker.track()  # now the sandbox's processes and PID namespace exist

    def _read_fairly(self, worker: Worker, deadline: FairDeadline) -> Any:
        """The next message, by a deadline that moves by the time the worker waited for a CPU
        (``fair_time``): a busy machine does not turn a slow call into a timeout."""
        self._await_fairly(worker, deadline)
        return self._read(worker, deadline.end, ready=True)

    def _await_fairly(self, worker: Worker, deadline: FairDeadline) -> None:
        """Wait until the worker's next frame begins, by ``deadline`` (``_read_fairly``)."""
        if self._kept_answers and self._kept_for is worker:
            return
        if not wire.readable_by(worker.response_fd, deadline.counting_from):
            deadline.start_counting()
            while not wire.readable_by(worker.response_fd, deadline.end):
                if not deadline.stretched():
                    raise wire.ChannelTimeout("deadline passed")

    def _read(self, worker: Worker, deadline: float, *, ready: bool = False) -> Any:
        return wire.unpack_payload(self._read_payload(worker, deadline, ready=ready))

    def _read_payload(self, worker: Worker, deadline: float, *, ready: bool = False) -> bytes:
        """The next frame's payload, undecoded (the next kept answer of ``worker`` first); kept as the
        last read (``_payload``). ``ready``: the worker's response was just seen readable."""
        if self._kept_answers and self._kept_for is worker:
            self._payload = self._kept_answers.popleft()
            return self._payload
        self._payload = wire.read_frame(worker.response_fd, max_bytes=self.limits.max_frame_bytes,
                                        deadline=deadline, ready=ready)
        return self._payload

    # ---------------------------------------------------------------- calling

    def call(self, function: str, args: Any = (), kwargs: dict[str, Any] | None = None, *,
             timeout: float | None = None, errstate: bool = False,
             options: wire.CallOptions | None = None, substitutes: Substitutes | None = None) -> Any:
        """``function(*args, **kwargs)`` inside the sandbox, returning a plain value.

        Arguments are copied over the wire, so the student can never mutate the
        grader's objects. ``options`` (see ``wire.CallOptions``) set how the
        call runs; ``errstate=True`` is shorthand for
        ``CallOptions(errstate=True)``. Raises a
        ``StudentCallError`` subclass for anything the student caused, and
        ``wire.UnsupportedValue`` (a TypeError) if the arguments cannot be sent.

        ``substitutes`` (function name -> the grader's callable): for this call, the submission's
        functions of those names answer with the grader's values. Their stand-ins in the worker send
        their arguments back (plain data); the callable runs here, in the grader, and only its value
        (plain data) goes back; a callable that raises, or a value that cannot be sent, is refused and
        the stand-in raises in the student's code. At most ``wire.MAX_CALLBACKS`` per call, all within
        the call's timeout. A worker that has run such calls serves only calls that substitute the
        same functions; any other call gets a fresh worker, so nothing learnt of the grader's values
        reaches a call judged without them.

        A function that hangs, or keeps killing the worker, is not called again with the same
        functions substituted (``CallKind``): a ``sigmoid_derivative`` that hangs only because the
        student's ``sigmoid`` does is still judged with ``sigmoid`` substituted.
        """
        answers = _checked_substitutes(function, substitutes or {})
        kind = CallKind(function, frozenset(answers))
        self._check_callable(kind)
        seconds = self.limits.call_timeout_s if timeout is None else float(timeout)
        request_id = next(self._ids)
        options = (options or wire.CallOptions(errstate=errstate)).updated(substitute=tuple(answers))
        frame = wire.pack_message(wire.call_request(request_id, function, args, kwargs or {},
                                                    options=options))
        if len(frame) - 8 > self.limits.max_frame_bytes:
            raise ValueError(f"the arguments of {function}() exceed the frame limit")
        if self._served is not None and self._served != frozenset(answers):
            self._renew_worker()
        worker = self._live_worker()
        self._record(function, frame, answers)
        answered_id = self._answered_id(worker, frame, answers)
        if answered_id is not None:  # answered already: its answer is the next read
            request_id, sent = answered_id, True
        else:
            worker, sent = self._sent_ahead(worker, frame, request_id, answers)
        if self._plan is not None:
            self._remember(worker, frame, answers)
        if answers:
            self._served = frozenset(answers)
        ok, result, after = self._exchange(worker, kind, request_id, None if sent else frame, seconds, answers)
        if ok and options.readonly_inputs:
            if after is None:  # fail closed: an unwatched answer to a watched call
                raise BadResult(f"the result of {function}() came without its inputs")
            changed = wire.changed_inputs(list(args), kwargs or {}, after)
            if changed:
                raise InputChanged(function, changed)
        if ok:
            return result
        if isinstance(result, str):
            raise BadResult(result)
        raise StudentRaised(result.type, result.message, result.traceback)

    def _check_callable(self, kind: CallKind) -> None:
        """Raise MissingFunction/FunctionDisabled unless ``kind``'s function may be called so."""
        function = kind.function
        if self._closed:
            raise RuntimeError("the sandbox session is closed")
        self._consult(function)
        report = self.loaded
        if not report.ok:
            raise MissingFunction(function, f"{function}() is unavailable because {report.describe()}")
        if not isinstance(function, str) or function not in report.functions:
            raise MissingFunction(str(function))
        if kind in self._disabled:
            raise FunctionDisabled(function, self._disabled[kind])

    def _live_worker(self) -> Worker:
        """The current worker, or a freshly started one after a crash, a timeout, or
        stray output between calls (the worker's state is then unknown).

        A failed restart is final: later calls fail at once instead of paying
        the import timeout again.
        """
        if self._worker is not None and (self._answers_pending(self._worker) or self._worker.is_quiet()):
            return self._worker  # answers to calls sent ahead are expected on its pipe
        self._discard_worker()
        # a worker retired after a substituted call is the grader's doing: it costs no restart
        counted, self._renew, self._served = not self._renew, False, None
        if counted and self._restart_failure is None and self._restarts >= MAX_RESTARTS:
            self._restart_failure = f"the worker crashed {MAX_RESTARTS} times; it is not restarted again"
        if self._restart_failure is not None:
            raise WorkerDied(self._restart_failure)
        self._restarts += counted
        self._capture.settle()  # what the workers before printed is all read: this one's follows
        printed = self._capture.printed_up_to()
        worker, report = self._launch()
        if worker is None:
            self._restart_failure = f"the worker could not be restarted: {report.describe()}"
            raise WorkerDied(self._restart_failure)
        self._worker = worker
        self._began(worker, printed)
        return worker

    def _exchange(self, worker: Worker, kind: CallKind, request_id: int, frame: bytes | None,
                  seconds: float, answers: Substitutes) -> tuple[bool, Any, tuple[list[Any], dict[str, Any]] | None]:
        """Send one request (None: it was sent ahead) and read its response under one deadline,
        answering the callbacks of ``answers``' stand-ins on the way; maps failures.

        The third item is what a watched call sent back of its inputs (None otherwise)."""
        function = kind.function
        deadline = FairDeadline(seconds, worker.leftover_pids)
        try:
            if frame is not None:
                wire.write_all(worker.request_fd, frame, deadline.end)
            message = self._answer_callbacks(worker, request_id, answers, deadline)
            if self._recording and not answers:
                self._keep_answer(self._payload)
            self._note_seen(worker, message)
            ok, result = wire.parse_response(message, request_id)
            watched = ok and type(message) is dict and "inputs_after" in message
            return ok, result, wire.inputs_after(message) if watched else None
        except wire.ChannelTimeout:
            self._discard_worker()
            self._disabled[kind] = f"it did not return within {seconds:g} s earlier"
            raise CallTimedOut(function, seconds) from None
        except (wire.ChannelClosed, BrokenPipeError):
            status = worker.exit_status(1.0)
            self._worker_broken_by(kind, "killed")
            raise WorkerDied(describe_exit(status, worker.kind, self.limits), function) from None
        except wire.ProtocolError as err:
            self._worker_broken_by(kind, "garbled the result channel of")
            raise BadResult(f"the result of {function}() could not be read: {err}") from None

    def _answer_callbacks(self, worker: Worker, request_id: int, answers: Substitutes,
                          deadline: FairDeadline) -> Any:
        """The call's response, after answering every callback before it (at most
        ``wire.MAX_CALLBACKS``; a callback for anything ``answers`` does not hold is a ProtocolError)."""
        allowed = frozenset(answers)
        for _ in range(wire.MAX_CALLBACKS + 1):
            message = self._read_fairly(worker, deadline)
            callback = wire.parse_callback(message, request_id, allowed)
            if callback is None:
                return message
            wire.write_all(worker.request_fd, self._callback_answer(request_id, answers, *callback), deadline.end)
        raise wire.ProtocolError(f"more than {wire.MAX_CALLBACKS} callbacks in one call")

    def _callback_answer(self, request_id: int, answers: Substitutes, function: str, args: list[Any],
                         kwargs: dict[str, Any]) -> bytes:
        """The frame answering one callback: the grader's value, or a refusal when its callable
        raises or the value cannot be sent. The arguments are plain data decoded by ``wire``; the
        callable never sees a student object."""
        try:
            frame = wire.pack_message(wire.callback_answer(request_id, function, answers[function](*args, **kwargs)))
            if len(frame) - 8 <= self.limits.max_frame_bytes:
                return frame
        except Exception:  # noqa: BLE001 - arguments the grader's function cannot take: refused
            pass
        return wire.pack_message(wire.callback_answer(request_id, function, ok=False))

    def _worker_broken_by(self, kind: CallKind, how: str) -> None:
        """Discard the worker; disable ``kind`` once it has done this repeatedly.

        A few chances, because a crash may depend on the input; then no more,
        so one function crashing on every call cannot use up the restarts the
        other functions need.
        """
        self._discard_worker()
        self._breaks[kind] = self._breaks.get(kind, 0) + 1
        if self._breaks[kind] >= BREAKS_BEFORE_DISABLE:
            self._disabled[kind] = f"it {how} the worker {self._breaks[kind]} times"

    # ---------------------------------------------------------------- calls sent ahead

    def follow(self, plan: CallPlan) -> None:
        """Send the calls of ``plan`` ahead while the calls asked match it (see the module doc), from
        the session's first call on, if the submission defines every function the plan calls."""
        no_call_yet = self._recording and not self._recorded
        if not self._closed and plan.frames and no_call_yet:
            self._plan, self._ahead = plan, _Ahead(plan)

    def recorded_plan(self) -> CallPlan | None:
        """The plain calls this session made on its first worker, up to its first call with functions
        substituted (or one too large to send ahead), as a plan another session of the same suite can
        ``follow``; None when there were none."""
        if not self._recorded:
            return None
        return CallPlan(tuple(self._recorded), frozenset(self._recorded_functions))

    def recorded_transcript(self) -> Transcript | None:
        """Every call this session made with its answer's payload (``Transcript``), when all of them
        were plain, on its first worker, and answered; None otherwise."""
        answers = self._recorded_answers
        plan = self.recorded_plan() if self._recording and answers is not None else None
        if plan is None or answers is None or len(answers) != len(plan.frames) \
                or self.workers_started != 1 or not self.loaded.ok:
            return None
        consulted = frozenset(self._consulted) if self._consulted is not None else None
        return Transcript(plan, tuple(answers), frozenset(self.loaded.functions), self._recorded_cases(),
                          consulted)

    def case_begins(self, case: str) -> None:
        """The suite begins ``case`` (a test's node id): where its calls begin in the transcript this
        session records; in a session whose calls were all answered ahead (``answers_as_recorded``),
        the calls asked next take answers from that case's calls only."""
        if self._recording:
            self._cases.append((case, len(self._recorded)))
        answered = self._answered
        if answered is not None:
            answered.window = answered.segments.get(case, (0, 0))

    def _recorded_cases(self) -> tuple[tuple[str, int], ...]:
        """The cases begun, when each was begun once and after the one before."""
        names = [case for case, _ in self._cases]
        starts = [start for _, start in self._cases]
        if len(set(names)) != len(names) or starts != sorted(starts):
            return ()
        return tuple(self._cases)

    def _keep_answer(self, payload: bytes) -> None:
        """Keep a recorded call's answer for ``recorded_transcript``, while they fit ``TRANSCRIPT_BYTES``."""
        if self._recorded_answers is None:
            return
        self._recorded_answer_bytes += len(payload)
        if self._recorded_answer_bytes > TRANSCRIPT_BYTES:
            self._recorded_answers = None
        else:
            self._recorded_answers.append(payload)

    def answers_as_recorded(self, transcript: Transcript, seconds: float) -> bool:
        """Whether this session's submission, defining the functions the transcript's did (among the
        names its run asked about: ``Transcript.defines_alike``), answers
        every call of ``transcript`` with the very bytes recorded, the calls sent in order on its first
        worker as a followed plan's are (``_send_ahead``), within ``seconds`` in all (each answer
        within the call timeout). The answers are read and compared as they come.

        Before any call only. True: the worker ran exactly the transcript's calls, and the session
        takes no more.

        False, when an answer differs. A transcript that says where its cases began is read to its
        end while at most half of the answers differ (after ``COMPARE_AT_LEAST``) and the answers read
        fit ``TRANSCRIPT_BYTES`` (the grader holds them, as it holds the transcript): every call was then
        sent and answered, and ``cases_as_recorded`` names the cases each of whose calls was answered
        with the bytes recorded (none when a call made before the first case differs). A call asked
        later that is one of the calls of the case running takes the answer read for it, on that
        worker; any other call runs there after them (``_answered_id``).

        False, at the first answer that differs otherwise, or that does not come in time, or when
        nothing is left to compare: the session follows the transcript's calls as a plan (``follow``),
        its worker keeps the calls sent, and the answers read are kept for the calls asked that take
        them (in order, on that worker): the calls asked run as they would have without the comparison."""
        if self._closed or self._recorded or not self._recording:
            return False
        self.follow(transcript.plan)
        if not self.loaded.ok or not transcript.defines_alike(self.loaded.functions):
            return False
        worker = self._live_worker()
        room = wire.pipe_capacity(worker.request_fd)
        if self.workers_started != 1 or not room:
            return False
        compared = _Ahead(transcript.plan, worker, room=min(AHEAD_BYTES, room * 3 // 4))
        end = time.monotonic() + seconds
        answers: list[bytes] = []
        differing: list[int] = []
        read_bytes = 0  # of the answers read: within TRANSCRIPT_BYTES but for the last
        torn = False  # a frame failed after it began: the worker's stream is not where a call expects it
        for position, expected in enumerate(transcript.answers):
            self._send_ahead(compared, worker)
            left = end - time.monotonic()
            if compared.sent == compared.asked or left <= 0:
                break
            deadline = FairDeadline(min(self.limits.call_timeout_s, left), worker.leftover_pids)
            try:
                self._await_fairly(worker, deadline)
            except wire.ChannelTimeout:
                break  # the call asked waits for it again, under its own deadline
            try:
                answers.append(self._read_payload(worker, deadline.end, ready=True))
            except (wire.ChannelTimeout, wire.ChannelClosed, wire.ProtocolError, OSError):
                torn = True
                break
            compared.take()
            read_bytes += len(answers[-1])
            if answers[-1] != expected:
                differing.append(position)
                if not (transcript.cases and _worth_comparing_on(len(answers), len(differing))) \
                        or read_bytes > TRANSCRIPT_BYTES:
                    break
        else:
            for payload in answers:  # what the worker's audit hook counted, as a run notes it
                if b'"seen"' in payload:
                    self._note_seen(worker, wire.unpack_payload(payload))
            self._ahead = self._plan = None
            if not differing:
                return True
            segments, first_case = transcript.segments(), transcript.cases[0][1]
            self._answered = _Answered(transcript.plan, tuple(answers), worker, segments, compared.first_id,
                                       window=(0, first_case))
            self.cases_as_recorded = _cases_answered(segments, first_case, differing)
            return False
        self._ahead = _Ahead(transcript.plan, worker, sent=compared.sent, room=compared.room,
                             unasked_bytes=sum(map(len, transcript.plan.frames[:compared.sent])),
                             closed=compared.closed or torn, window=compared.window)
        if torn:  # replaced by a fresh worker, as when calls sent ahead go unasked (what it saw dropped)
            self._seen.pop(id(worker), None)
            self._stop_following(worker)
            return False
        self._kept_answers, self._kept_for = collections.deque(answers), worker
        return False

    def _answered_id(self, worker: Worker, frame: bytes, answers: Substitutes) -> int | None:
        """For a plain call asked (``frame``) on the worker that answered a transcript's calls ahead
        (``answers_as_recorded``): when it is one of the calls of the case running, from the last one
        taken on, that call's answer becomes the next read and its id is returned; else None."""
        answered = self._answered
        if answered is None or answers or worker is not answered.worker:
            return None
        start, stop = answered.window
        position = answered.plan.position_of(wire.request_key(frame), start)
        if position is None or position >= stop:
            return None
        answered.window = (position + 1, stop)
        self._kept_answers, self._kept_for = collections.deque((answered.answers[position],)), worker
        return answered.first_id + position

    def _record(self, function: str, frame: bytes, answers: Substitutes) -> None:
        """Keep the call for ``recorded_plan`` while the calls are plain and on the first worker."""
        if not self._recording:
            return
        if answers or self.workers_started != 1 or len(frame) > AHEAD_BYTES // 4:
            self._recording = False
            return
        self._recorded.append(frame)
        self._recorded_functions.add(function)

    def _began(self, worker: Worker | None, printed: PrintedUpTo) -> None:
        """A new worker, whose output follows ``printed``: no call was asked of it yet."""
        self._history, self._history_worker, self._history_printed = [], worker, printed

    def _remember(self, worker: Worker, frame: bytes, answers: Substitutes) -> None:
        """Keep the call asked of ``worker`` for a replay (``_stop_following``); a worker that served
        substituted calls cannot be replayed (their answers came from the grader) and takes up no plan."""
        if answers:
            self._history_worker = None
        elif worker is self._history_worker:
            self._history.append(frame)

    def _answers_pending(self, worker: Worker) -> bool:
        """Whether ``worker`` was sent calls ahead whose answers are not read yet."""
        ahead = self._ahead
        return ahead is not None and ahead.worker is worker and ahead.sent > ahead.asked

    def _sent_ahead(self, worker: Worker, frame: bytes, request_id: int,
                    answers: Substitutes) -> tuple[Worker, bool]:
        """The worker to make the call asked (``frame``) on, and whether its request is already on its
        way there, sent ahead; tops the calls sent ahead up. A call that does not match the plan leaves
        it, undoing the calls sent ahead that were not asked (``_stop_following``); a later call that
        asks what a later call of the plan asks takes the plan up again from there (``_rejoined``)."""
        ahead = self._ahead
        if ahead is None:
            ahead = self._rejoined(worker, frame, request_id, answers)
            if ahead is None:
                return worker, False
        elif ahead.worker is None:  # the first call: the plan runs on this worker, if it can
            room = wire.pipe_capacity(worker.request_fd)
            if self.workers_started != 1 or not ahead.plan.functions <= set(self.loaded.functions) or not room:
                self._ahead = self._plan = None
                return worker, False
            ahead.worker, ahead.room = worker, min(AHEAD_BYTES, room * 3 // 4)
        if self._asked_ahead(ahead, worker, frame, answers):
            return worker, True
        worker = self._stop_following(worker)
        ahead = self._rejoined(worker, frame, request_id, answers)
        return worker, ahead is not None and self._asked_ahead(ahead, worker, frame, answers)

    def _asked_ahead(self, ahead: _Ahead, worker: Worker, frame: bytes, answers: Substitutes) -> bool:
        """Whether the call asked (``frame``) is the plan's next on ``worker``; it is then sent ahead
        (with the calls after it, ``_send_ahead``) and taken."""
        keys = ahead.plan.keys
        if ahead.worker is worker and not answers and ahead.asked < len(keys) \
                and keys[ahead.asked] == wire.request_key(frame) and (ahead.sent > ahead.asked or not ahead.closed):
            self._send_ahead(ahead, worker)
            if ahead.sent > ahead.asked:
                ahead.take()
                return True
        return False

    def _rejoined(self, worker: Worker, frame: bytes, request_id: int, answers: Substitutes) -> _Ahead | None:
        """The plan, taken up again on ``worker`` at the call that asks what ``frame`` asks, once
        ``REJOIN_AFTER`` calls asked in a row each asked what the plan's next call asks (the first of
        them matched from where the calls asked left the plan); None until then, or when ``worker``
        cannot be replayed (it served substituted calls), or when replaying the calls asked of it so far
        would take the replays past ``REPLAY_CALLS``."""
        plan = self._plan
        if plan is None or answers or worker is not self._history_worker \
                or self._replayed + len(self._history) >= REPLAY_CALLS:
            self._streak = 0
            return None
        key = wire.request_key(frame)
        position: int | None = self._trail
        if self._streak and plan.keys[self._trail] == key:
            self._streak += 1
        else:
            position = plan.position_of(key, self._rejoin_from)
            self._streak = int(position is not None)
        if position is None:
            return None
        self._trail = position + 1
        if self._trail == len(plan.frames):
            self._streak = 0  # nothing left to send ahead
        room = wire.pipe_capacity(worker.request_fd)
        if self._streak < REJOIN_AFTER or not room:
            return None
        self._streak = 0
        self._ahead = _Ahead(plan, worker, asked=position, sent=position, first=position, first_id=request_id,
                             room=min(AHEAD_BYTES, room * 3 // 4))
        return self._ahead

    def _send_ahead(self, ahead: _Ahead, worker: Worker) -> None:
        """Send the plan's next calls, while fewer than ``ahead.window`` unasked ones and their bytes fit
        ``ahead.room``: the pipe then always has room, and a write never waits for the worker. They go
        in one write, and only once at most half the window is left unasked (or nothing is); each
        top-up doubles the window (``AHEAD_CALLS``): a write wakes the worker, and each wake-up costs
        both sides more than a call. (Sizes are the plan's frames': a renumbered frame differs by a
        few bytes, well inside the room's quarter of the pipe left free.)"""
        frames = ahead.plan.frames
        if ahead.closed or ahead.sent - ahead.asked > ahead.window // 2:
            return
        if ahead.sent > ahead.first:  # a top-up: the calls asked have followed the plan so far
            ahead.window = min(ahead.window * 2, AHEAD_MOST)
        end, size = ahead.sent, ahead.unasked_bytes
        while end < len(frames) and end - ahead.asked < ahead.window and size + len(frames[end]) <= ahead.room:
            size += len(frames[end])
            end += 1
        if end == ahead.sent:
            return
        batch = b"".join(ahead.frame_to_send(position) for position in range(ahead.sent, end))
        try:
            wire.write_all(worker.request_fd, batch, time.monotonic() + WRITE_AHEAD_S)
        except (wire.ChannelTimeout, BrokenPipeError, OSError):
            # a worker that died (or a full pipe): the calls sent before are read; of these, the worker
            # may have some, so it is not followed further (``_stop_following`` replaces it)
            ahead.closed = True
            return
        ahead.unasked_bytes, ahead.sent = size, end

    def _stop_following(self, worker: Worker) -> Worker:
        """Stop sending calls ahead; the worker to go on with. When ``worker`` was sent calls ahead that
        were not asked, it has run them (or will): it is replaced, at no restart's cost, by a fresh one
        on which the calls asked of it so far run again, their answers unread."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return worker
        self._rejoin_from, self._streak = ahead.asked, 0
        if ahead.worker is not worker or (ahead.sent <= ahead.asked and not ahead.closed):
            return worker
        history = self._history if self._history_worker is worker else None
        self._replayed += len(history or ())
        self._renew_worker()
        if history is None:
            return self._live_worker()
        # what ``worker`` printed (its import, the calls asked, and those sent ahead unasked) is
        # replaced by what the fresh worker prints running the import and the calls asked again
        printed, replayed = self._history_printed, False
        self._capture.settle()
        self._capture.hold()
        try:
            fresh = self._live_worker()
            self._replay(fresh, _Ahead(CallPlan(tuple(history), frozenset()), fresh, room=ahead.room,
                                       first_id=wire.request_id_of(history[0]) if history else 1))
            replayed = True
        except (wire.ChannelTimeout, wire.ChannelClosed, wire.ProtocolError, BrokenPipeError):
            pass
        finally:
            self._capture.settle()
            self._capture.release(instead_of=printed if replayed else None)
        if not replayed:
            self._discard_worker()  # the next call starts another: the state is lost, not wrong
            return self._live_worker()
        self._history, self._history_printed = history, printed
        return fresh

    def _replay(self, worker: Worker, replay: _Ahead) -> None:
        """Run every call of ``replay``'s plan on ``worker`` in order, sent ahead as a followed plan's
        are (each was sent ahead before, so each fits its room), answers read under the call timeout
        and dropped."""
        while replay.asked < len(replay.plan.frames):
            self._send_ahead(replay, worker)
            if replay.sent == replay.asked:
                raise BrokenPipeError("the fresh worker took no call")
            deadline = FairDeadline(self.limits.call_timeout_s, worker.leftover_pids)
            self._note_seen(worker, self._answer_callbacks(worker, -1, {}, deadline))
            replay.take()

    # ---------------------------------------------------------------- teardown

    def _retire(self, worker: Worker) -> None:
        """Kill ``worker`` and keep it for the leftover-process check."""
        worker.kill()
        if worker not in self._retired:
            self._retired.append(worker)

    def _renew_worker(self) -> None:
        """Retire a worker that served substituted calls; the next call starts a fresh one, at no
        restart's cost."""
        self._served = None
        if self._worker is not None:
            self._discard_worker()
            self._renew = True

    def _discard_worker(self) -> None:
        self._kept_answers.clear()
        if self._worker is not None:
            self._retire(self._worker)
            self._worker = None

    def captured_output(self) -> CapturedOutput:
        """What the submission printed so far (first ``output_bytes`` of each stream)."""
        self._capture.settle()
        return self._capture.snapshot()

    def worker_pids(self) -> list[int]:
        """Host pids of the current worker's processes (launcher first); for diagnostics."""
        if self._worker is None:
            return []
        return [self._worker.pid] + [p for p in self._worker.leftover_pids() if p != self._worker.pid]

    @property
    def workers_started(self) -> int:
        """How many workers this session has started (the first, restarts, and fresh ones for calls
        that substitute other functions than the current worker's)."""
        return len(self._retired) + (self._worker is not None)

    def leftover_pids(self) -> list[int]:
        """Live processes of any worker this session started (empty after ``close()``)."""
        workers = self._retired + ([self._worker] if self._worker else [])
        return sorted({pid for worker in workers for pid in worker.leftover_pids()})

    def close(self) -> None:
        """Kill every worker process; raise SandboxUnavailable if any survives."""
        if self._closed:
            return
        self._closed = True
        if self._spawned is not None:
            self._retire(self._spawned)
            self._spawned = None
        self._discard_worker()
        survivors = self.leftover_pids()
        if survivors:
            raise SandboxUnavailable(f"sandbox processes survived close(): {survivors}")
