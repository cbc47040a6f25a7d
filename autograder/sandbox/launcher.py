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

Notes: bwrap's --die-with-parent (and the fallback's PR_SET_PDEATHSIG) fire
when the *thread* that started the worker exits, so start sessions from a
long-lived thread. Each worker has a scratch dir /tmp/autograder-sandbox-*
(the submission copy; in the fallback also the work dir); ``kill()`` removes
it, but a grader that is itself SIGKILLed leaves it behind.
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import glob
import importlib.util
import json
import os
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from autograder.limits import CALL_TIMEOUT_S, CPU_SECONDS, IMPORT_TIMEOUT_S, MEMORY_MB, MIB
from autograder.sandbox.program import Program

SandboxKind = Literal["bwrap", "fallback"]
NOBODY = 65534
KIND_ENV = "AUTOGRADER_SANDBOX"  # operator override: "bwrap" or "fallback"
_HERE = Path(__file__).resolve().parent
_PROJECT_ROOT = _HERE.parent.parent
_SANDBOX_DIR = "/sandbox"
_SITE_DIR = "/sandbox/site"
_WORK_DIR = "/tmp"
_PIPE_BYTES = 1 << 20
_PR_SET_PDEATHSIG = 1
_KIT_PACKAGES = ("autograder", "reference", "assignments")  # must never be importable inside
SANDBOX_MODULES = ("worker.py", "wire.py", "statements.py", "standins.py")
"""The kit's only files inside the sandbox: the worker and the modules it imports (stdlib and numpy only)."""
_PROGRAM_FILE = "submission.json"
_THREAD_ENV = {name: "1" for name in
               ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")}


class SandboxUnavailable(RuntimeError):
    """The sandbox itself cannot run (a grader-side problem, not the student's)."""


@dataclass(frozen=True)
class SandboxLimits:
    """Per-submission limits. Times in seconds, sizes in bytes.

    ``startup_timeout_s`` bounds the sandbox coming up BEFORE any student code
    runs (it cannot be stretched by the student, so it is generous: a busy
    machine must not turn into a student's import timeout);
    ``import_timeout_s`` starts when the worker reports it is up.

    ``memory_bytes`` is the address-space limit of the worker (numpy and
    OpenBLAS need about 250 MiB of it); ``cpu_seconds`` is the CPU time a
    single worker process may burn before SIGXCPU; ``output_bytes`` is how much
    of stdout and of stderr is kept; ``max_frame_bytes`` bounds one message.
    """

    call_timeout_s: float = CALL_TIMEOUT_S
    import_timeout_s: float = IMPORT_TIMEOUT_S
    startup_timeout_s: float = 60.0
    memory_bytes: int = MEMORY_MB * MIB
    cpu_seconds: int = CPU_SECONDS
    output_bytes: int = 64 * 1024
    max_frame_bytes: int = 64 * 1024 * 1024
    file_bytes: int = 8 * 1024 * 1024
    scratch_bytes: int = 32 * 1024 * 1024
    open_files: int = 256
    processes: int = 256


# --------------------------------------------------------------------------
# Captured output


@dataclass(frozen=True)
class CapturedOutput:
    """What the submission printed: the first bytes of each stream, decoded."""

    stdout: str
    stderr: str
    stdout_dropped: int = 0
    stderr_dropped: int = 0


class OutputCapture:
    """Keeps the first ``limit`` bytes of each stream across worker restarts.

    Drainer threads read pipes to EOF and discard whatever exceeds the limit,
    so a flood of prints can neither block the worker nor fill our memory.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._kept = {"stdout": bytearray(), "stderr": bytearray()}
        self._dropped = {"stdout": 0, "stderr": 0}
        self._pending: list[int] = []
        self._busy: set[int] = set()

    def drain(self, name: str, stream: IO[bytes]) -> threading.Thread:
        """Start a daemon thread copying ``stream`` into the ``name`` buffer until EOF."""
        fd = stream.fileno()
        with self._lock:
            self._pending.append(fd)
        thread = threading.Thread(target=self._pump, args=(name, stream, fd), daemon=True,
                                  name=f"sandbox-{name}")
        thread.start()
        return thread

    def _pump(self, name: str, stream: IO[bytes], fd: int) -> None:
        waiting = select.poll()
        waiting.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        try:
            while True:
                waiting.poll()
                with self._lock:  # marked before the read: settle() never sees a chunk in no one's hands
                    self._busy.add(fd)
                try:
                    chunk = os.read(fd, 65536)
                    with self._lock:
                        room = max(0, self._limit - len(self._kept[name]))
                        self._kept[name] += chunk[:room]
                        self._dropped[name] += max(0, len(chunk) - room)
                finally:
                    with self._lock:
                        self._busy.discard(fd)
                if not chunk:
                    break
        except OSError:
            pass
        finally:
            with self._lock:
                self._pending.remove(fd)
            stream.close()

    def settle(self, timeout: float = 0.5) -> None:
        """Wait (briefly) until the pipes hold no unread bytes and no read is being kept, so a
        snapshot is current."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (self._reading() or any(_unread_bytes(fd) for fd in self._pending_fds())):
            time.sleep(0.005)

    def _reading(self) -> bool:
        with self._lock:
            return bool(self._busy)

    def _pending_fds(self) -> list[int]:
        with self._lock:
            return list(self._pending)

    def snapshot(self) -> CapturedOutput:
        """The output kept so far, decoded as UTF-8 with replacement characters."""
        with self._lock:
            out, err = (bytes(self._kept[n]).decode("utf-8", "replace") for n in ("stdout", "stderr"))
            return CapturedOutput(out, err, self._dropped["stdout"], self._dropped["stderr"])


def _unread_bytes(fd: int) -> int:
    """Bytes waiting in a pipe (FIONREAD); 0 once the fd is closed."""
    import array
    import termios

    count = array.array("i", [0])
    try:
        fcntl.ioctl(fd, termios.FIONREAD, count)
    except OSError:
        return 0
    return count[0]


# --------------------------------------------------------------------------
# What the worker needs from this machine


@dataclass(frozen=True)
class _HostPaths:
    """Host paths the worker is built from."""

    interpreter: str          # realpath of the BASE python (never the venv's)
    prefix: str               # sys.base_prefix, realpath
    site_entries: tuple[str, ...]  # numpy, numpy.libs (if present), pyseccomp.py


def _module_path(name: str) -> str:
    """Host path of a top-level module or package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SandboxUnavailable(f"the grader environment lacks {name!r}")
    if spec.submodule_search_locations:
        return os.path.realpath(list(spec.submodule_search_locations)[0])
    return os.path.realpath(spec.origin)


@functools.lru_cache(maxsize=1)
def _host_paths() -> _HostPaths:
    """Interpreter, prefix and site entries; cached because they never change."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    candidates = [os.path.join(sys.base_prefix, "bin", f"python{sys.version_info[0]}.{sys.version_info[1]}"),
                  base]
    interpreter = next((os.path.realpath(c) for c in candidates if os.access(c, os.X_OK)), None)
    if interpreter is None:
        raise SandboxUnavailable("cannot find the base Python interpreter")
    numpy_dir = _module_path("numpy")
    entries = [numpy_dir, _module_path("pyseccomp")]
    if os.path.isdir(numpy_dir + ".libs"):
        entries.append(numpy_dir + ".libs")
    return _HostPaths(interpreter, os.path.realpath(sys.base_prefix), tuple(entries))


def _interpreter_argv(interpreter: str, worker: str, config: dict[str, object]) -> list[str]:
    """The worker command line: isolated mode, no site, no bytecode writing."""
    return [interpreter, "-I", "-S", "-B", worker, json.dumps(config)]


def _worker_env(home: str) -> dict[str, str]:
    """A minimal environment; nothing of the grader's leaks in."""
    return {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", **_THREAD_ENV}


# --------------------------------------------------------------------------
# bubblewrap


def _top_level_links() -> list[str]:
    """bwrap arguments recreating /bin, /sbin, /lib* as the host has them."""
    args: list[str] = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _masked_dirs(bound: list[str]) -> list[str]:
    """Dirs inside the bound trees that must look empty in the sandbox.

    Every site-packages the grader knows of (base, venv, user, Debian's
    dist-packages) and the kit itself (its packages and the project tree),
    in case any of them lives under /usr or the Python prefix.
    """
    import site

    paths = {sysconfig.get_path(key, vars={"base": prefix, "platbase": prefix})
             for key in ("purelib", "platlib") for prefix in (sys.base_prefix, sys.prefix)}
    paths.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    paths.add(site.getusersitepackages() if hasattr(site, "getusersitepackages") else "")
    paths.update(glob.glob("/usr/lib/python3*/*-packages") + glob.glob("/usr/local/lib/python3*/*-packages"))
    paths.add(str(_PROJECT_ROOT))
    for package in _KIT_PACKAGES:
        spec = importlib.util.find_spec(package)
        paths.update(spec.submodule_search_locations or [] if spec else [])
    real = {os.path.realpath(p) for p in paths if p and os.path.isdir(p)}
    return sorted(p for p in real if any(_is_within(p, b) for b in bound))


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _bwrap_argv(host: _HostPaths, binds: list[tuple[str, str]], limits: SandboxLimits) -> list[str]:
    """The bwrap command up to (not including) the program to run.

    ``binds`` are extra (host path, sandbox path) read-only binds.
    """
    args = ["bwrap", "--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
            "--die-with-parent", "--new-session", "--hostname", "sandbox", "--clearenv"]
    for key, value in _worker_env(_WORK_DIR).items():
        args += ["--setenv", key, value]
    args += ["--proc", "/proc", "--dev", "/dev", "--ro-bind", "/usr", "/usr", *_top_level_links()]
    bound = ["/usr"]
    if not _is_within(host.prefix, "/usr"):
        args += ["--ro-bind", host.prefix, host.prefix]
        bound.append(host.prefix)
    for masked in _masked_dirs(bound):
        args += ["--tmpfs", masked, "--remount-ro", masked]
    for entry in host.site_entries:
        args += ["--ro-bind", entry, f"{_SITE_DIR}/{os.path.basename(entry)}"]
    for source, target in binds:
        args += ["--ro-bind", source, target]
    args += ["--size", str(limits.scratch_bytes), "--tmpfs", _WORK_DIR,
             "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", _WORK_DIR]
    return args


@functools.lru_cache(maxsize=1)
def _bwrap_self_test() -> str | None:
    """None if bwrap can run the base interpreter with numpy here, else why not (cached)."""
    if shutil.which("bwrap") is None:
        return "bwrap is not on PATH"
    try:
        host = _host_paths()
        probe = f"import sys; sys.path.insert(0, {_SITE_DIR!r}); import numpy"
        argv = _bwrap_argv(host, [], SandboxLimits()) + [host.interpreter, "-I", "-S", "-c", probe]
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError, SandboxUnavailable) as err:
        return f"bwrap self-test failed: {err}"
    if done.returncode != 0:
        return f"bwrap self-test exited {done.returncode}: {done.stderr.decode(errors='replace')[:300]}"
    return None


_bwrap_started = False
"""Set once a bwrap worker has said hello in this process: bwrap works, no self-test needed."""


def confirm_bwrap() -> None:
    """A bwrap worker started (its hello frame arrived, before any student code ran)."""
    global _bwrap_started
    _bwrap_started = True


def presumed_kind() -> SandboxKind:
    """The kind to start a worker with, without waiting for the self-test (~0.2-0.4 s, the time of
    a worker start): bwrap whenever it is on PATH and has not failed its self-test. A bwrap worker
    that then sends no hello runs the self-test (``SandboxSession``), and only a failed self-test
    falls back; a worker that said hello confirms bwrap for the process (``confirm_bwrap``)."""
    forced = os.environ.get(KIND_ENV, "").strip().lower()
    if forced == "fallback" or shutil.which("bwrap") is None:
        return "fallback"
    if _bwrap_self_test.cache_info().currsize:
        return sandbox_kind()
    return "bwrap"


def sandbox_kind() -> SandboxKind:
    """``"bwrap"`` when bubblewrap works on this machine, else ``"fallback"``.

    The operator may force either with AUTOGRADER_SANDBOX; forcing "bwrap" when
    it does not work raises SandboxUnavailable rather than silently degrading.
    """
    forced = os.environ.get(KIND_ENV, "").strip().lower()
    if forced == "fallback":
        return "fallback"
    if _bwrap_started:
        return "bwrap"
    problem = _bwrap_self_test()
    if forced == "bwrap" and problem is not None:
        raise SandboxUnavailable(problem)
    return "bwrap" if problem is None else "fallback"


def sandbox_kind_reason() -> str:
    """One line explaining the current ``sandbox_kind()``."""
    if os.environ.get(KIND_ENV, "").strip().lower() == "fallback":
        return f"fallback forced by {KIND_ENV}=fallback"
    return _bwrap_self_test() or "bubblewrap works"


# --------------------------------------------------------------------------
# The fallback


def _reachable_by_nobody(path: str) -> bool:
    """Whether uid/gid 65534 (no groups) can traverse to and read ``path``."""
    parts = Path(path).parts
    for depth in range(1, len(parts) + 1):
        info = os.stat(os.path.join(*parts[:depth]))
        needed = stat.S_IXOTH if depth < len(parts) or stat.S_ISDIR(info.st_mode) else stat.S_IROTH
        if not info.st_mode & needed:
            return False
    return True


def _fallback_dirs(scratch: Path, host: _HostPaths) -> tuple[Path, Path]:
    """(code dir, work dir) inside ``scratch``: a symlinked site dir and a private cwd."""
    code, work, site = scratch / "code", scratch / "work", scratch / "code" / "site"
    site.mkdir(parents=True)
    for entry in host.site_entries:
        os.symlink(entry, site / os.path.basename(entry))
    work.mkdir(mode=0o700)
    if os.geteuid() == 0:
        os.chown(work, NOBODY, NOBODY)
        for path in (host.interpreter, *host.site_entries):
            if not _reachable_by_nobody(path):
                raise SandboxUnavailable(f"fallback sandbox: uid {NOBODY} cannot read {path}; "
                                         "install bubblewrap or a world-readable Python")
    os.chmod(code, 0o755)
    os.chmod(scratch, 0o711)  # traversable, not listable
    return code, work


# --------------------------------------------------------------------------
# Processes


def _rlimit_setter(limits: SandboxLimits, *, fallback: bool) -> Callable[[], None]:
    """A preexec_fn applying the limits in the child just before exec.

    In the fallback it also sets RLIMIT_NPROC (the worker has a uid of its own
    there) and PR_SET_PDEATHSIG, so a worker dies with the grader as it does
    under bwrap's --die-with-parent. Popen runs preexec_fn after the uid
    change, which would otherwise clear the death signal.
    """
    prctl = ctypes.CDLL(None, use_errno=True).prctl if fallback else None  # resolved before fork

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        # Soft limit sends SIGXCPU; the hard limit one second later is SIGKILL.
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        if fallback:
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    return apply


def _proc_stat(pid: int) -> tuple[int, int, str, int] | None:
    """(ppid, session id, state, start time) of ``pid`` from /proc, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read().decode("ascii", "replace")
    except OSError:
        return None
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


def _pipe(size: int) -> tuple[int, int]:
    """An O_CLOEXEC pipe, enlarged so big arrays need fewer wake-ups."""
    read_fd, write_fd = os.pipe()
    try:
        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, size)
    except OSError:
        pass
    return read_fd, write_fd


@dataclass
class _Tracked:
    """A process of the worker, remembered with its start time to survive pid reuse."""

    pid: int
    start: int


class WorkerProcess:
    """One running worker. The grader writes ``request_fd`` and reads ``response_fd``."""

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
        number may belong to another sandbox.
        """
        stats = {pid: info for pid, info in _process_table().items() if info[2] not in ("Z", "X")}
        mine = {t.pid for t in self._tracked.values() if t.pid in stats and stats[t.pid][3] == t.start}
        namespace = self._namespace
        if namespace is not None and any(_pid_namespace(pid) == namespace for pid in mine):
            mine.update(pid for pid in stats if _pid_namespace(pid) == namespace)
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
        while self.leftover_pids() and time.monotonic() < deadline:
            self._kill_round()
            time.sleep(0.01)
        for fd in (self.request_fd, self.response_fd):
            _close_quietly(fd)
        for thread in self._drainers:
            thread.join(timeout=2.0)
        shutil.rmtree(self._scratch, ignore_errors=True)

    def _kill_round(self) -> None:
        """SIGKILL the launcher's process group and every leftover process; reap the launcher."""
        if self.popen.returncode is None:  # unreaped, so the group id is still ours
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in self.leftover_pids():
            _signal_quietly(pid, signal.SIGKILL)
        self.exit_status(1.0)


def _signal_quietly(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError:
        pass


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def describe_exit(status: int | None, kind: SandboxKind, limits: SandboxLimits) -> str:
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


@dataclass(frozen=True)
class _Command:
    """How to exec one worker: argv, working directory and environment."""

    argv: list[str]
    cwd: str | None
    env: dict[str, str]


def start_worker(program: Program, filename: str, limits: SandboxLimits, capture: OutputCapture,
                 kind: SandboxKind | None = None) -> WorkerProcess:
    """Start a worker for ``program`` (its frames shown in tracebacks as ``filename``).

    The caller reads the hello frame, then the load report, from ``response_fd``.
    Raises SandboxUnavailable if the sandbox cannot be set up.
    """
    kind = kind or presumed_kind()
    scratch = Path(tempfile.mkdtemp(prefix="autograder-sandbox-"))
    fds: list[int] = []
    try:
        fds = [*_pipe(_PIPE_BYTES), *_pipe(_PIPE_BYTES)]  # request r/w, response r/w
        config: dict[str, object] = {"filename": filename, "request_fd": fds[0], "response_fd": fds[3],
                                     "max_frame_bytes": limits.max_frame_bytes,
                                     "processes": limits.processes}
        prepare = _prepare_bwrap if kind == "bwrap" else _prepare_fallback
        command = prepare(_host_paths(), scratch, program.to_json(), config, limits)
        return _spawn(kind, command, limits, fds, scratch, capture)
    except BaseException:
        for fd in fds:
            _close_quietly(fd)
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def _prepare_bwrap(host: _HostPaths, scratch: Path, program: bytes, config: dict[str, object],
                   limits: SandboxLimits) -> _Command:
    """The bwrap command; the submission's program is a private copy bound read-only."""
    private = scratch / _PROGRAM_FILE
    private.write_bytes(program)
    binds = [(str(_HERE / name), f"{_SANDBOX_DIR}/{name}") for name in SANDBOX_MODULES]
    binds.append((str(private), f"{_SANDBOX_DIR}/{_PROGRAM_FILE}"))
    config.update(submission=f"{_SANDBOX_DIR}/{_PROGRAM_FILE}", site=_SITE_DIR)
    argv = _bwrap_argv(host, binds, limits) + _interpreter_argv(
        host.interpreter, f"{_SANDBOX_DIR}/worker.py", config)
    # bwrap itself needs only PATH; it clears the environment of the worker.
    return _Command(argv, None, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})


def _prepare_fallback(host: _HostPaths, scratch: Path, program: bytes, config: dict[str, object],
                      limits: SandboxLimits) -> _Command:
    """The plain command: read-only copies of the sandbox modules and the program; private cwd."""
    code, work = _fallback_dirs(scratch, host)
    for name in SANDBOX_MODULES:
        shutil.copyfile(_HERE / name, code / name)
    (code / _PROGRAM_FILE).write_bytes(program)
    for name in (*SANDBOX_MODULES, _PROGRAM_FILE):
        os.chmod(code / name, 0o444)
    config.update(submission=str(code / _PROGRAM_FILE), site=str(code / "site"))
    argv = _interpreter_argv(host.interpreter, str(code / "worker.py"), config)
    return _Command(argv, str(work), _worker_env(str(work)))


def _spawn(kind: SandboxKind, command: _Command, limits: SandboxLimits, fds: list[int],
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
    _close_quietly(req_r)
    _close_quietly(resp_w)
    fds.clear()  # nothing left for the caller to close on failure
    os.set_blocking(req_w, False)  # writes must honour the call deadline
    assert popen.stdout is not None and popen.stderr is not None
    drainers = [capture.drain("stdout", popen.stdout), capture.drain("stderr", popen.stderr)]
    return WorkerProcess(kind, popen, req_w, resp_r, scratch, drainers)
