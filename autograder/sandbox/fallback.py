"""The fallback sandbox (no usable bwrap): private copies, a private site folder, uid 65534 when root."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from autograder.sandbox.host import (
    HERE,
    PROGRAM_FILE,
    SANDBOX_MODULES,
    Command,
    HostPaths,
    interpreter_argv,
    worker_env,
)
from autograder.sandbox.limits import NOBODY, SandboxLimits, SandboxUnavailable


def reachable_by_nobody(path: str) -> bool:
    """Whether uid/gid 65534 (no groups) can traverse to and read ``path``."""
    parts = Path(path).parts
    for depth in range(1, len(parts) + 1):
        info = os.stat(os.path.join(*parts[:depth]))
        needed = stat.S_IXOTH if depth < len(parts) or stat.S_ISDIR(info.st_mode) else stat.S_IROTH
        if not info.st_mode & needed:
            return False
    return True


def readable_by_fallback_worker(path: Path) -> bool:
    """Whether a fallback worker could read ``path``: as uid 65534 when the grader is root, else as
    the grader's own user (the fallback then changes no uid at all). A path that does not exist
    cannot be read."""
    if not path.exists():
        return False
    if os.geteuid() != 0:
        return os.access(path, os.R_OK)
    try:
        return reachable_by_nobody(str(path.resolve()))
    except OSError:
        return False


def exposed_to_fallback(secrets: tuple[Path, ...]) -> tuple[Path, ...]:
    """Those of ``secrets`` (hidden suites, instructor sources) a fallback worker could read."""
    return tuple(path for path in secrets if readable_by_fallback_worker(path))


def _fallback_dirs(scratch: Path, host: HostPaths) -> tuple[Path, Path]:
    """(code dir, work dir) inside ``scratch``: a symlinked site dir and a private cwd."""
    code, work, site = scratch / "code", scratch / "work", scratch / "code" / "site"
    site.mkdir(parents=True)
    for entry in host.site_entries:
        os.symlink(entry, site / os.path.basename(entry))
    work.mkdir(mode=0o700)
    if os.geteuid() == 0:
        os.chown(work, NOBODY, NOBODY)
        for path in (host.interpreter, *host.site_entries):
            if not reachable_by_nobody(path):
                raise SandboxUnavailable(f"fallback sandbox: uid {NOBODY} cannot read {path}; "
                                         "install bubblewrap or a world-readable Python")
    os.chmod(code, 0o755)
    os.chmod(scratch, 0o711)  # traversable, not listable
    return code, work



def prepare_fallback(host: HostPaths, scratch: Path, program: bytes | None, config: dict[str, object],
                      limits: SandboxLimits) -> Command:
    """The plain command: read-only copies of the sandbox modules and the program (None: it
    follows on the request pipe); private cwd."""
    code, work = _fallback_dirs(scratch, host)
    for name in SANDBOX_MODULES:
        shutil.copyfile(HERE / name, code / name)
    names: tuple[str, ...] = SANDBOX_MODULES
    if program is not None:
        (code / PROGRAM_FILE).write_bytes(program)
        names = (*SANDBOX_MODULES, PROGRAM_FILE)
    for name in names:
        os.chmod(code / name, 0o444)
    config.update(submission=None if program is None else str(code / PROGRAM_FILE), site=str(code / "site"))
    argv = interpreter_argv(host.interpreter, str(code / "worker.py"), config)
    return Command(argv, str(work), worker_env(str(work)))



