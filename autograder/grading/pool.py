"""Where the local pool's processes come from: multiprocessing's fork server, which imports the
grading code once so that every pool process it forks starts with it.

Forkserver, not fork: the batch process runs threads (the progress bar, output drains) whose locks
a forked child could inherit mid-use. Each pool process then grades many submissions: warm once,
then one fork per submission (``autograder.grading.warm``). The server is started on the first
pool's first process, or earlier with ``start_pool_server``: its imports (numpy, pytest, the
grading code: about a third of a second) then overlap the batch process's own.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import ForkServerContext

FORKSERVER_PRELOAD = ("autograder.grading.grade", "autograder.grading.run", "autograder.sandbox.warm_sandbox")
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
