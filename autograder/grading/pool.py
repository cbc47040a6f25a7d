"""Where the local pool's processes come from.

A batch's pool is forked from the batch process itself while that process runs no other thread and
holds no warm sandbox (``batch_pool_context``): the pool processes then start with what it imported,
at no cost, and
no second interpreter imports the grading code again (about a third of a second of a core).
Otherwise (a thread running, not Linux) they come from multiprocessing's fork server, which imports
the grading code once so that every pool process it forks starts with it: a thread's locks would be
copied into a forked child mid-use. Each pool process then grades many submissions: warm once,
then one fork per submission (``autograder.grading.warm``). The fork server is started on the
first pool's first process, or earlier with ``start_pool_server``.
"""

from __future__ import annotations

import importlib
import multiprocessing
import sys
import threading
from multiprocessing.context import BaseContext, ForkServerContext

RUNNER = "autograder.grading.run"
FORKSERVER_PRELOAD = ("autograder.grading.grade", RUNNER, "autograder.sandbox.warm_sandbox")
"""What the pool's fork server imports before forking its processes (NumPy, the sandbox's client,
pytest's runner, the warm sandbox): each would otherwise import it again. No thread of Python's
runs in it."""


def pool_context() -> ForkServerContext:
    """The multiprocessing context every local pool of the kit uses, its server's imports set."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", *FORKSERVER_PRELOAD])
    return context


def start_pool_server() -> None:
    """Start the fork server now, without waiting for its imports; the first pool uses it."""
    from multiprocessing import forkserver

    pool_context()
    forkserver.ensure_running()


def batch_pool_context(*, runner: bool = True) -> BaseContext:
    """The context a batch's pool starts its processes with: a fork of this process when it runs no
    other thread and holds no warm sandbox (which two pool processes would then share), on Linux,
    the grading code imported here first, once, for every pool process to start with (pytest's runner
    only with ``runner``: without it the processes start sooner, each importing it when it needs it);
    else the fork server's (``pool_context``). The pool must start its processes before this process
    starts a thread (``ProcessPoolExecutor`` forks them all at the first submit)."""
    if not forks_pool_here():
        return pool_context()
    for module in FORKSERVER_PRELOAD:
        if runner or module != RUNNER:
            importlib.import_module(module)
    return multiprocessing.get_context("fork")


def forks_pool_here() -> bool:
    """Whether a batch's pool would be forked from this process as things stand (``batch_pool_context``):
    on Linux, with no other thread running and no warm sandbox of its own. Imports nothing."""
    if sys.platform != "linux" or threading.active_count() > 1:
        return False
    warm_sandbox = sys.modules.get("autograder.sandbox.warm_sandbox")
    return warm_sandbox is None or not warm_sandbox.holds_warm_sandbox()
