"""Where a batch's pool processes come from (``autograder.grading.pool.batch_pool_context``)."""

from __future__ import annotations

import sys
import threading

import pytest

from autograder.grading import pool
from autograder.sandbox import warm_sandbox

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forking the batch process is for Linux")


def test_a_process_with_no_other_thread_and_no_warm_sandbox_forks_its_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warm_sandbox, "_current", None)
    if threading.active_count() > 1:
        pytest.skip("this test process runs another thread")
    assert pool.batch_pool_context().get_start_method() == "fork"


def test_a_running_thread_sends_the_pool_to_the_fork_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A forked child would hold a copy of the thread's locks, taken mid-use."""
    monkeypatch.setattr(warm_sandbox, "_current", None)
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert pool.batch_pool_context().get_start_method() == "forkserver"
    finally:
        release.set()
        thread.join()


def test_a_warm_sandbox_here_sends_the_pool_to_the_fork_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two pool processes forked from here would share this process's warm sandbox."""
    monkeypatch.setattr(warm_sandbox, "_current", object())
    if threading.active_count() > 1:
        pytest.skip("this test process runs another thread")
    assert pool.batch_pool_context().get_start_method() == "forkserver"
