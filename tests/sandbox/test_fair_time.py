"""A busy machine does not change a grade: a call's timeout counts only time its worker could run.

The same submission once earned a timeout under load that a quiet machine let finish. These tests
load the worker's CPU on purpose (busy processes pinned to the worker's one CPU) and check that the
honest slow call still answers, while a sleeping or endless call still times out.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator

import pytest

from autograder.sandbox import CallTimedOut, SandboxSession, fair_time
from autograder.sandbox.fair_time import MAX_STRETCH, FairDeadline

from .conftest import requires_bwrap

SLOW_BUT_HONEST = """
    import time

    def work(cpu_seconds):
        start = time.process_time()
        while time.process_time() - start < cpu_seconds:
            pass
        return "done"

    def nap(seconds):
        time.sleep(seconds)
        return "woke"

    def forever():
        while True:
            pass
"""


def test_a_deadline_moves_by_the_time_the_worker_waited_for_a_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    queued = iter([1.0, 1.5, 1.5])
    monkeypatch.setattr(fair_time, "queued_seconds", lambda pids: next(queued))
    deadline = FairDeadline(1.0, lambda: [1])
    end = deadline.end
    deadline.start_counting()
    assert deadline.stretched() is True
    assert deadline.end == pytest.approx(end + 0.5)
    assert deadline.stretched() is False  # it has not waited since: the time was its own


def test_a_deadline_never_moves_past_its_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    waited = iter(float(n) * 10 for n in range(10))
    monkeypatch.setattr(fair_time, "queued_seconds", lambda pids: next(waited))
    deadline = FairDeadline(1.0, lambda: [1])
    cap = deadline.end - 1.0 + MAX_STRETCH
    deadline.start_counting()
    while deadline.stretched():
        pass
    assert deadline.end == pytest.approx(cap, abs=0.05)


def test_the_kernel_counts_a_busy_process_waiting() -> None:
    """The count this rests on: two busy processes on one CPU each wait about half the time."""
    def hog(seconds: float) -> None:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass

    hogs = [multiprocessing.get_context("fork").Process(target=hog, args=(1.0,)) for _ in range(2)]
    for process in hogs:
        process.start()
    time.sleep(0.9)
    waits = [fair_time.queued_seconds([process.pid]) for process in hogs if process.pid]
    for process in hogs:
        process.join()
    assert sum(waits) > 0.3


def _busy(cpu: int, stop: float) -> None:
    os.sched_setaffinity(0, {cpu})
    while time.monotonic() < stop:
        pass


@pytest.fixture
def loaded_cpu() -> Iterator[Callable[[SandboxSession], None]]:
    """Pin a session's worker to one CPU beside two busy processes: it gets about a third of it."""
    started: list[multiprocessing.process.BaseProcess] = []

    def load(session: SandboxSession) -> None:
        cpu = min(os.sched_getaffinity(0))
        worker = session._worker
        assert worker is not None
        for pid in worker.leftover_pids():
            os.sched_setaffinity(pid, {cpu})
        for _ in range(2):
            process = multiprocessing.get_context("fork").Process(target=_busy, args=(cpu, time.monotonic() + 8))
            process.start()
            started.append(process)

    yield load
    for process in started:
        process.kill()
        process.join()


@requires_bwrap
def test_an_honest_slow_call_answers_on_a_loaded_machine(
        make_session: Callable[..., SandboxSession], loaded_cpu: Callable[[SandboxSession], None]) -> None:
    session = make_session(SLOW_BUT_HONEST, call_timeout_s=1.5)
    loaded_cpu(session)
    assert session.call("work", (0.6,)) == "done"  # 0.6 s of CPU: 1.8 s of wall time at a third of a CPU


@requires_bwrap
def test_a_sleeping_call_still_times_out_on_time(
        make_session: Callable[..., SandboxSession], loaded_cpu: Callable[[SandboxSession], None]) -> None:
    session = make_session(SLOW_BUT_HONEST, call_timeout_s=1.0)
    loaded_cpu(session)
    started = time.monotonic()
    with pytest.raises(CallTimedOut):
        session.call("nap", (30,))
    assert time.monotonic() - started < 1.0 * MAX_STRETCH


@requires_bwrap
def test_an_endless_call_on_a_loaded_machine_ends_at_the_cap(
        make_session: Callable[..., SandboxSession], loaded_cpu: Callable[[SandboxSession], None]) -> None:
    session = make_session(SLOW_BUT_HONEST, call_timeout_s=1.0)
    loaded_cpu(session)
    started = time.monotonic()
    with pytest.raises(CallTimedOut):
        session.call("forever")
    assert time.monotonic() - started < 1.0 * MAX_STRETCH + 1.0
