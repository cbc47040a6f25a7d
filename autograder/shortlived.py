"""Garbage collection for a command that lives under a second (``autograder check``), and the
collections at the exit and OpenBLAS's idle threads of every command.

Python's cyclic collector is tuned for long-lived processes. A command that
imports numpy and pytest, runs one suite and exits pays for it twice: young
collections while the imports build hundreds of thousands of objects that all
stay alive, and full collections at exit over everything still loaded (about
60 ms, more than the suite's own run). Nothing is left uncollected that a
long-lived process would need: the collector still runs, only less often, and
what is alive at exit is handed back to the operating system with the process.
``check`` goes one step further and skips the teardown itself (``exit_now``).

OpenBLAS, which numpy loads, is tuned for long computations: each of its
worker threads spins for 2**28 cycles (about 0.1 s of a core) when it is
created, and again after each parallel operation, before it sleeps. A command
that needs no such operation loses that core to the spinning, on a two-core
machine the one its sandbox worker starts on; ``grade`` loses it once in its
own process and once in the pool's fork server (about 0.16 s of CPU in all).
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

YOUNG_THRESHOLD = 100_000
"""Allocations between two young collections while ``rare_collections`` holds (Python's default: 700)."""


@contextmanager
def rare_collections() -> Iterator[None]:
    """Collect young objects every ``YOUNG_THRESHOLD`` allocations inside the block; the previous
    thresholds come back after it.

    What the block leaves young joins the oldest generation uncollected (``gc.freeze`` then
    ``gc.unfreeze``, unless something else has frozen objects, which stay frozen): restoring the
    small threshold would otherwise collect tens of thousands of young objects at once (~13 ms),
    just before a command exits. Garbage among them goes with the next full collection."""
    previous = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, *previous[1:])
    try:
        yield
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        gc.set_threshold(*previous)


def no_collections_at_exit() -> None:
    """At interpreter exit, move every object still alive out of the collector's reach
    (``gc.freeze``): the interpreter's final collections then skip them. Every ``atexit`` handler
    and flush still runs, and objects are still released by reference counting."""
    atexit.register(gc.freeze)


def exit_now(status: int) -> NoReturn:
    """End the command with ``status`` now: every ``atexit`` handler runs and both output streams
    are flushed, as at a normal exit, but the interpreter's teardown (freeing every module and
    object one by one, about 15 ms after numpy and a suite) is left to the operating system.
    Only for a command with no thread and no child of its own left running."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe, a closed stream: nothing more can be said
            pass
    os._exit(status)


BLAS_TIMEOUT_ENV = "OPENBLAS_THREAD_TIMEOUT"
"""How long (2**n cycles, n from 4 to 30) an idle OpenBLAS thread spins before it sleeps; OpenBLAS's default is 28."""


def idle_blas_threads_sleep() -> None:
    """Let OpenBLAS's idle threads sleep after 2**4 cycles instead of spinning: the threads, their
    number and every result stay the same, only a parallel operation wakes them from a sleep.
    Effective only before numpy is first imported; a value already set in the environment stays."""
    os.environ.setdefault(BLAS_TIMEOUT_ENV, "4")
