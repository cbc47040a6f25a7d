"""``check`` where no sandbox can run: macOS, Windows, a Linux without pyseccomp or bubblewrap.

CI runs on Linux, so these tests stand in for the other systems: ``sys.platform`` reported as
``darwin`` and ``win32`` where the kit branches on it, the own-machine worker started with
multiprocessing's ``spawn`` (never ``fork``), Windows' socket-only channel and unpolled output
drains forced on, and whole ``autograder check`` and ``pytest`` runs in a release folder with
``bwrap`` off the PATH and pyseccomp (and fcntl, resource, termios, ``select.poll``: what Windows
lacks) made unimportable by a ``sitecustomize``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from autograder.assignment import get_assignment
from autograder.release import release_assignment
from autograder.sandbox import (
    CallTimedOut,
    FunctionDisabled,
    SandboxLimits,
    SandboxSession,
    StudentRaised,
    own_machine,
    wire,
)
from autograder.sandbox.isolation import OWN_MACHINE_NOTE, sandbox_missing

SAMPLES = Path(__file__).resolve().parents[2] / "assignments" / "activations" / "samples"
FAST = SandboxLimits(call_timeout_s=2.0, import_timeout_s=10.0)
SOURCE = """
import numpy as np
import matplotlib.pyplot as plt
print("loading")
def double(x):
    plt.plot(x)
    plt.show()
    return np.asarray(x, dtype=float) * 2
def hang():
    while True:
        pass
def grow(n):
    return np.ones(int(n)).sum()
"""
NO_SANDBOX_SHIM = 'import sys\nsys.modules["pyseccomp"] = None\n'
WINDOWS_LIKE_SHIM = ('import select, sys\nfor name in ("fcntl", "resource", "termios", "pyseccomp"):\n'
                     '    sys.modules[name] = None\ndel select.poll\n')


# ------------------------------------------------------------------ which isolation


@pytest.mark.parametrize(("platform", "name"), [("darwin", "macOS"), ("win32", "Windows")])
def test_no_sandbox_off_linux(monkeypatch: pytest.MonkeyPatch, platform: str, name: str) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    assert sandbox_missing() == f"the sandbox needs Linux, and this is {name}"


def test_no_sandbox_without_pyseccomp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setitem(sys.modules, "pyseccomp", None)
    assert "pip install pyseccomp" in sandbox_missing()


# ------------------------------------------------------------------ the own-machine worker


@pytest.fixture
def no_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting the worker must not fork this process (spawn only, as on macOS and Windows)."""
    def refuse() -> int:
        raise AssertionError("the own-machine worker forked the grader")
    monkeypatch.setattr(os, "fork", refuse)


@pytest.fixture
def session(no_fork: None) -> Iterator[SandboxSession]:
    with SandboxSession(SOURCE, filename="student.py", kind="none", limits=FAST) as started:
        yield started
    assert started.leftover_pids() == []


def test_calls_cross_the_same_wire(session: SandboxSession) -> None:
    value = session.call("double", (np.arange(3),))
    assert type(value) is np.ndarray
    np.testing.assert_allclose(value, np.arange(3) * 2.0)
    assert session.kind == "none"


def test_a_hang_costs_that_call_only(session: SandboxSession) -> None:
    with pytest.raises(CallTimedOut):
        session.call("hang")
    with pytest.raises(FunctionDisabled):
        session.call("hang")
    np.testing.assert_allclose(session.call("double", (1.5,)), 3.0)  # a fresh worker took over


def test_prints_are_kept_not_shown(session: SandboxSession) -> None:
    session.call("double", (1.0,))
    assert session.captured_output().stdout == "loading\n"


def test_memory_is_capped_where_the_system_allows(no_fork: None) -> None:
    limits = SandboxLimits(call_timeout_s=10.0, memory_bytes=600 * 1024 * 1024)
    with SandboxSession(SOURCE, kind="none", limits=limits) as capped:
        assert capped.call("grow", (1e6,)) > 0
        with pytest.raises(StudentRaised, match="MemoryError"):
            capped.call("grow", (2e8,))  # 1.6 GB


@pytest.fixture
def windows_like(monkeypatch: pytest.MonkeyPatch) -> None:
    """What differs on Windows: sockets waited on with select and read with recv, output drained
    without polling, Python's streams redirected instead of fds 1 and 2, no rlimits."""
    monkeypatch.setattr(wire, "SOCKETS_ONLY", True)
    monkeypatch.setattr(own_machine, "_on_windows", lambda: True)


def test_windows_channel_and_streams(windows_like: None, session: SandboxSession) -> None:
    np.testing.assert_allclose(session.call("double", ([1.0, 2.0],)), [2.0, 4.0])
    with pytest.raises(CallTimedOut):
        session.call("hang")
    np.testing.assert_allclose(session.call("double", (0.5,)), 1.0)
    assert session.captured_output().stdout.startswith("loading\n")


def test_windows_has_no_memory_cap(windows_like: None, no_fork: None) -> None:
    limits = SandboxLimits(call_timeout_s=10.0, memory_bytes=600 * 1024 * 1024)
    with SandboxSession(SOURCE, kind="none", limits=limits) as uncapped:
        assert uncapped.call("grow", (1e8,)) == pytest.approx(1e8)  # 800 MB: past the cap it does not have


# ------------------------------------------------------------------ whole runs, no sandbox on the machine


@pytest.fixture(scope="module")
def release_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release_assignment(get_assignment("activations"), tmp_path_factory.mktemp("release")).folder


@pytest.fixture(scope="module")
def submissions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A correct file, a partly wrong one and one whose relu hangs, each as activations.py."""
    correct = (SAMPLES / "correct.py").read_text()
    hanging = correct.replace("def relu(x):\n", "def relu(x):\n    while True:\n        pass\n", 1)
    assert hanging != correct
    files = {"correct": correct, "partial": (SAMPLES / "partial.py").read_text(), "hanging": hanging}
    paths = {}
    for name, text in files.items():
        folder = tmp_path_factory.mktemp(name)
        (folder / "activations.py").write_text(text)
        paths[name] = folder / "activations.py"
    return paths


def _run(args: list[str], cwd: Path, shim: str | None, tmp: Path,
         isolation_env: str | None = None) -> subprocess.CompletedProcess[str]:
    """``args`` in a fresh process: with ``shim``, as ``sitecustomize``, and a PATH without bwrap;
    ``isolation_env``: a value of AUTOGRADER_ISOLATION left in the environment."""
    env = {key: value for key, value in os.environ.items() if key not in ("AUTOGRADER_ISOLATION", "PYTHONPATH")}
    if isolation_env is not None:
        env["AUTOGRADER_ISOLATION"] = isolation_env
    if shim is not None:
        (tmp / "shim").mkdir(exist_ok=True)
        (tmp / "shim" / "sitecustomize.py").write_text(shim)
        env["PYTHONPATH"] = str(tmp / "shim")
        env["PATH"] = os.path.dirname(sys.executable)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _check(file: Path, cwd: Path, shim: str | None, tmp: Path) -> tuple[int, list[str]]:
    done = _run(["-m", "autograder", "check", str(file)], cwd, shim, tmp)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout.splitlines()


@pytest.mark.slow
@pytest.mark.parametrize("shim", [NO_SANDBOX_SHIM, WINDOWS_LIKE_SHIM], ids=["no-pyseccomp", "windows-like"])
def test_check_without_a_sandbox_matches_the_sandbox(release_folder: Path, submissions: dict[str, Path],
                                                     shim: str, tmp_path: Path) -> None:
    if sandbox_missing():
        pytest.skip(f"no sandbox here to compare with: {sandbox_missing()}")
    for name, file in submissions.items():
        status, lines = _check(file, release_folder, None, tmp_path)
        own_status, own_lines = _check(file, release_folder, shim, tmp_path)
        assert OWN_MACHINE_NOTE not in lines
        assert own_lines.count(OWN_MACHINE_NOTE) == 1, own_lines
        assert [line for line in own_lines if line != OWN_MACHINE_NOTE] == lines, name
        assert own_status == status == (0 if name == "correct" else 1), name
    assert any("did not return within" in line for line in lines)  # the hanging file's last run


@pytest.mark.slow
def test_grade_without_a_sandbox_refuses_in_one_line(tmp_path: Path) -> None:
    done = _run(["-m", "autograder", "grade", "--assignment", "activations", "--out", str(tmp_path / "graded"),
                 str(SAMPLES / "correct.py")], Path.cwd(), NO_SANDBOX_SHIM, tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert "pyseccomp" in done.stderr and "--isolation none" in done.stderr
    assert not (tmp_path / "graded").exists()


@pytest.mark.slow
def test_release_pytest_route_without_a_sandbox(release_folder: Path, submissions: dict[str, Path],
                                               tmp_path: Path) -> None:
    done = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "--submission", str(submissions["correct"]),
                 "tests"], release_folder, NO_SANDBOX_SHIM, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert OWN_MACHINE_NOTE in done.stdout


def test_release_readme_says_how_on_each_system(release_folder: Path) -> None:
    readme = (release_folder / "README.md").read_text()
    wheel = next((release_folder / "wheels").glob("*.whl")).name
    assert "WSL" not in readme
    for system in ("**Linux**", "**macOS**", "**Windows**"):
        assert system in readme
    assert f"python3 -m pip install wheels/{wheel}\n" in readme
    assert f"py -m pip install wheels\\{wheel}\n" in readme  # a Windows path, the py launcher
    assert "py -m autograder check activations.py" in readme
    assert OWN_MACHINE_NOTE in readme
    # The memory limit, per system: the own-machine worker sets RLIMIT_AS where ``resource`` exists
    # (Linux, macOS, which does not enforce it) and nothing on Windows; no sentence says otherwise.
    assert "the memory limit holds on Linux, macOS does not enforce it and Windows gets none" in readme
    memory_mb = get_assignment("activations").limits.memory_mb
    assert f"the grader limits memory to {memory_mb} MB, and so does `check` on Linux" in readme
    assert "on Windows `check` sets none" in readme
    assert "memory is limited to" not in readme


@pytest.mark.parametrize("route", [["--executor", "dask"], ["--scheduler", "tcp://127.0.0.1:1"]],
                         ids=["executor", "scheduler"])
def test_grade_without_a_sandbox_stays_off_dask(tmp_path: Path, route: list[str]) -> None:
    """A cluster's workers do not see this machine's ``--isolation none``: one line, nothing graded."""
    done = _run(["-m", "autograder", "grade", "--assignment", "activations", "--out", str(tmp_path / "graded"),
                 "--isolation", "none", *route, str(SAMPLES / "correct.py")], Path.cwd(), None, tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert "--isolation none" in done.stderr and "Dask" in done.stderr
    assert not (tmp_path / "graded").exists()


@pytest.mark.slow
def test_validate_without_a_sandbox_on_request(tmp_path: Path) -> None:
    """The instructor's own files, where no sandbox can run: validated as you, said in one line."""
    args = ["-m", "autograder", "validate", "--assignment", "activations", "--quick"]
    refused = _run(args, Path.cwd(), NO_SANDBOX_SHIM, tmp_path)
    assert refused.returncode == 2 and refused.stderr.startswith("error: "), refused.stderr
    assert "--isolation none" in refused.stderr
    done = _run([*args, "--isolation", "none"], Path.cwd(), NO_SANDBOX_SHIM, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "isolation: none" in done.stderr
    assert "solution 100/100, stub 0/100" in done.stdout


def test_validate_without_a_sandbox_records_no_timing(tmp_path: Path) -> None:
    done = _run(["-m", "autograder", "validate", "--assignment", "activations", "--quick", "--record-timing",
                 "--isolation", "none"], Path.cwd(), None, tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert "--record-timing" in done.stderr


def test_nbgrader_grade_never_without_a_sandbox(tmp_path: Path) -> None:
    """Students' notebooks through nbgrader: no sandbox here is one line, even with
    AUTOGRADER_ISOLATION=none left in the environment."""
    (tmp_path / "course").mkdir()
    done = _run(["-m", "autograder", "nbgrader", "grade", str(tmp_path / "course"), "--assignment", "activations"],
                Path.cwd(), NO_SANDBOX_SHIM, tmp_path, isolation_env="none")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert "pyseccomp" in done.stderr
