"""What student code can SEE and REACH from inside the sandbox.

These guarantees come from bubblewrap (namespaces and a minimal filesystem);
without it they are skipped with the reason. CI installs bubblewrap, so there
they run.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from pathlib import Path

import pytest

from autograder.sandbox import StudentRaised
from autograder.sandbox.bytecode import compiled_name

from .conftest import requires_bwrap

PROJECT_ROOT = Path(__file__).resolve().parents[2]

PROBES = """
    import os, socket, sys

    def read(path):
        with open(path, "rb") as handle:
            return handle.read().decode("latin-1")

    def write(path):
        with open(path, "w") as handle:
            handle.write("owned")
        return os.path.abspath(path)

    def listdir(path):
        return sorted(os.listdir(path))

    def connect(port):
        s = socket.socket()
        s.settimeout(2)
        s.connect(("127.0.0.1", port))
        s.sendall(b"leaked secret")
        return "connected"

    def import_module(name, extra_path=None):
        if extra_path:
            sys.path.insert(0, extra_path)
        __import__(name)
        return name

    def ids():
        return [os.getuid(), os.getgid(), os.getcwd()]

    def numpy_works():
        import numpy as np
        return float(np.linalg.norm(np.ones(4)) + (np.ones((50, 50)) @ np.ones(50)).sum())
"""


def _raises(session, function: str, *args: object) -> StudentRaised:
    with pytest.raises(StudentRaised) as info:
        session.call(function, args)
    return info.value


def test_numpy_works_inside(make_session) -> None:
    assert make_session(PROBES).call("numpy_works") == 2.0 + 2500.0


@requires_bwrap
def test_runs_as_nobody_in_a_private_work_dir(make_session) -> None:
    assert make_session(PROBES).call("ids") == [65534, 65534, "/tmp"]


@requires_bwrap
def test_network_is_unreachable_and_the_listener_hears_nothing(make_session) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    try:
        error = _raises(make_session(PROBES), "connect", listener.getsockname()[1])
        assert error.type in {"ConnectionRefusedError", "OSError", "TimeoutError", "PermissionError"}
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()


@requires_bwrap
def test_files_outside_the_sandbox_are_invisible(make_session, tmp_path: Path) -> None:
    secret_in_tmp = tmp_path / "expected_values.txt"
    secret_in_tmp.write_text("the answers")
    secret_in_project = PROJECT_ROOT / "tests" / "sandbox" / f".hidden_probe_{os.getpid()}.txt"
    secret_in_project.write_text("hidden test")
    try:
        session = make_session(PROBES)
        for path in (secret_in_tmp, secret_in_project, PROJECT_ROOT / "pyproject.toml",
                     Path("/etc/passwd"), Path("/root/.bash_history")):
            assert _raises(session, "read", str(path)).type == "FileNotFoundError", path
    finally:
        secret_in_project.unlink()


@requires_bwrap
def test_only_the_minimal_filesystem_is_visible(make_session, sandbox_start) -> None:
    session = make_session(PROBES)
    top = session.call("listdir", ("/",))
    assert "work" not in top and "etc" not in top and "home" not in top
    # A cold worker reads its program from a file; a warm sandbox's fork server sends it over the pipe.
    own = "submission.json" if sandbox_start == "cold" else "forkserver.py"
    modules = ["scratch.py", "seen.py", "standins.py", "statements.py", "wire.py", "worker.py"]
    assert session.call("listdir", ("/sandbox",)) == sorted(["__pycache__", "site", own, *modules])
    # the kit's modules' bytecode, compiled by the grader (the tests keep a cache), and nothing else
    compiled = [*modules, *([own] if own.endswith(".py") else [])]
    assert session.call("listdir", ("/sandbox/__pycache__",)) == sorted(compiled_name(name) for name in compiled)
    site = session.call("listdir", ("/sandbox/site",))
    assert set(site) <= {"numpy", "numpy.libs", "pyseccomp.py"} and "numpy" in site
    # The base interpreter's own site-packages (scipy, sympy, ...) is masked.
    base_site = os.path.join(sys.base_prefix, "lib", f"python{sys.version_info[0]}.{sys.version_info[1]}",
                             "site-packages")
    assert session.call("listdir", (base_site,)) == []
    # Only this sandbox's processes exist in its /proc.
    assert len([p for p in session.call("listdir", ("/proc",)) if p.isdigit()]) <= 3


@requires_bwrap
@pytest.mark.parametrize("module", ["autograder", "reference", "assignments", "scipy", "sympy", "pytest"])
def test_kit_and_other_packages_cannot_be_imported(make_session, module: str) -> None:
    session = make_session(PROBES)
    assert _raises(session, "import_module", module).type == "ModuleNotFoundError"
    error = _raises(session, "import_module", module, str(PROJECT_ROOT))
    assert error.type == "ModuleNotFoundError"


@requires_bwrap
@pytest.mark.parametrize("path", ["/sandbox/evil.py", "/sandbox/wire.py", "/evil", "/usr/evil",
                                  "/dev/shm/evil", "/dev/evil", "/proc/evil", sys.base_prefix + "/evil"])
def test_writing_outside_the_work_dir_fails(make_session, path: str) -> None:
    error = _raises(make_session(PROBES), "write", path)
    assert error.type in {"OSError", "PermissionError", "FileNotFoundError"}, error


@requires_bwrap
def test_work_dir_is_writable_but_bounded(make_session) -> None:
    session = make_session("""
        import os
        def scratch():
            with open("note.txt", "w") as handle:
                handle.write("ok")
            return open("note.txt").read()
        def fill():
            with open("big.bin", "wb") as handle:
                while True:
                    handle.write(b"x" * (1 << 20))
        def many():
            for i in range(100):
                with open(f"f{i}.bin", "wb") as handle:
                    handle.write(b"x" * (1 << 20))
    """, file_bytes=4 << 20, scratch_bytes=16 << 20)
    assert session.call("scratch") == "ok"
    error = _raises(session, "fill")
    assert error.type == "OSError" and "File too large" in error.message
    error = _raises(session, "many")
    assert error.type == "OSError" and "No space left" in error.message


@requires_bwrap
def test_no_grader_environment_leaks_in(make_session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "s3cr3t")
    session = make_session("import os\ndef env():\n    return dict(os.environ)\n")
    environment = session.call("env")
    assert "GRADER_SECRET_TOKEN" not in environment
    assert environment["OPENBLAS_NUM_THREADS"] == "1"


@requires_bwrap
def test_exec_and_namespace_tricks_are_denied(make_session) -> None:
    session = make_session("""
        import os
        def exec_shell():
            os.execv("/bin/sh", ["sh", "-c", "echo pwned"])
        def unshare():
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            return [libc.unshare(0x10000000), ctypes.get_errno()]  # CLONE_NEWUSER
    """)
    assert _raises(session, "exec_shell").type == "PermissionError"
    assert session.call("unshare") == [-1, errno.EPERM]


HOST_REACH = """
    import ctypes, fcntl, os, socket

    def write_sysctl():
        path = "/proc/sys/kernel/printk_ratelimit"
        with open(path) as handle:
            current = handle.read()
        with open(path, "w") as handle:  # the same value back: harmless if it were allowed
            handle.write(current)

    def write_own_proc():
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("500")

    def semaphore():
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.semget(0x5EED, 1, 0o1666) == -1:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))

    def pair():
        socket.socketpair()

    def signal_owner():
        read_end, _ = os.pipe()
        fcntl.fcntl(read_end, fcntl.F_SETOWN, os.getppid())
"""


@requires_bwrap
@pytest.mark.parametrize("attempt", ["write_sysctl", "write_own_proc"])
def test_proc_is_read_only(make_session, attempt: str) -> None:
    """The sandbox's uid is root outside it when the grader is root: /proc must not take writes
    (host-wide settings under /proc/sys, the fork server's settings)."""
    raised = _raises(make_session(HOST_REACH), attempt)
    assert raised.type in ("OSError", "PermissionError"), raised


@pytest.mark.parametrize("attempt", ["semaphore", "pair", "signal_owner"])
def test_what_would_outlive_the_worker_or_signal_others_is_denied(make_session, attempt: str) -> None:
    raised = _raises(make_session(HOST_REACH), attempt)
    assert raised.type == "PermissionError" and "Operation not permitted" in raised.message, raised
