"""bubblewrap: the command that starts a worker in its own namespaces, and whether bwrap works here."""

from __future__ import annotations

import functools
import glob
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from autograder.sandbox.bytecode import bytecode_binds
from autograder.sandbox.host import (
    HERE,
    KIT_PACKAGES,
    PROGRAM_FILE,
    PROJECT_ROOT,
    SANDBOX_DIR,
    SANDBOX_MODULES,
    SITE_DIR,
    WORK_DIR,
    Command,
    HostPaths,
    host_paths,
    interpreter_argv,
    worker_env,
)
from autograder.sandbox.limits import KIND_ENV, NOBODY, SandboxKind, SandboxLimits, SandboxUnavailable


def _top_level_links() -> list[str]:
    """bwrap arguments recreating /bin, /sbin, /lib* as the host has them."""
    args: list[str] = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


@functools.lru_cache(maxsize=4)
def _masked_dirs(bound: tuple[str, ...]) -> tuple[str, ...]:
    """Dirs inside the bound trees that must look empty in the sandbox.

    Every site-packages the grader knows of (base, venv, user, Debian's
    dist-packages) and the kit itself (its packages and the project tree),
    in case any of them lives under /usr or the Python prefix. Found once per process (they do
    not move while it runs).
    """
    import site

    paths = {sysconfig.get_path(key, vars={"base": prefix, "platbase": prefix})
             for key in ("purelib", "platlib") for prefix in (sys.base_prefix, sys.prefix)}
    paths.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    paths.add(site.getusersitepackages() if hasattr(site, "getusersitepackages") else "")
    paths.update(glob.glob("/usr/lib/python3*/*-packages") + glob.glob("/usr/local/lib/python3*/*-packages"))
    paths.add(str(PROJECT_ROOT))
    for package in KIT_PACKAGES:
        spec = importlib.util.find_spec(package)
        paths.update(spec.submodule_search_locations or [] if spec else [])
    real = {os.path.realpath(p) for p in paths if p and os.path.isdir(p)}
    return tuple(sorted(p for p in real if any(is_within(p, b) for b in bound)))


def is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


ScratchMode = Literal["confined", "plain"]
_scratch_mode: ScratchMode = "confined"
"""How bwrap workers get their /tmp: "confined", each sets up its own with an inode limit
(``scratch.py``, which needs nested user namespaces); "plain", bwrap's tmpfs with a size only.
Presumed "confined" until the self-test finds that nested namespaces are forbidden here."""


def scratch_mode() -> ScratchMode:
    return _scratch_mode


def scratch_config(limits: SandboxLimits) -> dict[str, int] | None:
    """What a bwrap worker's config carries under "scratch": its /tmp limits, or None (plain mode)."""
    return limits.scratch() if _scratch_mode == "confined" else None


def module_binds(names: Sequence[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The read-only binds of the kit's sandbox modules ``names`` (files of this package) into
    ``/sandbox``, and the optional binds of their bytecode beside them (``bwrap_argv``'s ``optional``)."""
    return [(str(HERE / name), f"{SANDBOX_DIR}/{name}") for name in names], bytecode_binds(names, SANDBOX_DIR)


def bwrap_argv(host: HostPaths, binds: list[tuple[str, str]], limits: SandboxLimits,
               mode: ScratchMode | None = None, *, optional: list[tuple[str, str]] | None = None) -> list[str]:
    """The bwrap command up to (not including) the program to run.

    ``binds`` are extra (host path, sandbox path) read-only binds; ``optional`` ones are skipped when
    their host file is missing (the modules' bytecode, ``autograder.sandbox.bytecode``). In the
    "confined" mode (default: ``scratch_mode()``) the program must call ``scratch.confine_scratch``
    first: it mounts /tmp with an inode limit and makes /proc read-only itself, which needs /proc
    writable until then.
    """
    args = ["bwrap", "--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
            "--die-with-parent", "--new-session", "--hostname", "sandbox", "--clearenv"]
    for key, value in worker_env(WORK_DIR).items():
        args += ["--setenv", key, value]
    args += ["--proc", "/proc", "--dev", "/dev", "--ro-bind", "/usr", "/usr", *_top_level_links()]
    bound = ["/usr"]
    if not is_within(host.prefix, "/usr"):
        args += ["--ro-bind", host.prefix, host.prefix]
        bound.append(host.prefix)
    for masked in _masked_dirs(tuple(bound)):
        args += ["--tmpfs", masked, "--remount-ro", masked]
    for entry in host.site_entries:
        args += ["--ro-bind", entry, f"{SITE_DIR}/{os.path.basename(entry)}"]
    for source, target in binds:
        args += ["--ro-bind", source, target]
    for source, target in optional or ():
        args += ["--ro-bind-try", source, target]
    # /proc read-only too: when the grader is root, the sandbox's uid is root outside it, and the
    # kernel lets root write host-wide settings under /proc/sys whatever the capabilities.
    proc = [] if (mode or _scratch_mode) == "confined" else ["--remount-ro", "/proc"]
    args += ["--size", str(limits.scratch_bytes), "--tmpfs", WORK_DIR,
             "--remount-ro", "/dev", *proc, "--remount-ro", "/", "--chdir", WORK_DIR]
    return args


def _probe(mode: ScratchMode) -> str | None:
    """None if bwrap can run the base interpreter with numpy here in ``mode``, else why not."""
    try:
        host = host_paths()
        limits = SandboxLimits()
        confine = (f"import scratch; scratch.confine_scratch({limits.scratch_bytes}, {limits.scratch_inodes}); "
                   if mode == "confined" else "")
        probe = f"import sys; sys.path[:0] = [{SANDBOX_DIR!r}, {SITE_DIR!r}]; {confine}import numpy"
        binds = [(str(HERE / "scratch.py"), f"{SANDBOX_DIR}/scratch.py")]
        argv = bwrap_argv(host, binds, limits, mode) + [host.interpreter, "-I", "-S", "-c", probe]
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError, SandboxUnavailable) as err:
        return f"bwrap self-test failed: {err}"
    if done.returncode != 0:
        return f"bwrap self-test exited {done.returncode}: {done.stderr.decode(errors='replace')[:300]}"
    return None


@functools.lru_cache(maxsize=1)
def bwrap_self_test() -> str | None:
    """None if bwrap can run the base interpreter with numpy here, else why not (cached). Decides
    ``scratch_mode()`` too: "plain" when only the confined /tmp fails (nested namespaces denied)."""
    global _scratch_mode
    if shutil.which("bwrap") is None:
        return "bwrap is not on PATH"
    if _probe("confined") is None:
        _scratch_mode = "confined"
        return None
    problem = _probe("plain")
    if problem is None:
        _scratch_mode = "plain"
    return problem


_bwrap_started = False
"""Set once a bwrap worker has said hello in this process: bwrap works, no self-test needed."""


def confirm_bwrap() -> None:
    """A bwrap worker started (its hello frame arrived, before any student code ran)."""
    global _bwrap_started
    _bwrap_started = True


def _forced() -> str:
    """What the operator forces with AUTOGRADER_SANDBOX: "bwrap", "fallback", or "" for nothing."""
    return os.environ.get(KIND_ENV, "").strip().lower()


def presumed_kind() -> SandboxKind:
    """The kind to start a worker with, without waiting for the self-test (~0.2-0.4 s, the time of
    a worker start): bwrap whenever it is on PATH and has not failed its self-test. A bwrap worker
    that then sends no hello runs the self-test (``SandboxSession``), and only a failed self-test
    falls back; a worker that said hello confirms bwrap for the process (``confirm_bwrap``)."""
    if _forced() == "fallback" or shutil.which("bwrap") is None:
        return "fallback"
    if bwrap_self_test.cache_info().currsize:
        return sandbox_kind()
    return "bwrap"


def sandbox_kind() -> SandboxKind:
    """``"bwrap"`` when bubblewrap works on this machine, else ``"fallback"``.

    The operator may force either with AUTOGRADER_SANDBOX; forcing "bwrap" when
    it does not work raises SandboxUnavailable rather than silently degrading.
    """
    forced = _forced()
    if forced == "fallback":
        return "fallback"
    if _bwrap_started:
        return "bwrap"
    problem = bwrap_self_test()
    if forced == "bwrap" and problem is not None:
        raise SandboxUnavailable(problem)
    return "bwrap" if problem is None else "fallback"


def sandbox_kind_reason() -> str:
    """One line explaining the current ``sandbox_kind()``."""
    if _forced() == "fallback":
        return f"fallback forced by {KIND_ENV}=fallback"
    return bwrap_self_test() or "bubblewrap works"


def prepare_bwrap(host: HostPaths, scratch: Path, program: bytes | None, config: dict[str, object],
                   limits: SandboxLimits) -> Command:
    """The bwrap command; the submission's program is a private copy bound read-only (None: it
    follows on the request pipe, ``launcher.send_program``)."""
    binds, compiled = module_binds(SANDBOX_MODULES)
    submission = None
    if program is not None:
        private = scratch / PROGRAM_FILE
        private.write_bytes(program)
        submission = f"{SANDBOX_DIR}/{PROGRAM_FILE}"
        binds.append((str(private), submission))
    config.update(submission=submission, site=SITE_DIR, scratch=scratch_config(limits))
    argv = bwrap_argv(host, binds, limits, optional=compiled) + interpreter_argv(
        host.interpreter, f"{SANDBOX_DIR}/worker.py", config)
    # bwrap itself needs only PATH; it clears the environment of the worker.
    return Command(argv, None, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})



