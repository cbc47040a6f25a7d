"""The calls of a passing run, kept on disk: a later process's first submissions send them ahead too.

A warm grading process learns a suite's calls from its first fork whose submission passes every
case (``warm.offer_plan``, ``SandboxSession.recorded_plan``); until then each call waits for the
previous answer, about 0.03 s of CPU more per submission. Every grading process of every batch
learnt them again, and one late student graded alone never did. So the plan is kept in the kit's
cache folder (``files.cache_folder``; nothing with ``AUTOGRADER_CACHE=off``), under a key made of
the suite's files and the wire's and the session's own code, and a process starts with it.

Following a plan never changes a grade: a call is sent ahead only while the calls asked match the
plan frame for frame, and a worker that ran calls nobody asked is replaced and the calls asked run
again (``autograder.sandbox.session``). A stale or damaged file costs at most that; one that
cannot be read is no plan. The cache folder is the kit's own, as trusted as the expected values
it also keeps (SECURITY.md).
"""

from __future__ import annotations

import functools
import hashlib
import json
import struct
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.files import cache_folder, write_atomically
from autograder.fingerprint import feed_files, source_files

if TYPE_CHECKING:
    from autograder.sandbox.session import CallPlan

FOLDER = "plans"
MAGIC = b"dl-gradekit plan 1\n"
_LENGTH = struct.Struct(">I")


@functools.lru_cache(maxsize=8)
def _digest(suite: str, stamp: object) -> str | None:
    """What names the plan of ``suite`` (its files as ``stamp`` describes them): its files and the
    wire's and the session's code; None when the suite cannot be read."""
    from autograder.sandbox import session, wire

    digest = hashlib.sha256()
    try:
        feed_files(digest, Path(suite), source_files(Path(suite)))
        feed_files(digest, Path(wire.__file__).parent, [Path(wire.__file__), Path(session.__file__)])
    except OSError:
        return None
    return digest.hexdigest()[:32]


def _where(suite: Path) -> Path | None:
    """Where the plan of ``suite`` is kept; None: nowhere (no cache, an unreadable suite)."""
    from autograder.grading.warm import suite_key

    folder = cache_folder()
    digest = None if folder is None else _digest(str(suite), suite_key(suite))
    return None if folder is None or digest is None else folder / FOLDER / f"{digest}.plan"


def load_plan(suite: Path) -> CallPlan | None:
    """The plan kept for ``suite``, or None (none kept, or a file that does not read as one)."""
    path = _where(suite)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return _decoded(data)


def _decoded(data: bytes) -> CallPlan | None:
    from autograder.sandbox.session import CallPlan

    if not data.startswith(MAGIC):
        return None
    try:
        header, _, body = data[len(MAGIC):].partition(b"\n")
        functions = json.loads(header)
        frames, at = [], 0
        while at < len(body):
            (size,) = _LENGTH.unpack_from(body, at)
            frame = body[at + _LENGTH.size:at + _LENGTH.size + size]
            if len(frame) != size:
                return None
            frames.append(frame)
            at += _LENGTH.size + size
        if not frames or not isinstance(functions, list) or not all(isinstance(f, str) for f in functions):
            return None
        return CallPlan(tuple(frames), frozenset(functions))
    except (ValueError, struct.error, UnicodeDecodeError):
        return None


def save_plan(suite: Path, plan: CallPlan) -> None:
    """Keep ``plan`` for ``suite``, unless one is kept already; a cache that cannot be written
    only keeps nothing."""
    path = _where(suite)
    if path is None or path.exists():
        return
    body = b"".join(_LENGTH.pack(len(frame)) + frame for frame in plan.frames)
    try:
        write_atomically(path, MAGIC + json.dumps(sorted(plan.functions)).encode("utf-8") + b"\n" + body,
                         private=True)
    except OSError:
        pass
