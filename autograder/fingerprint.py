"""A submission's identity: the sha256 of what was submitted, as it is on disk.

Recorded in ``results.json`` (``extra_data.submission_sha256``) so that
``grade --resume`` keeps a grade only while the submission it was given for is
unchanged. A file is hashed by its bytes; a folder by every entry below it,
in name order, each with its relative path (a symbolic link by its target,
never followed), so renaming, adding or editing any file changes the hash.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def _feed_file(digest: Any, path: Path) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)


def _feed_folder(digest: Any, root: Path) -> None:
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        base = Path(folder)
        for name in sorted(files + [d for d in dirs if (base / d).is_symlink()]):
            entry = base / name
            relative = entry.relative_to(root).as_posix().encode("utf-8", "surrogateescape")
            if entry.is_symlink():
                digest.update(b"link\0" + relative + b"\0" + os.fsencode(os.readlink(entry)) + b"\0")
            elif entry.is_file():
                digest.update(b"file\0" + relative + b"\0" + str(entry.stat().st_size).encode() + b"\0")
                _feed_file(digest, entry)


def content_sha256(path: Path) -> str:
    """The hex sha256 of the submission at ``path``; "" when it cannot be read (it then counts as changed)."""
    path = Path(path)
    digest = hashlib.sha256()
    try:
        if path.is_dir():
            _feed_folder(digest, path)
        else:
            _feed_file(digest, path)
    except OSError:
        return ""
    return digest.hexdigest()


def source_files(folder: Path, skipped: Collection[str] = ()) -> list[Path]:
    """The files below ``folder`` in path order, bytecode and ``__pycache__`` aside, and those under a
    top-level entry named in ``skipped``: what a key made of a folder's code covers. Symbolic links
    to files count, links to folders are not followed (as ``Path.rglob`` walks); read with
    ``os.scandir``, whose entries know their kind (``rglob`` and ``is_file`` took a stat call and a
    ``Path`` per file, bytecode included: about 10 ms of each kept run's key)."""
    found: list[Path] = []
    pending = [(os.fspath(folder), True)]
    while pending:
        where, top = pending.pop()
        try:
            with os.scandir(where) as entries:
                for entry in entries:
                    if entry.name == "__pycache__" or (top and entry.name in skipped):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((entry.path, False))
                    elif entry.is_file() and not entry.name.endswith(".pyc"):
                        found.append(Path(entry.path))
        except PermissionError:  # a folder that cannot be listed is passed over, as rglob does
            continue
    return sorted(found)


def feed_files(digest: Any, root: Path, files: Iterable[Path]) -> None:
    """Feed ``digest`` each of ``files`` (below ``root``) as its path relative to ``root`` and the
    sha256 of its bytes, in the order given. Raises ``OSError`` for a file that cannot be read."""
    for path in files:
        digest.update(f"{path.relative_to(root).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def file_stamps(root: Path, files: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """Each of ``files`` (below ``root``) as its path relative to ``root``, its size and its
    modification time: cheap to take, and different once a file is edited (what a process keys
    what it computed from those files by)."""
    stamps = []
    for path in files:
        stat = path.stat()
        stamps.append((str(path.relative_to(root)), stat.st_size, stat.st_mtime_ns))
    return tuple(stamps)


def installed_version(package: str, version_file: str) -> str:
    """The installed ``package``'s version without importing it (SymPy's import takes 0.3 s,
    ``importlib.metadata`` 0.08 s): the ``__version__`` its ``version_file`` (a path inside the
    package: ``release.py``) sets, else its distribution's metadata; "absent" when not installed."""
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in locations:
        try:
            text = (Path(folder) / version_file).read_text(encoding="utf-8")
        except OSError:
            continue
        found = re.search(r"""__version__\s*=\s*(?:version\s*=\s*)?['"]([^'"]+)['"]""", text)
        if found:
            return found.group(1)
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"
