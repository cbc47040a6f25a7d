"""A submission cannot hold memory past the worker's address-space limit.

RLIMIT_AS counts what a process has mapped. The pages of a memfd or of a SysV
shared-memory segment stay allocated after they are unmapped, so a worker that
fills 251 memfds of 8 MiB (its file-descriptor limit allows that) once held
2 GiB for a whole grading under a 1 GiB limit; SysV segments did the same, and
in the fallback (no IPC namespace) would even outlive the worker. The seccomp
filter now refuses to create either. The honest twin allocates the same kind of
memory with numpy, inside the limit, and still can.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autograder.sandbox import SandboxLimits, SandboxSession, sandbox_kind
from tests.sandbox.test_fallback import fallback  # noqa: F401 - fixture: makes the fallback runnable

MIB = 1024 * 1024
LIMITS = SandboxLimits(call_timeout_s=30.0, import_timeout_s=10.0, memory_bytes=1024 * MIB)

HOARDER = """
import ctypes, os
import numpy as np

FILES = []

def memfds(count, mib):
    chunk = b"x" * (1 << 20)
    held = 0
    try:
        for _ in range(count):
            fd = os.memfd_create("hoard")
            for _ in range(mib):
                os.write(fd, chunk)
            FILES.append(fd)
            held += mib
    except OSError as err:
        return [held, err.errno]
    return [held, 0]

def sysv_segments(count, mib):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    held = 0
    for _ in range(count):
        ident = libc.shmget(0, mib << 20, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
        if ident < 0:
            return [held, ctypes.get_errno()]
        address = libc.shmat(ident, None, 0)
        if address in (None, ctypes.c_void_p(-1).value):
            return [held, ctypes.get_errno()]
        ctypes.memset(address, 1, mib << 20)
        libc.shmdt(ctypes.c_void_p(address))  # unmapped: no longer counted by RLIMIT_AS
        held += mib
    return [held, 0]

def message_queues(count):
    libc = ctypes.CDLL(None, use_errno=True)
    made = 0
    for _ in range(count):
        if libc.msgget(0, 0o1600) < 0:
            return [made, ctypes.get_errno()]
        made += 1
    return [made, 0]

def numpy_block(mib):
    block = np.ones(mib * (1 << 20) // 8)
    return float(block.sum()) * 8 / (1 << 20)
"""


@pytest.fixture(params=["bwrap", "fallback"])
def session(request: pytest.FixtureRequest) -> Iterator[SandboxSession]:
    if request.param == "bwrap":
        if sandbox_kind() != "bwrap":
            pytest.skip("bubblewrap is not usable here")
    else:
        request.getfixturevalue("fallback")
    with SandboxSession(HOARDER, kind=request.param, limits=LIMITS) as hoarder:
        yield hoarder
    assert hoarder.leftover_pids() == []


def test_memfds_cannot_hold_memory_outside_the_limit(session: SandboxSession) -> None:
    held, errno = session.call("memfds", (251, 8))
    assert held == 0 and errno != 0


def test_sysv_shared_memory_cannot_hold_memory_outside_the_limit(session: SandboxSession) -> None:
    held, errno = session.call("sysv_segments", (251, 8))
    assert held == 0 and errno != 0
    made, errno = session.call("message_queues", (1000,))
    assert made == 0 and errno != 0


def test_the_honest_twin_still_gets_its_memory_from_numpy(session: SandboxSession) -> None:
    assert session.call("numpy_block", (256,)) == pytest.approx(256.0)
