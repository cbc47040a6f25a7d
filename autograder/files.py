"""Writing files the way every command of the kit does: atomically, with the umask's permissions."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

CACHE_ENV = "AUTOGRADER_CACHE"
"""Names the kit's cache folder, or ``off``: nothing cached on disk (expected values stay in memory)."""


def cache_folder() -> Path | None:
    """The kit's disk cache folder (expected values, wheels, the sandbox's bytecode), or None when
    ``AUTOGRADER_CACHE=off``."""
    setting = os.environ.get(CACHE_ENV, "").strip()
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "dl-gradekit"


def umask() -> int:
    """The process's umask, read from /proc where it says (without changing it, so no thread sees 0),
    else by setting and restoring it."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, data: str | bytes, *, private: bool = False) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` so readers see the old file or the new one, never half.

    The file gets the usual permissions (0666 less the umask), not mkstemp's 0600, so
    teaching assistants in the owner's group can read the results; a ``private`` file (the
    kit's caches, which hold expected values) stays 0600. A failure leaves the old file and
    no temporary file behind.
    """
    write_chunks_atomically(path, (data,), private=private)


def write_chunks_atomically(path: Path, chunks: Iterable[str | bytes], *, private: bool = False) -> None:
    """``write_atomically`` of the text or bytes ``chunks`` make together, written as they come (a
    page of thousands of rows is never whole in memory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if not private:
            os.fchmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prune_cache(folder: Path, *, keep: Path, count: int) -> None:
    """Remove all but the newest ``count`` folders in ``folder`` (never ``keep``, the one just made):
    the kit's cached builds, downloads and derivations of other versions."""
    try:
        builds = sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                        key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in builds[count:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
