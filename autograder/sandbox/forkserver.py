"""The fork server of a warm sandbox: one bubblewrap sandbox, a fresh process for every submission.

Run as ``python -I -S -B forkserver.py CONFIG_JSON`` inside the sandbox (``warm_sandbox`` starts
it), never imported by the grader. It imports what a worker needs (numpy, pyseccomp and the kit's
sandbox modules) once, makes itself non-dumpable (a process of the same uid can then neither open
its /proc/PID/mem nor read its environment), says ``{"hello": "forkserver"}`` and answers requests
on its control socket, a SOCK_SEQPACKET with one JSON object per packet:

``{"op": "spawn", "nonce": N, "config": {...}}`` with four fds (request read end, response write
end, stdout and stderr write ends)
    ends and reaps the previous child, empties /tmp, checks that its own limits and priority are
    still those it started with, and forks. The child (``worker.run_forked``) keeps only those
    fds, dies with the server, sets the submission's limits, and is from there on a worker like
    any other: seccomp filter, program read from its request pipe, hello, load, calls.
    Answer: ``{"nonce": N, "pid": PID}`` with a pidfd of the child.
``{"op": "status", "nonce": N, "pid": PID}``
    Answer: ``{"nonce": N, "status": S}``, the child's exit as ``Popen.returncode`` (a negative
    signal number), or null while it runs. Only the child of the moment has a status: the server
    forgets a child and how it ended before it forks the next, which is forked from its memory.

At most one child lives at a time, so two submissions never share /tmp nor meet in /proc. A
request it cannot honour ends the server (the grader then starts a fresh sandbox): nothing a
child left behind can reach the next one.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import socket
import sys
import time
from typing import Any

_PR_SET_DUMPABLE = 4
_WORK_DIR = "/tmp"
_MAX_REQUEST_BYTES = 1 << 16
_SPAWN_FDS = 4
_EMPTYING_S = 2.0


def _own_state() -> tuple[object, ...]:
    """What a child could try to change in the server and the next child would inherit."""
    limits = tuple(resource.getrlimit(getattr(resource, name)) for name in sorted(dir(resource))
                   if name.startswith("RLIMIT_"))
    return limits, os.getpriority(os.PRIO_PROCESS, 0), os.getcwd()


def _empty(folder: str, mode: int, seconds: float) -> None:
    """Remove everything in ``folder`` and give it back ``mode``, no extended attributes and the
    same times for every child. Raises if that fails or takes longer than ``seconds`` (a million
    empty files): the server then ends, and its sandbox's memory goes with it."""
    deadline = time.monotonic() + seconds
    os.chmod(folder, mode)
    pending, folders = [folder], []
    while pending:
        with os.scandir(pending.pop()) as entries:
            for count, entry in enumerate(entries):
                if count % 256 == 0 and time.monotonic() > deadline:
                    raise RuntimeError(f"emptying {folder} took longer than {seconds:g} s")
                if entry.is_dir(follow_symlinks=False):
                    os.chmod(entry.path, 0o700)  # a child may have made it unreadable or unwritable
                    pending.append(entry.path)
                    folders.append(entry.path)
                else:
                    os.unlink(entry.path)
    for path in reversed(folders):
        os.rmdir(path)
    for name in os.listxattr(folder):
        os.removexattr(folder, name)
    os.utime(folder, (0, 0))


_NAMESPACE_TABLES = ("/proc/sysvipc/sem", "/proc/sysvipc/msg", "/proc/sysvipc/shm", "/proc/net/unix")
"""What a worker could leave in the sandbox's IPC and network namespaces (its seccomp filter denies
making any): each a header line, and a line per object."""


def _nothing_left_in_namespaces() -> None:
    for table in _NAMESPACE_TABLES:
        with open(table, encoding="ascii", errors="replace") as lines:
            if len(lines.readlines()) > 1:
                raise RuntimeError(f"{table} is not empty")


class ForkServer:
    """The server's state: its control socket, and the child of the moment with how it ended."""

    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.child: int | None = None
        self.child_status: int | None = None
        self.work_mode = os.stat(_WORK_DIR).st_mode & 0o7777
        os.utime(_WORK_DIR, (0, 0))
        self.state = _own_state()

    def serve(self) -> None:
        self._send({"hello": "forkserver"}, [])
        while True:
            message, fds, _, _ = socket.recv_fds(self.control, _MAX_REQUEST_BYTES, _SPAWN_FDS)
            if not message:
                return  # the grader closed its end
            try:
                request = json.loads(message)
                reply, handed = self._answer(request, fds)
            finally:
                for fd in fds:
                    os.close(fd)
            self._send({"nonce": request["nonce"], **reply}, handed)
            for fd in handed:
                os.close(fd)

    def _answer(self, request: dict[str, Any], fds: list[int]) -> tuple[dict[str, Any], list[int]]:
        if request["op"] == "spawn" and len(fds) == _SPAWN_FDS:
            pid = self._spawn(request["config"], fds)
            return {"pid": pid}, [os.pidfd_open(pid)]
        if request["op"] == "status":
            return {"status": self._status(int(request["pid"]))}, []
        raise ValueError(f"unknown request {request['op']!r}")

    def _spawn(self, config: dict[str, Any], fds: list[int]) -> int:
        self._end_child()
        _empty(_WORK_DIR, self.work_mode, _EMPTYING_S)
        if _own_state() != self.state:
            raise RuntimeError("the server's limits or priority changed")
        _nothing_left_in_namespaces()
        server = os.getpid()
        gc.freeze()  # the child's collections skip the server's heap (numpy), which it only reads
        pid = os.fork()
        if pid == 0:
            self._become_worker(config, fds, server)
        self.child = pid
        return pid

    @staticmethod
    def _become_worker(config: dict[str, Any], fds: list[int], server: int) -> None:
        status = 0
        try:
            import worker

            worker.run_forked(config, fds, server)
        except BaseException:
            import traceback

            traceback.print_exc()
            status = 1
        finally:
            os._exit(status)  # never back into the server's loop; no student atexit hook runs

    def _end_child(self) -> None:
        """Kill and reap the child of the moment, then forget it and how it ended: the next child is
        forked from this memory, and an earlier worker's exit status is a channel it chose."""
        if self.child is not None:
            try:
                os.kill(self.child, 9)
            except ProcessLookupError:
                pass
            self._reap(self.child, block=True)
        self._reap(-1, block=False)
        self.child, self.child_status = None, None

    def _reap(self, pid: int, *, block: bool) -> None:
        """Collect ended children (``pid`` -1: any), keeping only how the child of the moment ended."""
        while True:
            try:
                done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
            except ChildProcessError:
                return
            if not done:
                return
            if done == self.child:
                self.child_status = os.waitstatus_to_exitcode(status)
            if pid != -1:
                return

    def _status(self, pid: int) -> int | None:
        """How the child of the moment ended (None while it runs); an earlier child is forgotten."""
        if pid != self.child:
            return None
        if self.child_status is None:
            self._reap(-1, block=False)
        return self.child_status

    def _send(self, message: dict[str, Any], fds: list[int]) -> None:
        socket.send_fds(self.control, [json.dumps(message).encode("ascii")], fds)


def main(argv: list[str]) -> None:
    config = json.loads(argv[1])
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import ctypes

    import worker

    worker.confine_scratch(config)
    worker.prepare_imports(config)
    import numpy.random  # noqa: F401  (each child reseeds it; imported here, not in every child)

    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0)
    control = socket.socket(fileno=int(config["control_fd"]))
    ForkServer(control).serve()


if __name__ == "__main__":
    main(sys.argv)
    os._exit(0)
