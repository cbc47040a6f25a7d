"""Deadlines fair to a busy machine: a call's time runs out only while its worker could run.

A call's timeout is wall-clock time, so on a loaded machine (a batch beside other work, more
grading processes than cores) an honest but slow call could time out where a quiet machine lets
it finish, and the same submission would earn two grades. Linux counts, per thread, the time it
spent ready to run but waiting for a CPU (``/proc/PID/task/TID/schedstat``, its second field).
When a deadline passes, ``FairDeadline`` moves it by the time the worker's threads waited so: what
a call gets is its timeout of time it could run, whatever else the machine does.

A worker that sleeps or blocks waits for nothing a CPU gives it: its deadline does not move. The
stretch is bounded (``MAX_STRETCH`` times the timeout in all), so a machine too busy to grade ends
the call as a timeout rather than holding the slot for ever. Where the kernel keeps no such
counts (not Linux), deadlines are plain wall-clock ones.

Calls that answer within ``QUIET_SHARE`` of their timeout (nearly all) never read /proc: the
count starts there, and what the worker waited before it is not credited.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

MAX_STRETCH = 3.0
"""A deadline never moves past this many times its timeout from the call's start."""
QUIET_SHARE = 0.1
"""The share of its timeout a call runs before its worker's waiting starts to be counted."""
MIN_WAIT_S = 0.01
"""Waiting shorter than this (scheduler noise) does not move a deadline."""


def queued_seconds(pids: Iterable[int]) -> float:
    """Seconds the threads of ``pids`` have spent ready to run but waiting for a CPU (0 if unknown)."""
    total = 0
    for pid in pids:
        try:
            threads = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for thread in threads:
            try:
                with open(f"/proc/{pid}/task/{thread}/schedstat", encoding="ascii") as stat:
                    total += int(stat.read().split()[1])
            except (OSError, ValueError, IndexError):
                continue
    return total / 1e9


class FairDeadline:
    """One call's deadline: ``end`` moves by the time the worker (``pids``) waited for a CPU."""

    def __init__(self, seconds: float, pids: Callable[[], list[int]]) -> None:
        start = time.monotonic()
        self.end = start + seconds
        self.counting_from = start + QUIET_SHARE * seconds
        self._cap = start + MAX_STRETCH * seconds
        self._pids = pids
        self._queued: float | None = None

    def start_counting(self) -> None:
        """The worker's waiting so far is the baseline (the call has run ``QUIET_SHARE`` of its time)."""
        if self._queued is None:
            self._queued = queued_seconds(self._pids())

    def stretched(self) -> bool:
        """At ``end``: move it by the time the worker waited for a CPU since the last look. False when it
        did not wait (it ran, slept or blocked: the time is its own) or the cap is reached."""
        if self._queued is None:
            self.start_counting()
            return False
        queued = queued_seconds(self._pids())
        waited, self._queued = queued - self._queued, queued
        if waited < MIN_WAIT_S or self.end >= self._cap:
            return False
        self.end = min(self._cap, self.end + waited)
        return True
