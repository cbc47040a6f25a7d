"""What a worker needs from this machine: the interpreter, numpy and pyseccomp, the kit's sandbox modules,
and the command that starts it."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from autograder.sandbox.limits import SandboxUnavailable

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent.parent
SANDBOX_DIR = "/sandbox"
SITE_DIR = "/sandbox/site"
WORK_DIR = "/tmp"
PIPE_BYTES = 1 << 20
PR_SET_PDEATHSIG = 1
KIT_PACKAGES = ("autograder", "reference", "assignments")  # must never be importable inside
SANDBOX_MODULES = ("worker.py", "wire.py", "statements.py", "standins.py", "scratch.py", "seen.py")
"""The kit's only files inside the sandbox: the worker and the modules it imports (stdlib and numpy only)."""
WARM_SANDBOX_MODULES = (*SANDBOX_MODULES, "forkserver.py")
"""A warm sandbox's: the same, and the fork server that starts the workers."""
PROGRAM_FILE = "submission.json"
THREAD_ENV = {name: "1" for name in
               ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")}


@dataclass(frozen=True)
class Command:
    """How to exec one worker: argv, working directory and environment."""

    argv: list[str]
    cwd: str | None
    env: dict[str, str]



@dataclass(frozen=True)
class HostPaths:
    """Host paths the worker is built from."""

    interpreter: str          # realpath of the BASE python (never the venv's)
    prefix: str               # sys.base_prefix, realpath
    site_entries: tuple[str, ...]  # numpy, numpy.libs (if present), pyseccomp.py


def _module_path(name: str) -> str:
    """Host path of a top-level module or package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SandboxUnavailable(f"the grader environment lacks {name!r}")
    if spec.submodule_search_locations:
        return os.path.realpath(list(spec.submodule_search_locations)[0])
    return os.path.realpath(spec.origin)


@functools.lru_cache(maxsize=1)
def host_paths() -> HostPaths:
    """Interpreter, prefix and site entries; cached because they never change."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    candidates = [os.path.join(sys.base_prefix, "bin", f"python{sys.version_info[0]}.{sys.version_info[1]}"),
                  base]
    interpreter = next((os.path.realpath(c) for c in candidates if os.access(c, os.X_OK)), None)
    if interpreter is None:
        raise SandboxUnavailable("cannot find the base Python interpreter")
    numpy_dir = _module_path("numpy")
    entries = [numpy_dir, _module_path("pyseccomp")]
    if os.path.isdir(numpy_dir + ".libs"):
        entries.append(numpy_dir + ".libs")
    return HostPaths(interpreter, os.path.realpath(sys.base_prefix), tuple(entries))


def interpreter_argv(interpreter: str, worker: str, config: dict[str, object]) -> list[str]:
    """The worker command line: isolated mode, no site, no bytecode writing."""
    return [interpreter, "-I", "-S", "-B", worker, json.dumps(config)]


def worker_env(home: str) -> dict[str, str]:
    """A minimal environment; nothing of the grader's leaks in."""
    return {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", **THREAD_ENV}




def sized_pipe(size: int = PIPE_BYTES) -> tuple[int, int]:
    """An O_CLOEXEC pipe, enlarged so big arrays need fewer wake-ups."""
    import fcntl  # Linux only, as the sandbox is: the own machine's check path never imports it

    read_fd, write_fd = os.pipe()
    try:
        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, size)
    except OSError:
        pass
    return read_fd, write_fd


def close_quietly(fd: int) -> None:
    """Close ``fd``; one already closed (or never valid) is no error."""
    try:
        os.close(fd)
    except OSError:
        pass
