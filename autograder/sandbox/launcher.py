"""Build, start, watch and kill the sandboxed worker process.

Two kinds of sandbox, chosen once per grader process by ``sandbox_kind()``:

``"bwrap"`` (used whenever ``bwrap`` is on PATH and a quick self-test passes)
    The worker runs under bubblewrap with every namespace unshared (no network,
    its own PID namespace, so killing it kills everything it started), as uid
    and gid 65534, in a new session, dying with its parent. The filesystem it
    sees is: /usr and the /bin, /lib* links read-only; the BASE interpreter's
    prefix read-only with its site-packages masked by an empty read-only
    tmpfs; ``/sandbox/site`` holding ONLY numpy (+ numpy.libs) and pyseccomp;
    the worker and the modules it imports (``SANDBOX_MODULES``: wire,
    statements, standins) in ``/sandbox`` and a private copy of the submission's
    cells at ``/sandbox/submission.json``, all read-only; fresh /proc and
    /dev (read-only); and a size-limited tmpfs at /tmp as the only writable
    place and the working directory. /etc, /root, /home, the project, the
    hidden tests, the reference, other submissions and the output directory
    do not exist in there.

``"fallback"`` (no usable bwrap; says so through ``sandbox_kind()``)
    The worker runs directly with ``python -I -S``, a private site directory of
    symlinks to numpy and pyseccomp only, a private working directory, the same
    resource limits and seccomp filter, a new session, a parent-death signal,
    and -- when the grader runs as root -- uid/gid 65534 with no supplementary
    groups. The fallback does NOT stop:

    * reading any world-readable file on the machine -- including the project
      tree, hidden tests and reference solutions if their permissions allow it,
      and the private copy of a concurrently running submission (all workers
      share uid 65534) -- or listing world-readable directories;
    * network access beyond what the seccomp filter blocks: ``socket()`` is
      denied, but there is no network namespace behind it, so that single
      filter is the only layer (bwrap adds an empty network namespace);
    * seeing other processes in /proc, and signalling other uid-65534
      processes (e.g. another submission's worker);
    * filling the disk with many files, each below the per-file size limit;
    * when the grader is not root, anything the grader's own user may do
      (no uid drop is possible): reading and writing that user's files.

    Use it only for trusted code or development.

Both kinds apply the same rlimits in the child before exec (RLIMIT_AS,
RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_CORE=0, RLIMIT_NOFILE, and in the fallback
RLIMIT_NPROC; the worker itself lowers RLIMIT_NPROC again inside the sandbox).
RLIMIT_NPROC does not bind root, which is why the worker's seccomp filter
denies fork/vfork/clone-without-CLONE_THREAD.

The worker's seccomp filter (worker.py) additionally denies exec, socket
creation, io_uring, ptrace and namespace/mount syscalls in both kinds, and
memfd_create and SysV shared memory and message queues, whose memory would
otherwise stay allocated outside RLIMIT_AS.

A process that grades many submissions may keep one bwrap sandbox warm
(``warm_sandbox``): ``start_worker`` then has its fork server fork each worker,
with the same limits and seccomp filter, instead of starting a sandbox.

Notes: bwrap's --die-with-parent (and the fallback's PR_SET_PDEATHSIG) fire
when the *thread* that started the worker exits, so start sessions from a
long-lived thread. Each worker has a scratch dir /tmp/autograder-sandbox-*
(the submission copy; in the fallback also the work dir); ``kill()`` removes
it, but a grader that is itself SIGKILLed leaves it behind.
"""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from autograder.sandbox.bwrap import (
    confirm_bwrap,
    prepare_bwrap,
    presumed_kind,
    sandbox_kind,
    sandbox_kind_reason,
    scratch_mode,
)
from autograder.sandbox.capture import CapturedOutput, OutputCapture
from autograder.sandbox.fallback import prepare_fallback
from autograder.sandbox.host import PR_SET_PDEATHSIG, Command, close_quietly, host_paths, sized_pipe
from autograder.sandbox.isolation import own_machine_requested
from autograder.sandbox.limits import KIND_ENV, NOBODY, SandboxKind, SandboxLimits, SandboxUnavailable
from autograder.sandbox.program import Program
from autograder.sandbox.worker import apply_process_limits

__all__ = ["KIND_ENV", "NOBODY", "CapturedOutput", "OutputCapture", "SandboxKind", "SandboxLimits",
           "SandboxUnavailable", "Worker", "WorkerKind", "WorkerProcess", "confirm_bwrap", "describe_exit",
           "presumed_kind", "sandbox_kind", "sandbox_kind_reason", "scratch_mode", "start_worker"]



def _rlimit_setter(limits: SandboxLimits, *, fallback: bool) -> Callable[[], None]:
    """A preexec_fn applying the limits in the child just before exec.

    In the fallback it also sets RLIMIT_NPROC (the worker has a uid of its own
    there) and PR_SET_PDEATHSIG, so a worker dies with the grader as it does
    under bwrap's --die-with-parent. Popen runs preexec_fn after the uid
    change, which would otherwise clear the death signal.
    """
    import resource  # Linux only, as the sandbox is: the own machine's check path never imports it

    prctl = ctypes.CDLL(None, use_errno=True).prctl if fallback else None  # resolved before fork
    process_limits = limits.process_limits()

    def apply() -> None:
        apply_process_limits(process_limits)
        if fallback:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    return apply


def _proc_stat(pid: int) -> tuple[int, int, str, int] | None:
    """(ppid, session id, state, start time) of ``pid`` from /proc, or None if gone."""
    try:  # os.open and os.read: a buffered file object per process would cost twice as much
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks = []
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    raw = b"".join(chunks).decode("ascii", "replace")
    fields = raw[raw.rindex(")") + 2:].split()  # comm may contain spaces and parens
    return int(fields[1]), int(fields[3]), fields[0], int(fields[19])


def _process_table() -> dict[int, tuple[int, int, str, int]]:
    """``_proc_stat`` of every process currently in /proc."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (info := _proc_stat(int(name))) is not None:
            table[int(name)] = info
    return table


def _pid_namespace(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


@dataclass
class _Tracked:
    """A process of the worker, remembered with its start time to survive pid reuse."""

    pid: int
    start: int


WorkerKind = SandboxKind | Literal["none"]
"""How a worker is isolated: a sandbox's kind, or ``"none"``, the own-machine worker (``own_machine``)."""


class Worker(Protocol):
    """One running worker, started on its own (``WorkerProcess``) or forked by a warm sandbox
    (``warm_sandbox.ForkedWorker``), or without a sandbox (``own_machine.OwnMachineWorker``). The
    grader writes ``request_fd`` and reads ``response_fd``."""

    @property
    def kind(self) -> WorkerKind: ...

    request_fd: int
    response_fd: int

    @property
    def pid(self) -> int: ...

    def track(self) -> None: ...

    def leftover_pids(self) -> list[int]: ...

    def is_quiet(self) -> bool: ...

    def exit_status(self, wait_s: float) -> int | None: ...

    def kill(self) -> None: ...


class WorkerProcess:
    """One running worker started on its own. The grader writes ``request_fd`` and reads ``response_fd``."""

    def __init__(self, kind: SandboxKind, popen: subprocess.Popen[bytes], request_fd: int,
                 response_fd: int, scratch: Path, drainers: list[threading.Thread]) -> None:
        self.kind = kind
        self.popen = popen
        self.request_fd = request_fd
        self.response_fd = response_fd
        self._scratch = scratch
        self._drainers = drainers
        self._tracked: dict[int, _Tracked] = {}
        self._namespace: str | None = None
        self._killed = False
        self._gone = False
        self.track()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def track(self) -> None:
        """Remember the launcher, its descendants (pid + start time) and the worker's PID namespace.

        Only meaningful while the launcher is unreaped: until then its pid and
        process group cannot be reused, so the parent links found are real.
        """
        if self.popen.returncode is not None:
            return
        stats = _process_table()
        family, frontier = {self.pid}, [self.pid]
        while frontier:
            parent = frontier.pop()
            children = [pid for pid, info in stats.items() if info[0] == parent and pid not in family]
            family.update(children)
            frontier += children
        own_namespace = _pid_namespace(os.getpid())
        for pid in family & stats.keys():
            self._tracked.setdefault(pid, _Tracked(pid, stats[pid][3]))
            namespace = _pid_namespace(pid)
            if namespace is not None and namespace != own_namespace:
                self._namespace = namespace

    def leftover_pids(self) -> list[int]:
        """Live (non-zombie) processes of this worker, found via /proc.

        Tracked processes count when pid AND start time match. Processes in the
        worker's PID namespace count too, but only while a tracked process still
        lives in it: once they are all gone the namespace is dead and its inode
        number may belong to another sandbox. Once killed, a worker found without
        a live tracked process stays so (none is tracked after the kill, and a
        process ended cannot come back): /proc is not read again.
        """
        if self._gone:
            return []
        stats = {pid: info for pid, info in _process_table().items() if info[2] not in ("Z", "X")}
        mine = {t.pid for t in self._tracked.values() if t.pid in stats and stats[t.pid][3] == t.start}
        namespace = self._namespace
        if namespace is not None and any(_pid_namespace(pid) == namespace for pid in mine):
            mine.update(pid for pid in stats if _pid_namespace(pid) == namespace)
        self._gone = self._killed and not mine
        return sorted(mine)

    def is_quiet(self) -> bool:
        """Running, and nothing unasked (stray frame, EOF) waiting on the result pipe.

        Checked between calls so that what a background thread of the student
        wrote (or a death between calls) is not blamed on the next call.
        """
        if self._killed or self.popen.poll() is not None:
            return False
        poller = select.poll()
        poller.register(self.response_fd, select.POLLIN)
        return not poller.poll(0)

    def exit_status(self, wait_s: float) -> int | None:
        """The launcher's return code, waiting up to ``wait_s``; None if still running."""
        try:
            return self.popen.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """SIGKILL every process of this worker, reap, verify, release fds and files."""
        if self._killed:
            return
        self._killed = True
        self.track()
        self._kill_round()
        deadline = time.monotonic() + 5.0
        while (leftover := self.leftover_pids()) and time.monotonic() < deadline:
            self._kill_round(leftover)
            time.sleep(0.002)  # a killed worker is gone within milliseconds; check again soon
        for fd in (self.request_fd, self.response_fd):
            close_quietly(fd)
        for thread in self._drainers:
            thread.join(timeout=2.0)
        shutil.rmtree(self._scratch, ignore_errors=True)

    def _kill_round(self, leftover: list[int] | None = None) -> None:
        """SIGKILL the launcher's process group and every leftover process (``leftover``: as
        ``leftover_pids`` has just found them); reap the launcher."""
        if self.popen.returncode is None:  # unreaped, so the group id is still ours
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in self.leftover_pids() if leftover is None else leftover:
            _signal_quietly(pid, signal.SIGKILL)
        self.exit_status(1.0)


def _signal_quietly(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError:
        pass


def describe_exit(status: int | None, kind: WorkerKind, limits: SandboxLimits) -> str:
    """A student-facing description of how the worker ended."""
    if status is None:
        return "the worker stopped answering and closed its result channel"
    signum = -status if status < 0 else (status - 128 if kind == "bwrap" and 128 < status < 193 else 0)
    if not signum:
        return f"the worker exited with status {status}"
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    hints: dict[int, str] = {
        signal.SIGXCPU: f" (CPU time limit of {limits.cpu_seconds} s exceeded)",
        signal.SIGSEGV: " (a crash, e.g. in native code)",
        signal.SIGXFSZ: f" (file size limit of {limits.file_bytes} bytes exceeded)"}
    return f"the worker was killed by {name}" + hints.get(signum, "")


def start_worker(program: Program | None, filename: str, limits: SandboxLimits, capture: OutputCapture,
                 kind: WorkerKind | None = None) -> Worker:
    """Start a worker for ``program`` (its frames shown in tracebacks as ``filename``).

    The caller reads the hello frame, then the load report, from ``response_fd``. ``kind`` None:
    the presumed sandbox, or no sandbox where this process was told so (``isolation.ISOLATION_ENV``).
    ``program`` None: a sandboxed worker started before the caller has read the submission, which
    waits for it (``send_program``) before its hello. Raises SandboxUnavailable if the sandbox
    cannot be set up.
    """
    if kind == "none" or (kind is None and own_machine_requested()):
        from autograder.sandbox.own_machine import start_own_worker

        if program is None:
            raise ValueError("a worker without a sandbox is started with its program")
        return start_own_worker(program, filename, limits, capture)
    kind = kind or presumed_kind()
    # A process that keeps a warm sandbox has imported its module; any other one (``check``,
    # starting its worker before numpy loads) need not import it.
    if kind == "bwrap" and program is not None and "autograder.sandbox.warm_sandbox" in sys.modules:
        from autograder.sandbox.warm_sandbox import stop_warm_sandbox, warm_sandbox_for, warm_sandbox_greeted

        warm = warm_sandbox_for(limits) if warm_sandbox_greeted() else None
        if warm is not None:
            try:
                return warm.spawn(program, filename, limits, capture)
            except SandboxUnavailable:
                stop_warm_sandbox()  # from now on this process starts its workers the cold way
    scratch = Path(tempfile.mkdtemp(prefix="autograder-sandbox-"))
    fds: list[int] = []
    try:
        fds = [*sized_pipe(), *sized_pipe()]  # request r/w, response r/w
        config: dict[str, object] = {"filename": filename, "request_fd": fds[0], "response_fd": fds[3],
                                     "max_frame_bytes": limits.max_frame_bytes,
                                     "processes": limits.processes}
        prepare = prepare_bwrap if kind == "bwrap" else prepare_fallback
        command = prepare(host_paths(), scratch, None if program is None else program.to_json(), config, limits)
        return _spawn(kind, command, limits, fds, scratch, capture)
    except BaseException:
        for fd in fds:
            close_quietly(fd)
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def send_program(request_fd: int, program: bytes, deadline: float) -> None:
    """Hand a worker its program (``Program.to_json``) as the first frame on its request pipe, by
    ``deadline``: a worker started without it (``start_worker(None, ...)``) or forked by a warm
    sandbox reads it before its hello. Raises SandboxUnavailable if it cannot be written."""
    from autograder.sandbox import wire

    try:
        wire.write_all(request_fd, wire.raw_frame(program), deadline)
    except (wire.ChannelTimeout, OSError) as err:
        raise SandboxUnavailable(f"the worker did not take its program: {err}") from None


def _spawn(kind: SandboxKind, command: Command, limits: SandboxLimits, fds: list[int],
           scratch: Path, capture: OutputCapture) -> WorkerProcess:
    """Popen the worker with limits, a new session and (fallback, as root) uid 65534.

    Takes ownership of ``fds``: the child's ends are closed here, the grader's
    ends go to the returned WorkerProcess.
    """
    req_r, req_w, resp_r, resp_w = fds
    drop = kind == "fallback" and os.geteuid() == 0
    try:
        popen = subprocess.Popen(
            command.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=command.cwd, env=command.env, pass_fds=(req_r, resp_w), start_new_session=True,
            preexec_fn=_rlimit_setter(limits, fallback=kind == "fallback"),
            user=NOBODY if drop else None, group=NOBODY if drop else None,
            extra_groups=[] if drop else None)
    except OSError as err:
        raise SandboxUnavailable(f"cannot start the worker: {err}") from err
    close_quietly(req_r)
    close_quietly(resp_w)
    fds.clear()  # nothing left for the caller to close on failure
    os.set_blocking(req_w, False)  # writes must honour the call deadline
    assert popen.stdout is not None and popen.stderr is not None
    drainers = [capture.drain("stdout", popen.stdout), capture.drain("stderr", popen.stderr)]
    return WorkerProcess(kind, popen, req_w, resp_r, scratch, drainers)
