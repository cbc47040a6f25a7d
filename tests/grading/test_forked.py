"""``run_in_fork``: the work's value comes back; a failure, a death or a hang is a ``ForkFailed``."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from autograder.grading.forked import ForkFailed, run_in_fork


def _forks_of_this_process() -> set[int]:
    """Children of this process running this same command line: forks (live or zombie)."""
    mine = Path("/proc/self/cmdline").read_bytes()
    found = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid() and (status.parent / "cmdline").read_bytes() in (mine, b""):
                found.add(int(status.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _no_child_left() -> bool:
    return not _forks_of_this_process()


def test_the_value_comes_back_from_the_child() -> None:
    parent = os.getpid()
    assert run_in_fork(lambda: {"pid_differs": os.getpid() != parent, "values": (1.5, "x")},
                       timeout_s=30) == {"pid_differs": True, "values": (1.5, "x")}


def test_what_the_child_changes_stays_in_the_child() -> None:
    state = {"count": 0}

    def bump() -> int:
        state["count"] += 1
        return state["count"]

    assert [run_in_fork(bump, timeout_s=30) for _ in range(3)] == [1, 1, 1]
    assert state["count"] == 0


def test_meanwhile_runs_here_while_the_child_works_on_what_it_had() -> None:
    state = {"prepared": False}

    def prepare() -> None:
        state["prepared"] = True

    assert run_in_fork(lambda: state["prepared"], timeout_s=30, meanwhile=prepare) is False
    assert state["prepared"]
    assert run_in_fork(lambda: state["prepared"], timeout_s=30) is True
    assert _no_child_left()


def test_an_exception_is_reported_with_its_message() -> None:
    def broken() -> None:
        raise ValueError("the suite broke")

    with pytest.raises(ForkFailed, match="ValueError: the suite broke"):
        run_in_fork(broken, timeout_s=30)
    assert _no_child_left()


def test_a_child_that_dies_is_reported() -> None:
    with pytest.raises(ForkFailed, match="died.*SIGKILL"):
        run_in_fork(lambda: os.kill(os.getpid(), signal.SIGKILL), timeout_s=30)
    assert _no_child_left()


def test_a_child_that_hangs_is_killed_at_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(ForkFailed, match="did not finish within 0.5 s"):
        run_in_fork(lambda: time.sleep(60), timeout_s=0.5)
    assert time.monotonic() - started < 10
    assert _no_child_left()


def test_a_large_result_arrives_whole() -> None:
    payload = "x" * (5 << 20)  # far beyond a pipe's buffer
    assert run_in_fork(lambda: payload, timeout_s=30) == payload
