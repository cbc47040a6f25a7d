"""A warm sandbox hands each submission a fresh worker, and nothing of one reaches the next.

Every test in this folder that uses ``make_session`` also runs with workers forked by a warm
sandbox (the ``sandbox_start`` fixture); these are the guarantees only a shared sandbox needs.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator

import pytest

from autograder.sandbox import SandboxSession, StudentRaised, WorkerDied, warm_sandbox
from autograder.sandbox.warm_sandbox import (
    end_ahead,
    start_ahead,
    start_warm_sandbox,
    stop_warm_sandbox,
    take_ahead,
    warm_sandbox_for,
    warm_sandbox_greeted,
)

from .conftest import FAST_LIMITS, requires_bwrap, source

pytestmark = requires_bwrap

LEAVES_TRACES = source("""
    import os
    os.environ["LEFT_BY"] = "alice"
    with open("/tmp/answers.txt", "w") as handle:
        handle.write("alice's answers")
    os.makedirs("/tmp/deep/er")
    with open("/tmp/deep/er/file", "w") as handle:
        handle.write("x")
    os.chmod("/tmp/deep/er", 0)
    os.chmod("/tmp/deep", 0)
    os.mkfifo("/tmp/pipe")
    os.setxattr("/tmp", "user.note", b"alice was here")
    os.utime("/tmp", (123456, 123456))
    os.chmod("/tmp", 0o777)
    print("alice printed this")

    def done():
        return True
""")

LOOKS_AROUND = source("""
    import os

    def look():
        status = os.stat("/tmp")
        return {"files": sorted(os.listdir("/tmp")), "xattrs": os.listxattr("/tmp"),
                "times": [status.st_atime, status.st_mtime], "mode": status.st_mode,
                "env": os.environ.get("LEFT_BY"), "pid": os.getpid(),
                "namespace": os.readlink("/proc/self/ns/pid")}
""")

REACHES_OUT = source("""
    import os, resource, signal

    def attempts():
        server = os.getppid()
        tries = {
            "kill everything": lambda: os.kill(-1, signal.SIGKILL),
            "kill the server": lambda: os.kill(server, signal.SIGKILL),
            "stop the group": lambda: os.kill(0, signal.SIGSTOP),
            "signal it through a pidfd": lambda: signal.pidfd_send_signal(os.pidfd_open(server), signal.SIGKILL),
            "lower the server's limits": lambda: resource.prlimit(server, resource.RLIMIT_NOFILE, (4, 4)),
            "renice the server": lambda: os.setpriority(os.PRIO_PROCESS, server, 19),
            "pin the server": lambda: os.sched_setaffinity(server, {0}),
            "read the server's memory": lambda: open(f"/proc/{server}/mem", "rb"),
            "read the server's environment": lambda: open(f"/proc/{server}/environ", "rb").read(),
            "fork": os.fork,
        }
        refused = {}
        for name, attempt in tries.items():
            try:
                attempt()
            except (PermissionError, ProcessLookupError):
                refused[name] = True
            except OSError as err:
                refused[name] = f"{type(err).__name__}: {err}"
            else:
                refused[name] = False
        return refused
""")


@pytest.fixture
def warm() -> Iterator[None]:
    start_warm_sandbox(FAST_LIMITS)
    assert warm_sandbox_greeted() and warm_sandbox_for(FAST_LIMITS) is not None
    yield
    stop_warm_sandbox()


def _look() -> dict[str, object]:
    with SandboxSession(LOOKS_AROUND, limits=FAST_LIMITS) as session:
        seen = session.call("look")
        assert session.captured_output().stdout == ""
    return seen  # type: ignore[no-any-return]


def test_the_next_submission_finds_a_fresh_tmp_and_process(warm: None) -> None:
    before = _look()
    with SandboxSession(LEAVES_TRACES, limits=FAST_LIMITS) as session:
        assert session.call("done") is True
        assert "alice printed this" in session.captured_output().stdout
    after = _look()
    assert after["files"] == [] and after["xattrs"] == [] and after["env"] is None
    assert after["mode"] == before["mode"] and after["times"] == before["times"]
    # The same warm sandbox forked it: a new process in the same PID namespace.
    assert after["namespace"] == before["namespace"] and after["pid"] != before["pid"]


def test_a_worker_can_neither_signal_nor_alter_the_server(warm: None) -> None:
    first = _look()
    with SandboxSession(REACHES_OUT, limits=FAST_LIMITS) as session:
        refused = session.call("attempts")
    assert refused == {name: True for name in refused}, refused
    assert _look()["namespace"] == first["namespace"]  # still the same server
    assert warm_sandbox_for(FAST_LIMITS) is not None


def test_limits_hold_in_a_forked_worker(warm: None) -> None:
    hog = source("""
        def allocate():
            return len(bytearray(2 * 1024 ** 3))
    """)
    with SandboxSession(hog, limits=FAST_LIMITS) as session:
        with pytest.raises(StudentRaised) as raised:
            session.call("allocate")
    assert raised.value.type == "MemoryError"


def test_two_sessions_open_at_once_each_keep_their_worker(warm: None) -> None:
    with SandboxSession(LOOKS_AROUND, limits=FAST_LIMITS) as first, \
            SandboxSession(LOOKS_AROUND, limits=FAST_LIMITS) as second:
        one, two = first.call("look"), second.call("look")
        assert first.call("look")["pid"] == one["pid"]  # the second did not end the first's worker
    assert one["namespace"] != two["namespace"]  # the second started cold, in a sandbox of its own


def test_a_dead_server_means_cold_workers_not_failures(warm: None) -> None:
    sandbox = warm_sandbox_for(FAST_LIMITS)
    assert sandbox is not None
    os.killpg(sandbox._popen.pid, signal.SIGKILL)
    sandbox._popen.wait()
    assert warm_sandbox_for(FAST_LIMITS) is None
    seen = _look()
    assert seen["files"] == [] and seen["env"] is None


def test_a_stale_worker_is_ended_before_the_next_is_forked(warm: None) -> None:
    """A grading fork that was killed leaves its worker running; the next spawn ends it first."""
    sandbox = warm_sandbox_for(FAST_LIMITS)
    assert sandbox is not None
    abandoned = SandboxSession(LOOKS_AROUND, limits=FAST_LIMITS)
    abandoned.start()
    stale_pid = abandoned.worker_pids()[0]
    sandbox._latest = None  # as in a new grading fork, which knows nothing of that worker
    _look()
    assert not os.path.exists(f"/proc/{stale_pid}") or open(f"/proc/{stale_pid}/stat").read().split()[2] in "ZX"
    abandoned.close()


def test_emptying_tmp_removes_what_a_child_locked_and_gives_up_when_slow(tmp_path) -> None:
    from autograder.sandbox.forkserver import _empty

    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "file").write_text("x")
    (tmp_path / "deep" / "er").chmod(0)
    (tmp_path / "deep").chmod(0)
    os.setxattr(tmp_path, "user.note", b"left")
    _empty(str(tmp_path), 0o755, seconds=5.0)
    assert list(tmp_path.iterdir()) == [] and os.listxattr(tmp_path) == []
    assert tmp_path.stat().st_mtime == 0 and tmp_path.stat().st_mode & 0o7777 == 0o755

    for index in range(300):
        (tmp_path / f"f{index}").touch()
    with pytest.raises(RuntimeError, match="took longer"):
        _empty(str(tmp_path), 0o755, seconds=0.0)


def test_a_warm_sandbox_that_cannot_start_leaves_workers_cold(monkeypatch) -> None:
    from autograder.sandbox import SandboxUnavailable, warm_sandbox

    starts: list[int] = []

    def failing_argv(*args: object, **options: object) -> list[str]:
        starts.append(1)
        return ["/bin/false"]

    monkeypatch.setattr(warm_sandbox, "bwrap_argv", failing_argv)
    monkeypatch.setattr(warm_sandbox, "_failed_starts", 0)
    for _ in range(warm_sandbox.MAX_FAILED_STARTS):
        start_warm_sandbox(FAST_LIMITS)  # started: its hello is awaited later
        assert not warm_sandbox_greeted()  # it never says hello: a failed start, stopped
        assert warm_sandbox_for(FAST_LIMITS) is None
    for _ in range(2):
        with pytest.raises(SandboxUnavailable):
            start_warm_sandbox(FAST_LIMITS)
    assert len(starts) == warm_sandbox.MAX_FAILED_STARTS  # then it stops trying
    assert warm_sandbox_for(FAST_LIMITS) is None
    assert _look()["files"] == []  # a cold worker


SIGNALS_BY_EXIT = source("""
    import os

    def crash(code):
        os._exit(code)
""")

READS_THE_SERVERS_MEMORY = source("""
    import gc

    def earlier_exits():
        found = []
        for obj in gc.get_objects():
            try:
                if type(obj).__name__ == "ForkServer":
                    found.append(sorted(v for v in vars(obj).get("ended", {}).values()))
                elif isinstance(obj, dict) and obj and all(type(k) is int and type(v) is int
                                                           for k, v in obj.items()):
                    found.append(sorted(obj.values()))
            except Exception:
                continue
        return found
""")


def test_a_worker_finds_nothing_of_the_earlier_workers_exits(warm: None) -> None:
    """Exit statuses are a channel: a submission that crashes its worker on purpose with chosen codes
    must not leave them where the next submission's worker, forked from the same server, can read."""
    message = [ord(c) for c in "HI!"]
    with SandboxSession(SIGNALS_BY_EXIT, limits=FAST_LIMITS) as session:
        for code in message:
            with pytest.raises(WorkerDied, match=f"status {code}"):
                session.call("crash", [code])
    with SandboxSession(READS_THE_SERVERS_MEMORY, limits=FAST_LIMITS) as session:
        found = session.call("earlier_exits")
    assert not any(set(message) <= set(values) for values in found), found


def _take_one_ahead(others: list[int]) -> dict[str, object]:
    """In a forked child: take a sandbox started ahead, and say which (its PID namespace, through a
    worker it forks), and whether this child still holds the control sockets ``others`` had."""
    took = take_ahead()
    held = []
    for fd in others:
        try:
            os.fstat(fd)
            held.append(fd)
        except OSError:
            pass
    mine = warm_sandbox._current
    namespace = _look()["namespace"] if took else None
    return {"took": took, "namespace": namespace, "held": held,
            "control": mine._control.fileno() if took and mine is not None else None}


def _in_child(work: object) -> dict[str, object]:
    """``work()`` run in a forked child, its answer sent back as JSON."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        try:
            answer = json.dumps(work())  # type: ignore[operator]
        except BaseException as err:  # noqa: BLE001 - reported to the test
            answer = json.dumps({"error": repr(err)})
        os.write(write, answer.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = json.loads(pipe.read())
    os.waitpid(pid, 0)
    assert "error" not in answer, answer
    return answer  # type: ignore[no-any-return]


@pytest.mark.parametrize("counts", [(2,), (1, 2), (1, 1, 2, 2)], ids=["at-once", "topped-up", "repeated"])
def test_processes_forked_after_sandboxes_start_ahead_each_take_a_different_one(counts: tuple[int, ...]) -> None:
    """A batch starts its pool's sandboxes before its pool exists (all at once, or the first while
    its grading code loads and the others just before its pool forks; a call asking for no more
    than are started starts none): each pool process takes one, no two the same, each lets go of
    the others' control sockets, and the batch ends them all."""
    stop_warm_sandbox()
    for count in counts:
        start_ahead(FAST_LIMITS, count)
    started = list(warm_sandbox._ahead)
    try:
        assert len(started) == 2 and warm_sandbox._current is None  # not this process's own
        controls = [sandbox._control.fileno() for sandbox in started]
        first, second, third = (_in_child(lambda: _take_one_ahead(controls)) for _ in range(3))
    finally:
        end_ahead()
    assert first["took"] and second["took"] and not third["took"]
    assert first["namespace"] != second["namespace"]  # two sandboxes, one each
    for child in (first, second):  # only its own control socket stays open in it
        assert child["held"] == [child["control"]]
    assert third["held"] == []
    assert warm_sandbox._ahead == [] and warm_sandbox._claims == -1
    for sandbox in started:  # ended and reaped by the process that started them
        assert sandbox._popen.returncode is not None
        assert not os.path.exists(f"/proc/{sandbox._popen.pid}")


def test_a_pool_larger_than_a_byte_can_name_starts_the_rest_of_its_sandboxes_itself(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``grade --jobs 300``: the claims are one byte each, so at most ``MAX_AHEAD`` sandboxes start
    ahead, and the batch goes on (the other pool processes find none left and start their own)."""

    class Stand:
        def close(self) -> None:
            pass

    monkeypatch.setattr(warm_sandbox.WarmSandbox, "start", classmethod(lambda cls, limits: Stand()))
    try:
        start_ahead(FAST_LIMITS, warm_sandbox.MAX_AHEAD + 44)
        assert len(warm_sandbox._ahead) == warm_sandbox.MAX_AHEAD
    finally:
        end_ahead()
    assert warm_sandbox._ahead == [] and warm_sandbox._claims == -1
