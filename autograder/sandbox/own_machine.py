"""The own-machine worker: the student's code in a plain process of the student's own machine.

``autograder check`` uses it where no sandbox can run (macOS, Windows, a Linux without pyseccomp:
``isolation.sandbox_missing``); ``grade`` only with ``--isolation none``. It is the sandbox's
worker (``worker.run_submission``: the same cells run statement by statement, the same stand-ins,
the same frames of ``wire``) in a process started with multiprocessing's ``spawn`` method (no
fork, so the same on Linux, macOS and Windows), and the grader drives it through the same
``SandboxSession``: the same per-call timeouts, the same restart after a hang or a crash, the
same disabling of a function that hung.

What it adds, per platform:

* the channel is a socket pair (``socket.socketpair``: Windows can wait on nothing else), one
  socket for requests and responses; stdout and stderr go to two more, drained by the grader;
* limits: the sandbox's rlimits (address space, CPU time, file size, open files) where the
  system has ``resource`` (Linux, macOS; macOS does not enforce the address-space limit), none on
  Windows (no job object: the call timeouts still bound a hang);
* ending it: on Linux and macOS the worker leads a session of its own and its whole process group
  is killed; on Windows only the worker process is (processes it started may outlive it);
* it dies when the grader does (it watches multiprocessing's parent sentinel) and works in a
  private temporary folder, removed with it.

It does NOT confine anything: the code runs as the student, with their files, network and
processes. It exists for a student's own code on the student's own machine (SECURITY.md).
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from autograder.sandbox.capture import OutputCapture
from autograder.sandbox.host import THREAD_ENV
from autograder.sandbox.limits import SandboxLimits, SandboxUnavailable
from autograder.sandbox.program import Program

OWN_MACHINE: Literal["none"] = "none"
"""The worker kind (``results.json``'s ``sandbox``): no isolation."""
KILL_WAIT_S = 5.0
Config = dict[str, Any]


def _on_windows() -> bool:
    return sys.platform == "win32"


def _can_cap() -> bool:
    """Whether the worker can set rlimits: Linux and macOS have ``resource``, Windows has not."""
    return not _on_windows() and importlib.util.find_spec("resource") is not None


class OwnMachineWorker:
    """One running own-machine worker (``launcher.Worker``). Requests and responses share one socket."""

    kind: Literal["none"] = OWN_MACHINE

    def __init__(self, process: Any, channel: socket.socket, outputs: list[socket.socket],
                 drainers: list[threading.Thread], work: Path) -> None:
        self._process = process
        self._channel = channel
        self._outputs = outputs
        self._drainers = drainers
        self._work = work
        self._killed = False
        self.request_fd = self.response_fd = channel.fileno()

    @property
    def pid(self) -> int:
        return int(self._process.pid or 0)

    def track(self) -> None:
        """Nothing to track: the process (and on Linux and macOS its group) is killed by its pid."""

    def leftover_pids(self) -> list[int]:
        return [self.pid] if self._process.is_alive() else []

    def is_quiet(self) -> bool:
        """Running, and nothing unasked waiting on the channel."""
        if self._killed or not self._process.is_alive():
            return False
        readable, _, broken = select.select([self._channel], [], [self._channel], 0)
        return not readable and not broken

    def exit_status(self, wait_s: float) -> int | None:
        self._process.join(wait_s)
        code = self._process.exitcode
        return None if code is None else int(code)

    def kill(self) -> None:
        """Kill the worker (and on Linux and macOS its process group), reap it, close the channels."""
        if self._killed:
            return
        self._killed = True
        _kill_group(self.pid)
        if self._process.is_alive():
            self._process.kill()
        self._process.join(KILL_WAIT_S)
        self._channel.close()
        for thread in self._drainers:
            thread.join(timeout=2.0)
        for sock in self._outputs:
            sock.close()
        shutil.rmtree(self._work, ignore_errors=True)


def _kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads, if the worker has made one (``_own_session``).

    The worker is unreaped here, so its pid (and a group of that id) is still its own; a worker
    that has not yet left the grader's group has no group of its own to kill."""
    if _on_windows() or not pid or not hasattr(os, "killpg"):
        return
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def start_own_worker(program: Program, filename: str, limits: SandboxLimits,
                     capture: OutputCapture) -> OwnMachineWorker:
    """Start an own-machine worker for ``program`` (its frames shown in tracebacks as ``filename``).

    The caller reads the hello frame, then the load report, from ``response_fd``, as from a
    sandboxed worker. Raises SandboxUnavailable if the process cannot be started."""
    work = Path(tempfile.mkdtemp(prefix="autograder-own-machine-"))
    pairs = [socket.socketpair() for _ in range(3)]  # channel, stdout, stderr: (grader, worker) ends
    config: Config = {"filename": filename, "max_frame_bytes": limits.max_frame_bytes, "work": str(work),
                      "limits": limits.process_limits(), "caps": _can_cap(),
                      "streams": "sockets" if _on_windows() else "fds"}
    process = multiprocessing.get_context("spawn").Process(
        target=serve, args=(config, program.to_json(), *(worker for _, worker in pairs)),
        name="autograder-own-machine", daemon=True)
    try:
        with _single_threaded_blas(), _main_not_imported():
            process.start()
    except (OSError, RuntimeError, ValueError) as failure:
        for pair in pairs:
            for sock in pair:
                sock.close()
        shutil.rmtree(work, ignore_errors=True)
        raise SandboxUnavailable(f"cannot start the worker on this machine: {failure}") from failure
    for _, worker_end in pairs:
        worker_end.close()
    channel, out, err = (grader for grader, _ in pairs)
    channel.setblocking(False)  # writes must honour the call deadline
    drainers = [_drain(capture, "stdout", out), _drain(capture, "stderr", err)]
    return OwnMachineWorker(process, channel, [out, err], drainers, work)


def _drain(capture: OutputCapture, name: str, sock: socket.socket) -> threading.Thread:
    """A thread keeping what the worker prints on ``sock``: polled where the system can poll it."""
    if _on_windows() or not hasattr(select, "poll"):
        return capture.drain_blocking(name, sock.fileno(), sock.recv)
    return capture.drain(name, open(os.dup(sock.fileno()), "rb", buffering=0))  # noqa: SIM115


_ENV_LOCK = threading.Lock()


@contextmanager
def _main_not_imported() -> Iterator[None]:
    """The worker does not run the grader's main module again, as ``spawn`` does by default: the
    worker needs nothing of it, and running it again would start ``autograder`` (or a script that
    calls the kit without an ``if __name__ == "__main__"`` guard) a second time. ``spawn`` names
    the main module to the new process while ``start`` runs; an empty one names none."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


@contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """The worker's numpy uses one BLAS thread, as the sandbox's does: a spawned process inherits the
    environment as it is when it starts, and imports numpy before its own code runs."""
    with _ENV_LOCK:
        saved = {name: os.environ.get(name) for name in THREAD_ENV}
        os.environ.update(THREAD_ENV)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


# ------------------------------------------------------------------ in the worker process


def serve(config: Config, program: bytes, channel: socket.socket, out: socket.socket,
          err: socket.socket) -> None:
    """The worker process: the sandbox's worker code, without the sandbox (``worker.run_submission``)."""
    _exit_with_parent()
    _own_session()
    os.chdir(config["work"])
    config = {**config, "request_fd": channel.fileno(), "response_fd": channel.fileno()}
    channel.setblocking(True)
    from autograder.sandbox import standins, worker
    from autograder.sandbox.host import SANDBOX_MODULES

    for name in (file.removesuffix(".py") for file in SANDBOX_MODULES):  # the names worker imports,
        sys.modules[name] = importlib.import_module(f"autograder.sandbox.{name}")  # as in the sandbox
    worker.import_worker_modules()
    standins.install(first=True)
    worker.run_submission(config, lambda: program, confine=lambda config: _confine(config, out, err))
    os._exit(0)  # as the sandbox's worker: no student atexit hook or __del__ runs


def _exit_with_parent() -> None:
    """End this process when the grader ends, even while student code runs (a daemon thread)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(1)
    threading.Thread(target=watch, daemon=True, name="own-machine-parent").start()


def _own_session() -> None:
    """Lead a session (and process group) of its own, so the grader kills whatever it starts too."""
    if hasattr(os, "setsid"):
        try:
            os.setsid()
        except OSError:
            pass


def _confine(config: Config, out: socket.socket, err: socket.socket) -> None:
    """The own machine's stand-in for the sandbox's confinement: the limits the system allows,
    and output to the grader's sockets."""
    if config["caps"]:
        from autograder.sandbox.worker import apply_process_limits

        apply_process_limits(config["limits"], strict=False)
    _redirect_output(config["streams"], out, err)


def _redirect_output(streams: str, out: socket.socket, err: socket.socket) -> None:
    """stdout and stderr to the grader: fds 1 and 2 themselves where a socket can be one (Linux,
    macOS), else (Windows) Python's streams, with fds 1 and 2 pointed at nothing."""
    from autograder.sandbox.worker import redirect_output

    if streams == "fds":
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        redirect_output()
        return
    redirect_output()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stdout = out.makefile("w", buffering=1, encoding="utf-8", errors="backslashreplace")
    sys.stderr = err.makefile("w", buffering=1, encoding="utf-8", errors="backslashreplace")
