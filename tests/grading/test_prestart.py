"""``autograder check FILE`` starts FILE's worker before the CLI loads, and hands it over only to
the check it was started for."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from autograder.grading import early
from autograder.grading.early import CheckRequest, check_request, prestart_check, take_prestarted
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
    prestart_check(["--course", str(COURSE), "check", str(tmp_path / "missing.py")])
    assert early._prestarted is None


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@requires_bwrap
def test_the_worker_goes_only_to_the_check_it_was_started_for(tmp_path: Path) -> None:
    solution = COURSE / "activations" / "source.py"
    file = tmp_path / "activations.py"
    file.write_text(solution.read_text(encoding="utf-8"), encoding="utf-8")
    argv = ["--course", str(COURSE), "check", str(file)]

    prestart_check(argv)
    handed = take_prestarted(CheckRequest(file, None, COURSE, "auto"))
    assert handed is not None and take_prestarted(CheckRequest(file, None, COURSE, "auto")) is None  # once
    assignment, started = handed
    assert assignment.id == "activations" and started.submission.source == file.read_text(encoding="utf-8")
    started.worker.kill()

    prestart_check(argv)
    assert early._prestarted is not None
    pid = early._prestarted[2].worker.pid
    assert take_prestarted(CheckRequest(file, "backprop", COURSE, "auto")) is None  # the CLI read another assignment
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(pid)
