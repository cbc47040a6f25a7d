"""Run one piece of grading work in a forked copy of this (warm, trusted) process.

A grading process imports pytest, the reference and the hidden suite, and warms
their caches, once (``autograder.grading.warm``). Each submission is then graded
in a ``fork()`` of it: the child starts with every module exactly as the parent
left it (a suite's module-level generator draws the same numbers for every
student), and whatever the child allocates or changes is gone when it exits, so
one submission can neither slow nor alter the next. Everything the child inherits is moved out of
the cyclic collector's reach first (``gc.freeze``), and back in the parent right after: the child's
full collections then walk only what it allocates itself, not the parent's whole heap (SymPy, pytest,
the suite), which would cost every submission tens of milliseconds and copy pages it never writes.

The child sends its result back pickled through a pipe and leaves with
``os._exit``; both ends are this kit's own code (the submission only ever runs in
the sandbox, which the child starts). The parent waits at most ``timeout_s``, then
kills the child: any failure becomes ``ForkFailed`` with a reason, never a hang.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

EXIT_GRACE_S = 5.0
"""How long a child that has sent its result may take to exit before it is killed."""
CHILD_FAILED = 70
"""The child's exit status when the work raised (its message is sent instead of a result)."""


class ForkFailed(RuntimeError):
    """The forked work gave no result: it raised, died, or ran out of time."""


_in_child = False


def in_fork_child() -> bool:
    """Whether this process is a child made by ``run_in_fork`` (it may run work prepared by its parent)."""
    return _in_child


def can_fork() -> bool:
    """Whether forking is safe here: a POSIX fork and no other Python thread, whose locks the
    child could inherit mid-use (a Dask worker's threads, a progress bar)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def run_in_fork(work: Callable[[], T], *, timeout_s: float, meanwhile: Callable[[], None] | None = None) -> T:
    """``work()`` run in a forked child; its return value, or ``ForkFailed``. ``meanwhile()``
    runs in this process while the child works (it must start no thread and may not raise):
    preparation that later forks start with, off the path of this one's result."""
    read_end, write_end = os.pipe()
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(work, write_end)
    gc.unfreeze()
    os.close(write_end)
    deadline = time.monotonic() + timeout_s
    try:
        if meanwhile is not None:
            meanwhile()
        payload = _read_all(read_end, deadline)
    except BaseException:  # interrupted: leave no child behind
        _reap(pid, time.monotonic())
        raise
    finally:
        os.close(read_end)
    status = _reap(pid, time.monotonic() if payload is None else time.monotonic() + EXIT_GRACE_S)
    if payload is None:
        raise ForkFailed(f"the grading process did not finish within {timeout_s:g} s")
    if not payload:
        raise ForkFailed(f"the grading process died ({_describe(status)})")
    try:
        ok, value = pickle.loads(payload)  # written by _child below, in this kit's own code
    except Exception as err:
        raise ForkFailed(f"the grading process sent a garbled result ({type(err).__name__})") from None
    if not ok:
        raise ForkFailed(str(value))
    return value  # type: ignore[no-any-return]


def _child(work: Callable[[], object], write_end: int) -> None:
    global _in_child
    _in_child = True
    status = 0
    try:
        try:
            message = pickle.dumps((True, work()))
        except BaseException as err:  # noqa: BLE001 - everything is reported to the parent
            message = pickle.dumps((False, f"{type(err).__name__}: {err}"))
            status = CHILD_FAILED
        view = memoryview(message)
        while view:
            view = view[os.write(write_end, view):]
    finally:
        os._exit(status)


def _read_all(fd: int, deadline: float) -> bytes | None:
    """Everything written to ``fd`` until the writer closes it; None if ``deadline`` passes first."""
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap(pid: int, deadline: float) -> int | None:
    """The child's wait status, once it has exited; SIGKILLed first if it is still there at
    ``deadline`` (or if the deadline has already passed)."""
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.002)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return os.waitpid(pid, 0)[1]


def _describe(status: int | None) -> str:
    if status is None:
        return "no exit status"
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.WEXITSTATUS(status)}"
