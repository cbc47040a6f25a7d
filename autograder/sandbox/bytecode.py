"""The sandbox's own modules, compiled once: their bytecode bound beside them, read-only.

A worker runs with ``-B`` and sees the kit's modules as single files bound into ``/sandbox``, with
no ``__pycache__`` beside them: without this, every worker started from cold (each ``autograder
check``, each warm sandbox's fork server) compiled ``wire``, ``statements``, ``standins``,
``scratch`` and ``seen`` from source again, about 9 ms before its hello.

The bytecode is written by the grader (trusted) into the kit's cache folder, under a name that
carries the source's size and modification time and the interpreter's cache tag, as *checked-hash*
pycs: the
interpreter in the sandbox compares the hash in the file with the source bound beside it on every
import and compiles from source on any mismatch (a different interpreter version's magic number
too). A stale or foreign file can only cost the compile it was meant to save; it can never run
code other than the source's. Nothing is bound when the cache is off or cannot be written, and a
file gone by the time bwrap starts is skipped (``--ro-bind-try``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from autograder.files import cache_folder

HERE = Path(__file__).resolve().parent
FOLDER = "sandbox-bytecode"


def bytecode_binds(names: Iterable[str], sandbox_dir: str) -> list[tuple[str, str]]:
    """(host file, sandbox path) binds of the compiled bytecode of the sandbox modules ``names``
    (files of this package), each to where the interpreter looks for it beside
    ``sandbox_dir/NAME``; compiled on first use. Empty when there is no cache to keep them in."""
    folder = cache_folder()
    if folder is None:
        return []
    binds = []
    for name in names:
        compiled = _compiled(HERE / name, f"{sandbox_dir}/{name}", folder / FOLDER)
        if compiled is not None:
            binds.append((str(compiled), f"{sandbox_dir}/__pycache__/{compiled_name(name)}"))
    return binds


def compiled_name(name: str) -> str:
    """Where an interpreter without a pycache prefix looks for ``name``'s bytecode, in ``__pycache__``."""
    return f"{Path(name).stem}.{sys.implementation.cache_tag}.pyc"


def _compiled(source: Path, sandbox_path: str, folder: Path) -> Path | None:
    """The bytecode file of ``source`` as the sandbox names it (``sandbox_path``, in tracebacks),
    compiled now unless there already; None when it cannot be. The caller binds it with bwrap's
    ``--ro-bind-try``: a file removed meanwhile (a cleaned cache) only means no bytecode."""
    try:
        stat = source.stat()
    except OSError:
        return None
    target = folder / f"{source.stem}.{stat.st_size}-{stat.st_mtime_ns}.{sys.implementation.cache_tag}.pyc"
    if target.is_file():
        return target
    import py_compile  # here: it imports traceback and more, and the compiled file is there nearly always

    try:
        folder.mkdir(parents=True, exist_ok=True)
        py_compile.compile(str(source), cfile=str(target), dfile=sandbox_path, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    except (OSError, py_compile.PyCompileError):
        return None
    return target
