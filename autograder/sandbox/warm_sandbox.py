"""A warm sandbox: one bubblewrap sandbox per grading process, a fresh forked worker per submission.

Starting a sandbox costs about 0.15 CPU-s (bubblewrap's namespaces and mounts, the interpreter,
numpy), more than grading a submission once it runs. A process that grades many submissions
(a pool worker) starts one sandbox with ``start_warm_sandbox``; inside it ``forkserver`` has
numpy and the worker's modules imported, and ``start_worker`` then asks it for each worker:
a fork, in milliseconds. A batch process about to fork its pool starts the pool's sandboxes
first (``start_ahead``), so that they boot while it imports the grading code; each pool process
takes one as it starts (``take_ahead``), and the batch process ends them all (``end_ahead``).

Each worker is still its own process with its own seccomp filter, rlimits, output pipes and
request/response pipes, all set before the submission's first line runs; the server kills the
previous one and empties /tmp (its files, attributes and times) before forking the next, so at
most one submission lives in the sandbox at a time. The server is non-dumpable and a worker's
seccomp filter confines signals, rlimits and scheduling calls to the worker itself, so a
submission can neither alter the server nor the workers it forks later. What two submissions
graded one after the other in the same sandbox do share, and only a pair written to cooperate
could use, is what a kernel counts: the pid and inode numbers they are given. See SECURITY.md.

The grader reaches a worker through a pidfd the server hands over, so it signals and watches
the very process, in whichever fork of the grading process it runs. Anything unexpected from
the server (a dead server, a garbled or late answer) is ``SandboxUnavailable``: ``start_worker``
then gives up on the warm sandbox for this process and starts workers the cold way.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time
from typing import IO, Any

from autograder.sandbox.bwrap import bwrap_argv, confirm_bwrap, module_binds, scratch_config
from autograder.sandbox.capture import OutputCapture
from autograder.sandbox.host import (
    SANDBOX_DIR,
    SITE_DIR,
    WARM_SANDBOX_MODULES,
    close_quietly,
    host_paths,
    interpreter_argv,
    sized_pipe,
)
from autograder.sandbox.launcher import send_program
from autograder.sandbox.limits import SandboxKind, SandboxLimits, SandboxUnavailable
from autograder.sandbox.program import Program

MAX_ANSWER_BYTES = 4096
KILL_WAIT_S = 5.0
ANSWER_S = 5.0
"""How long the server may take to answer a request (a spawn, a status): a fork answers in
milliseconds, and a server that was stopped must not cost a submission the whole start-up
timeout before it falls back to a cold worker."""


def _readable(fd: int, wait_s: float) -> bool:
    return bool(select.select([fd], [], [], max(0.0, wait_s))[0])


def _host_pid(pidfd: int) -> int:
    """The pid, as this process sees it, of the process a pidfd refers to (-1 once it is gone)."""
    with open(f"/proc/self/fdinfo/{pidfd}", encoding="ascii") as info:
        for line in info:
            if line.startswith("Pid:"):
                return int(line.split()[1])
    raise SandboxUnavailable("this kernel does not say which process a pidfd refers to")


class ForkedWorker:
    """A worker forked by the warm sandbox's server; the same handle as a ``WorkerProcess``."""

    kind: SandboxKind = "bwrap"

    def __init__(self, sandbox: WarmSandbox, pidfd: int, inner_pid: int, request_fd: int,
                 response_fd: int, drainers: list[threading.Thread]) -> None:
        self._sandbox = sandbox
        self._pidfd = pidfd
        self._inner_pid = inner_pid
        self.pid = _host_pid(pidfd)
        self.request_fd = request_fd
        self.response_fd = response_fd
        self._drainers = drainers
        self._ended = False
        self._killed = False

    def track(self) -> None:
        """Nothing to find: a worker cannot start processes, and the pidfd names this one."""

    def _has_ended(self, wait_s: float = 0.0) -> bool:
        if not self._ended and self._pidfd >= 0:
            self._ended = _readable(self._pidfd, wait_s)
        return self._ended

    def leftover_pids(self) -> list[int]:
        return [] if self._has_ended() else [self.pid]

    def running(self) -> bool:
        """Not yet killed by the grader, nor ended on its own."""
        return not self._killed and not self._has_ended()

    def is_quiet(self) -> bool:
        return self.running() and not _readable(self.response_fd, 0.0)

    def exit_status(self, wait_s: float) -> int | None:
        """How the worker ended (``Popen.returncode`` style), waiting up to ``wait_s``; None if it runs."""
        if not self._has_ended(wait_s):
            return None
        try:
            return self._sandbox.status(self._inner_pid)
        except SandboxUnavailable:
            return None

    def kill(self) -> None:
        if self._killed:
            return
        self._killed = True
        if not self._has_ended():
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._has_ended(KILL_WAIT_S)
        for fd in (self.request_fd, self.response_fd):
            close_quietly(fd)
        for thread in self._drainers:
            thread.join(timeout=2.0)
        if self._ended:
            close_quietly(self._pidfd)
            self._pidfd = -1


class WarmSandbox:
    """The grader's end of one fork server (``forkserver``) running in a bubblewrap sandbox."""

    def __init__(self, popen: subprocess.Popen[bytes], control: socket.socket, scratch: dict[str, int],
                 log: IO[bytes], hello_by: float) -> None:
        self._popen = popen
        self._hello_by: float | None = hello_by
        """When the server must have said hello; None once it has."""
        self._pidfd = os.pidfd_open(popen.pid)
        self._control = control
        self._owner = os.getpid()
        self.scratch = scratch
        self._log = log
        self._latest: ForkedWorker | None = None

    @classmethod
    def start(cls, limits: SandboxLimits) -> WarmSandbox:
        """A fork server in a new bubblewrap sandbox, starting: its hello is awaited by the first
        request (``greeted``), so the caller's own preparation overlaps the server's start-up."""
        host = host_paths()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        log = tempfile.TemporaryFile(prefix="autograder-forkserver-")  # what the server prints; no name left behind
        binds, compiled = module_binds(WARM_SANDBOX_MODULES)
        config = {"site": SITE_DIR, "control_fd": theirs.fileno(), "scratch": scratch_config(limits)}
        argv = bwrap_argv(host, binds, limits, optional=compiled) + interpreter_argv(
            host.interpreter, f"{SANDBOX_DIR}/forkserver.py", config)
        try:
            popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     pass_fds=(theirs.fileno(),), start_new_session=True,
                                     env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        except OSError as err:
            ours.close()
            log.close()
            raise SandboxUnavailable(f"cannot start the warm sandbox: {err}") from err
        finally:
            theirs.close()
        return cls(popen, ours, limits.scratch(), log, time.monotonic() + limits.startup_timeout_s)

    def greeted(self) -> None:
        """Wait, once, for the server's hello (until the start-up deadline). A server that sends
        anything else, or nothing in time, is closed and ``SandboxUnavailable`` raised. Only the
        process that started the server reads its hello: a grading process awaits it before it
        forks (``autograder.grading.warm.warm_up``)."""
        if self._hello_by is None:
            return
        try:
            hello, _ = self._receive(None, self._hello_by)
            if hello != {"hello": "forkserver"}:
                raise SandboxUnavailable("the warm sandbox sent an unexpected first message")
        except SandboxUnavailable:
            self.close()
            raise
        self._hello_by = None
        confirm_bwrap()  # bwrap ran the interpreter with numpy here: what its self-test would show

    def alive(self) -> bool:
        return self._control.fileno() >= 0 and not _readable(self._pidfd, 0.0)

    def busy(self) -> bool:
        """Whether the worker it forked last for this process still runs: a second session open
        at the same time starts its worker the cold way, as the server would end the first."""
        return self._latest is not None and self._latest.running()

    def spawn(self, program: Program, filename: str, limits: SandboxLimits,
              capture: OutputCapture) -> ForkedWorker:
        """A new worker for ``program``, forked by the server; it reads the program, then says hello."""
        self.greeted()
        deadline = time.monotonic() + limits.startup_timeout_s
        request_r, request_w = sized_pipe()
        response_r, response_w = sized_pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        theirs = [request_r, response_w, out_w, err_w]
        ours = [request_w, response_r, out_r, err_r]
        config = {"filename": filename, "max_frame_bytes": limits.max_frame_bytes,
                  "processes": limits.processes, "limits": limits.process_limits()}
        try:
            answer, fds = self._ask({"op": "spawn", "config": config}, theirs,
                                    min(deadline, time.monotonic() + ANSWER_S))
        except BaseException:
            for fd in ours:
                close_quietly(fd)
            raise
        finally:
            for fd in theirs:
                close_quietly(fd)
        inner_pid = answer.get("pid")
        if type(inner_pid) is not int or len(fds) != 1:
            for fd in (*ours, *fds):
                close_quietly(fd)
            raise SandboxUnavailable("the warm sandbox answered a spawn without a worker")
        os.set_blocking(request_w, False)
        drainers = [capture.drain("stdout", os.fdopen(out_r, "rb", buffering=0)),
                    capture.drain("stderr", os.fdopen(err_r, "rb", buffering=0))]
        worker = self._latest = ForkedWorker(self, fds[0], inner_pid, request_w, response_r, drainers)
        try:
            send_program(request_w, program.to_json(), deadline)
        except SandboxUnavailable:
            worker.kill()
            raise
        return worker

    def status(self, inner_pid: int) -> int | None:
        """How the server's child ``inner_pid`` ended (None: running, or unknown to the server)."""
        answer, fds = self._ask({"op": "status", "pid": inner_pid}, [], time.monotonic() + ANSWER_S)
        for fd in fds:
            close_quietly(fd)
        status = answer.get("status")
        return status if type(status) is int else None

    def _ask(self, request: dict[str, Any], fds: list[int], deadline: float) -> tuple[dict[str, Any], list[int]]:
        """Send one request and wait for its answer (answers to requests of an earlier, killed
        grading fork are dropped by their nonce)."""
        nonce = os.urandom(8).hex()
        try:
            socket.send_fds(self._control, [json.dumps({**request, "nonce": nonce}).encode("ascii")], fds)
        except OSError as err:
            raise SandboxUnavailable(f"the warm sandbox is gone: {err}") from None
        return self._receive(nonce, deadline)

    def _receive(self, nonce: str | None, deadline: float) -> tuple[dict[str, Any], list[int]]:
        while True:
            if not _readable(self._control.fileno(), deadline - time.monotonic()):
                raise SandboxUnavailable(f"the warm sandbox did not answer: {self._log_tail()}")
            try:
                message, fds, _, _ = socket.recv_fds(self._control, MAX_ANSWER_BYTES, 1)
            except OSError as err:
                raise SandboxUnavailable(f"the warm sandbox is gone: {err}") from None
            if not message:
                raise SandboxUnavailable(f"the warm sandbox ended: {self._log_tail()}")
            try:
                answer = json.loads(message)
            except ValueError:
                answer = None
            if type(answer) is dict and answer.get("nonce") == nonce:
                return answer, fds
            for fd in fds:  # a stale answer, meant for a grading fork that is gone
                close_quietly(fd)

    def _log_tail(self) -> str:
        try:
            size = os.fstat(self._log.fileno()).st_size
            tail = os.pread(self._log.fileno(), 800, max(0, size - 800))  # the server's offset stays
        except (OSError, ValueError):
            return "no output"
        return tail.decode("utf-8", "replace").strip() or "no output"

    def take_over(self) -> None:
        """Make this process the sandbox's owner: a process forked after it was started takes it for its
        own (``take_ahead``), and ending it is then this process's to do (``close``)."""
        self._owner = os.getpid()

    def let_go(self) -> None:
        """Close this process's ends of a sandbox another process owns, leaving the sandbox running."""
        self._control.close()
        close_quietly(self._pidfd)
        self._pidfd = -1
        self._log.close()

    def close(self) -> None:
        """End the server and its sandbox (only the process that owns it does; forks just let go)."""
        if os.getpid() != self._owner:
            self.let_go()
            return
        self._control.close()
        try:
            os.killpg(self._popen.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self._popen.wait(timeout=KILL_WAIT_S)
        except subprocess.TimeoutExpired:
            pass
        close_quietly(self._pidfd)
        self._log.close()


_current: WarmSandbox | None = None
_failed_starts = 0
_ahead: list[WarmSandbox] = []
"""Sandboxes this process started for the processes it forks next (``start_ahead``)."""
_claims = -1
"""The read end of a pipe holding one byte per sandbox of ``_ahead`` not taken yet (-1: none)."""
MAX_AHEAD = 256
"""The most sandboxes started ahead: a byte names each (a larger pool's other processes start their own)."""
MAX_FAILED_STARTS = 2
"""A process whose warm sandbox failed to start this often stops trying: its workers start cold."""


def start_warm_sandbox(limits: SandboxLimits) -> None:
    """Give this process a warm sandbox (again, if its last one ended); ``start_worker`` uses it.
    It returns once the server is started, not once it has said hello (``warm_sandbox_greeted``).
    Raises SandboxUnavailable if it cannot start (and, after ``MAX_FAILED_STARTS`` such failures,
    at once)."""
    global _current, _failed_starts
    if _current is not None and _current.alive() and _current.scratch == limits.scratch():
        return
    stop_warm_sandbox()
    if _failed_starts >= MAX_FAILED_STARTS:
        raise SandboxUnavailable(f"the warm sandbox failed to start {_failed_starts} times in this process")
    try:
        _current = WarmSandbox.start(limits)
    except SandboxUnavailable:
        _failed_starts += 1
        raise


def start_ahead(limits: SandboxLimits, count: int) -> None:
    """Start warm sandboxes now for the processes this one forks next, one each (``take_ahead``),
    until ``count`` are started: they start while this process imports and prepares what those
    processes fork with, instead of after. A second call tops the first up (a batch starts one
    while its grading code loads, the others just before its pool forks); it must come before any
    of those processes is forked. A sandbox that cannot start is left out (the process that finds
    none left starts its own)."""
    global _claims
    wanted = min(count, MAX_AHEAD)
    if len(_ahead) >= wanted:
        return
    for _ in range(wanted - len(_ahead)):
        try:
            _ahead.append(WarmSandbox.start(limits))
        except SandboxUnavailable:
            break
    if _ahead:
        close_quietly(_claims)  # the tokens of the sandboxes started before: none taken, nothing forked yet
        claims, tokens = os.pipe()
        os.write(tokens, bytes(range(len(_ahead))))  # one byte per sandbox: a read takes one, atomically
        os.close(tokens)
        _claims = claims


def take_ahead() -> bool:
    """In a process forked after ``start_ahead``: make one of the sandboxes started ahead, not taken
    yet by another such process, this process's own, and let go of the others here; whether one was
    left. The claim is a byte read from a pipe all those processes share, so no two take the same."""
    global _current, _claims
    if _claims < 0:
        return False
    token = b""
    if _current is None:  # a process with a sandbox of its own leaves its claim to another
        try:
            token = os.read(_claims, 1)
        except OSError:
            pass
    close_quietly(_claims)
    _claims = -1
    mine = _ahead[token[0]] if token and token[0] < len(_ahead) else None
    for sandbox in _ahead:
        if sandbox is not mine:
            sandbox.let_go()
    _ahead.clear()
    if mine is None:
        return False
    mine.take_over()
    _current = mine
    return True


def end_ahead() -> None:
    """In the process that called ``start_ahead``, once the processes it forked are done: end every
    sandbox started ahead, whichever process took it."""
    global _claims
    close_quietly(_claims)
    _claims = -1
    sandboxes = list(_ahead)
    _ahead.clear()
    for sandbox in sandboxes:
        sandbox.close()


def warm_sandbox_greeted() -> bool:
    """Wait for this process's warm sandbox to say hello, if it has not yet; whether it has one
    that did. One that fails to counts as a failed start and is stopped: workers start cold."""
    global _failed_starts
    if _current is None:
        return False
    try:
        _current.greeted()
    except SandboxUnavailable:
        _failed_starts += 1
        stop_warm_sandbox()
        return False
    return True


def holds_warm_sandbox() -> bool:
    """Whether this process has a warm sandbox (started, whether or not it has said hello)."""
    return _current is not None


def warm_sandbox_for(limits: SandboxLimits) -> WarmSandbox | None:
    """This process's warm sandbox, when it has a live one that suits ``limits`` and is free."""
    if (_current is not None and _current.scratch == limits.scratch() and _current.alive()
            and not _current.busy()):
        return _current
    return None


def stop_warm_sandbox() -> None:
    """Let go of this process's warm sandbox; workers start the cold way from now on."""
    global _current
    sandbox, _current = _current, None
    if sandbox is not None:
        sandbox.close()
