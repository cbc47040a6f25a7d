"""``autograder check FILE`` starts FILE's worker before anything else loads and runs the check
with it, without the CLI's parser, reporting exactly as the CLI does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.grading import early
from autograder.grading.early import CheckRequest, check_request, prestart_check, sandbox_limits
from tests.sandbox.conftest import requires_bwrap

COURSE = Path(__file__).resolve().parents[2] / "assignments"


@pytest.mark.parametrize(("argv", "expected"), [
    (["check", "a.py"], CheckRequest(Path("a.py"), None, None, "auto")),
    (["--course", "c", "check", "--assignment", "x", "a.py"], CheckRequest(Path("a.py"), "x", Path("c"), "auto")),
    (["--course=c", "check", "a.py", "--isolation=sandbox"], CheckRequest(Path("a.py"), None, Path("c"), "sandbox")),
])
def test_the_plain_shapes_of_check_are_read(argv: list[str], expected: CheckRequest) -> None:
    assert check_request(argv) == expected


@pytest.mark.parametrize("argv", [
    [], ["check"], ["grade", "a.py"], ["--version"], ["check", "--help"], ["check", "a.py", "b.py"],
    ["check", "--isolation", "none", "a.py"], ["check", "answers.toml"], ["check", "--unknown", "a.py"],
    ["--course"], ["check", "--assignment"], ["-h", "check", "a.py"],
])
def test_anything_else_is_left_to_the_cli(argv: list[str]) -> None:
    assert check_request(argv) is None


def test_nothing_starts_for_a_file_the_cli_will_refuse(tmp_path: Path) -> None:
    assert prestart_check(["--course", str(COURSE), "check", str(tmp_path / "missing.py")]) is None


def _solution_file(tmp_path: Path, change: tuple[str, str] | None = None) -> Path:
    source = (COURSE / "activations" / "source.py").read_text(encoding="utf-8")
    if change is not None:
        assert change[0] in source
        source = source.replace(*change)
    file = tmp_path / "activations.py"
    file.write_text(source, encoding="utf-8")
    return file


@requires_bwrap
def test_the_worker_started_is_the_files_own(tmp_path: Path) -> None:
    file = _solution_file(tmp_path)
    prestarted = prestart_check(["--course", str(COURSE), "check", str(file)])
    assert prestarted is not None
    try:
        assert prestarted.request == CheckRequest(file, None, COURSE, "auto")
        assert prestarted.assignment.id == "activations"
        assert prestarted.started.submission.source == file.read_text(encoding="utf-8")
    finally:
        prestarted.started.worker.kill()


WRONG_RELU_PRIME = ("return np.where(x > 0, 1.0, 0.0)", "return np.where(x >= 0, 1.0, 0.0)")
"""relu'(0) = 1: a mistake the public suite catches."""


@requires_bwrap
@pytest.mark.parametrize("change", [None, WRONG_RELU_PRIME], ids=["solution", "relu-prime-at-zero"])
def test_the_commands_own_start_reports_as_the_cli_does(tmp_path: Path, change: tuple[str, str] | None) -> None:
    """``python -m autograder check FILE`` runs without the CLI's parser; what it prints and its
    exit status are the CLI's own for the same file."""
    file = _solution_file(tmp_path, change)
    own = subprocess.run([sys.executable, "-m", "autograder", "--course", str(COURSE), "check", str(file)],
                         capture_output=True, text=True, timeout=120, check=False)
    cli = CliRunner().invoke(main, ["--course", str(COURSE), "check", str(file)])
    assert own.returncode == cli.exit_code == (0 if change is None else 1), own.stderr
    assert own.stdout == cli.output and own.stderr == ""
    assert ("all public tests pass" in own.stdout) == (change is None)


def _course_with_limits(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    course = tmp_path / "course"
    shutil.copytree(COURSE / "activations", course / "activations")
    manifest = course / "activations" / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    manifest.write_text(text, encoding="utf-8")
    return course


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@requires_bwrap
def test_a_manifest_with_its_own_limits_gets_a_worker_started_with_them(tmp_path: Path) -> None:
    """The worker starts with the default limits before the manifest is read; one whose manifest
    asks for others is started again with those."""
    course = _course_with_limits(tmp_path, ("memory_mb = 1024", "memory_mb = 900"),
                                 ("call_timeout_s = 5.0", "call_timeout_s = 4.0"))
    file = _solution_file(tmp_path)
    prestarted = prestart_check(["--course", str(course), "check", str(file)])
    assert prestarted is not None
    try:
        assert prestarted.started.limits == sandbox_limits(prestarted.assignment.limits)
        assert prestarted.started.limits.memory_bytes == 900 * 1024 * 1024
        assert prestarted.started.limits.call_timeout_s == pytest.approx(4.0)
    finally:
        prestarted.started.worker.kill()
    shown = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course), "check", str(file)],
                           capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 0 and "all public tests pass" in shown.stdout, shown.stdout + shown.stderr


@requires_bwrap
def test_a_file_that_cannot_be_read_leaves_no_worker_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[int] = []
    start = early._start_unloaded

    def watched(file: Path) -> early._Unloaded:
        unloaded = start(file)
        started.append(unloaded.worker.pid)
        return unloaded

    monkeypatch.setattr(early, "_start_unloaded", watched)
    notebook = tmp_path / "activations.ipynb"
    notebook.write_text("{ not a notebook", encoding="utf-8")
    assert prestart_check(["--course", str(COURSE), "check", str(notebook)]) is None
    assert len(started) == 1
    deadline = time.monotonic() + 5
    while _alive(started[0]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(started[0])


def test_blas_threads_are_told_to_sleep_before_numpy_loads(tmp_path: Path) -> None:
    """Sending the program loads numpy: OpenBLAS's idle threads must already be told to sleep, or
    they spin on the core the sandboxed worker starts on."""
    program = ("import os, sys\n"
               "from autograder.grading.early import prestart_check\n"
               f"prestart_check(['check', {str(tmp_path / 'missing.py')!r}])\n"
               "from autograder.shortlived import BLAS_TIMEOUT_ENV\n"
               "print(os.environ.get(BLAS_TIMEOUT_ENV), 'numpy' in sys.modules)\n")
    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_THREAD_TIMEOUT"}
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.split() == ["4", "False"]
