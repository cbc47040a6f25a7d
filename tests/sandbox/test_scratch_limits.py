"""The sandbox's /tmp holds a bounded number of files, and the worker that sets it up keeps nothing.

bubblewrap's tmpfs takes a size but no inode count: without one, a submission fills /tmp with
millions of empty files (memory outside its limits) and chooses how long a warm sandbox takes to
empty it. ``scratch.confine_scratch`` mounts its own; these tests drive real workers, cold and warm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from autograder.sandbox import SandboxSession, bwrap
from autograder.sandbox.limits import SandboxLimits

from .conftest import FAST_LIMITS, requires_bwrap

pytestmark = requires_bwrap

FILLS_TMP = """
    import os

    def fill(limit):
        made = 0
        try:
            for index in range(limit):
                open(f"/tmp/f{index}", "w").close()
                made += 1
        except OSError as err:
            return {"made": made, "errno": err.errno}
        return {"made": made, "errno": None}

    def listed():
        return len(os.listdir("/tmp"))
"""

PRIVILEGES = """
    import os

    def capabilities():
        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        return {name: int(fields[name].strip(), 16) for name in ("CapEff", "CapPrm", "CapInh", "CapAmb")}

    def uid():
        return os.getuid()

    def writes_proc():
        try:
            with open("/proc/self/oom_score_adj", "w") as handle:
                handle.write("500")
        except OSError as err:
            return err.errno
        return 0

    def remounts_tmp():
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        if libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, b"nr_inodes=0") == 0:
            return 0
        return ctypes.get_errno()
"""


def test_tmp_stops_at_the_inode_limit(make_session: Callable[..., SandboxSession]) -> None:
    limit = FAST_LIMITS.scratch_inodes
    session = make_session(FILLS_TMP)
    outcome = session.call("fill", (limit * 4,))
    assert outcome["errno"] is not None, "a submission made four times the inode limit of files in /tmp"
    assert limit - 8 <= outcome["made"] < limit  # the folder itself is one of the inodes


def test_the_next_worker_gets_an_empty_tmp_it_can_fill_again(
        make_session: Callable[..., SandboxSession]) -> None:
    limit = FAST_LIMITS.scratch_inodes
    make_session(FILLS_TMP).call("fill", (limit * 4,))
    second = make_session(FILLS_TMP)
    assert second.call("listed") == 0
    assert second.call("fill", (limit // 2,)) == {"made": limit // 2, "errno": None}


def test_the_worker_keeps_no_capability_and_its_uid(make_session: Callable[..., SandboxSession]) -> None:
    session = make_session(PRIVILEGES)
    assert session.call("capabilities") == {"CapEff": 0, "CapPrm": 0, "CapInh": 0, "CapAmb": 0}
    assert session.call("uid") == 65534
    assert session.call("writes_proc") != 0, "/proc must be read-only in the sandbox"
    assert session.call("remounts_tmp") != 0, "a submission lifted its own /tmp limit"


@pytest.fixture
def plain_mode() -> Iterator[None]:
    """bwrap as on a host that forbids nested user namespaces: its tmpfs, its read-only /proc."""
    saved = bwrap._scratch_mode
    bwrap._scratch_mode = "plain"
    yield
    bwrap._scratch_mode = saved


def test_plain_mode_still_gives_a_read_only_proc(plain_mode: None) -> None:
    limits = SandboxLimits(call_timeout_s=5.0, import_timeout_s=10.0)
    assert bwrap.scratch_config(limits) is None
    with SandboxSession(PRIVILEGES.replace("\n    ", "\n").strip() + "\n", limits=limits, kind="bwrap") as session:
        session.start()
        assert session.call("writes_proc") != 0
        assert session.call("capabilities")["CapEff"] == 0


def test_the_self_test_falls_back_to_plain_mode_when_nested_namespaces_fail(
        monkeypatch: pytest.MonkeyPatch, plain_mode: None) -> None:
    monkeypatch.setattr(bwrap, "_probe", lambda mode: "denied" if mode == "confined" else None)
    bwrap.bwrap_self_test.cache_clear()
    try:
        assert bwrap.bwrap_self_test() is None
        assert bwrap.scratch_mode() == "plain"
        argv = bwrap.bwrap_argv(bwrap.host_paths(), [], SandboxLimits())
        assert "/proc" in [argv[i + 1] for i, arg in enumerate(argv) if arg == "--remount-ro"]
    finally:
        bwrap.bwrap_self_test.cache_clear()
