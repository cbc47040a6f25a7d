"""The no-bubblewrap fallback: same limits and seccomp filter, uid 65534 when root.

On a machine whose only Python lives under a private /root, uid 65534 cannot
execute it; the fallback then refuses to run (tested below), and these tests
borrow a world-readable interpreter of the same version (e.g. Debian's
/usr/bin/python3.X) to exercise the fallback path anyway.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import sys

import numpy as np
import pytest

from autograder.sandbox import (
    CallTimedOut,
    SandboxSession,
    SandboxUnavailable,
    StudentRaised,
    WorkerDied,
    launcher,
)
from autograder.sandbox.fallback import reachable_by_nobody
from autograder.sandbox.host import host_paths


def _usable_interpreter() -> str | None:
    """An interpreter uid 65534 can run (or the grader's own when not root)."""
    host = host_paths()
    if os.geteuid() != 0 or reachable_by_nobody(host.interpreter):
        return host.interpreter
    candidate = f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}"
    if os.path.exists(candidate) and reachable_by_nobody(os.path.realpath(candidate)):
        return os.path.realpath(candidate)
    return None


@pytest.fixture
def fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the fallback runnable here, or skip."""
    interpreter = _usable_interpreter()
    host = host_paths()
    if interpreter is None or (os.geteuid() == 0 and not all(
            reachable_by_nobody(p) for p in host.site_entries)):
        pytest.skip("no interpreter/site-packages that uid 65534 can read; fallback cannot run here")
    patched = dataclasses.replace(host, interpreter=interpreter)
    monkeypatch.setattr(launcher, "host_paths", lambda: patched)  # what start_worker reads


SOURCE = """
import os, sys
import numpy as np
print("imported")
def ids():
    return [os.getuid(), os.getgid(), os.getgroups()]
def norm(x):
    return float(np.linalg.norm(x))
def forks():
    try:
        os.fork()
    except OSError as err:
        return err.errno
    os._exit(0)
def crash():
    os._exit(5)
def net():
    import socket
    try:
        socket.socket()
    except OSError as err:
        return err.errno
    return "socket created"
def spin():
    while True:
        pass
def alloc():
    return np.ones(64 * 1024**3, dtype=np.uint8)
"""


def test_fallback_runs_the_submission_with_the_same_guards(fallback: None) -> None:
    with SandboxSession(SOURCE, kind="fallback") as session:
        assert session.kind == "fallback" and session.loaded.ok
        assert session.call("norm", (np.array([3.0, 4.0]),)) == 5.0
        if os.geteuid() == 0:
            assert session.call("ids") == [65534, 65534, []]
        assert session.call("forks") == errno.EPERM
        assert session.call("net") == errno.EPERM  # the only network barrier in the fallback
        with pytest.raises(StudentRaised, match="MemoryError"):
            session.call("alloc")
        with pytest.raises(WorkerDied, match="status 5"):
            session.call("crash")
        with pytest.raises(CallTimedOut):
            session.call("spin", timeout=0.5)
        assert session.call("norm", ([0.0, 2.0],)) == 2.0
        assert session.captured_output().stdout.startswith("imported\n")
    assert session.leftover_pids() == []


def test_fallback_refuses_an_interpreter_nobody_can_run() -> None:
    host = host_paths()
    if os.geteuid() != 0 or reachable_by_nobody(host.interpreter):
        pytest.skip("the base interpreter is readable by uid 65534 here")
    with pytest.raises(SandboxUnavailable, match="cannot read"):
        SandboxSession("x = 1", kind="fallback").start()
