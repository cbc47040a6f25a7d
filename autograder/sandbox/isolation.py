"""Which isolation student code runs under: a sandbox, or none at all (the student's own machine).

The sandbox (bubblewrap, or the fallback's rlimits, seccomp filter and second uid) needs Linux and
pyseccomp with its C library. Where they are missing, ``autograder check`` runs the student's own
code on the student's own machine in the own-machine worker (``own_machine``): the same tests,
messages and timeouts, no confinement. ``grade`` never does, unless the instructor asks for it with
``--isolation none`` (for files they trust), which sets ``ISOLATION_ENV`` for its grading processes.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Literal

Isolation = Literal["sandbox", "none"]
ISOLATIONS: tuple[Isolation, ...] = ("sandbox", "none")
ISOLATION_ENV = "AUTOGRADER_ISOLATION"
"""``none``: every worker of this process (and of the processes it starts) runs on the own machine."""
OWN_MACHINE_NOTE = "isolation: none (your own code, your own machine)"
"""The one line ``check`` prints when it runs without a sandbox."""
LIBSECCOMP = "libseccomp.so.2"
_PLATFORM_NAMES = {"darwin": "macOS", "win32": "Windows", "cygwin": "Windows (Cygwin)"}


def platform_name() -> str:
    """This system as a student calls it: ``macOS``, ``Windows``, ``Linux``..."""
    if sys.platform.startswith("linux"):
        return "Linux"
    return _PLATFORM_NAMES.get(sys.platform, sys.platform)


def sandbox_missing() -> str:
    """What this machine lacks to run any sandbox, in words that say what to install; "" when one
    can run (bubblewrap, else the fallback). Only imports nothing: cheap enough for every ``check``."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux, and this is {platform_name()}"
    if importlib.util.find_spec("pyseccomp") is None:
        return "the sandbox needs pyseccomp, which is not installed (pip install pyseccomp)"
    if not _libseccomp_loads():
        return (f"the sandbox needs the libseccomp library ({LIBSECCOMP}), which is missing "
                "(apt-get install libseccomp2, or your distribution's libseccomp package)")
    return ""


def _libseccomp_loads() -> bool:
    import ctypes

    try:
        ctypes.CDLL(LIBSECCOMP)
    except OSError:
        return False
    return True


def own_machine_requested() -> bool:
    """Whether this process was told to run workers without a sandbox (``ISOLATION_ENV=none``)."""
    return os.environ.get(ISOLATION_ENV, "").strip().lower() == "none"


def grading_refusal(missing: str) -> str:
    """The one line ``grade`` ends with where no sandbox can run (``missing``: ``sandbox_missing()``)."""
    return (f"cannot grade untrusted submissions here: {missing}; grade on Linux with bubblewrap "
            "(apt-get install bubblewrap) and the kit's dependencies, or, for files you trust, "
            "pass --isolation none")
