"""Read a submission from disk into plain Python source.

Accepted forms: a ``.py`` file; a ``.ipynb`` notebook (its code cells, with
IPython magics and ``!`` shell lines dropped and reported); a directory holding
either; a ``.zip`` holding either (absolute paths and ``..`` are rejected, and
so is an archive that unpacks past ``MAX_SOURCE_BYTES``).

The student id is the file's stem or the directory's name. Every problem is a
``SubmissionError`` with a message meant for the student; nothing here runs
the student's code.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_SOURCE_BYTES = 5 * 1024 * 1024
SOURCE_SUFFIXES = (".py", ".ipynb")


class SubmissionError(Exception):
    """A submission that cannot be read; the message is shown to the student."""


@dataclass(frozen=True)
class Submission:
    """A submission's source code, ready for the sandbox."""

    student_id: str
    source: str
    origin: Path
    warnings: tuple[str, ...] = field(default=())


def student_id_of(path: Path) -> str:
    """The student id a path stands for: a file's stem, a directory's name."""
    return path.name if path.is_dir() else path.stem


def decode_source(data: bytes, *, name: str) -> str:
    """UTF-8 text (a BOM is allowed), or a ``SubmissionError`` naming the bad byte."""
    if len(data) > MAX_SOURCE_BYTES:
        raise SubmissionError(f"{name} is {len(data)} bytes; the limit is {MAX_SOURCE_BYTES}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SubmissionError(f"{name} is not UTF-8 text (bad byte at offset {err.start}); "
                              "save it as UTF-8") from None


_HELP_LINE = re.compile(r"^\s*\??[\w.]+\?{1,2}\s*$")


def _is_ipython_only(line: str) -> bool:
    """A line magic, a shell escape or an ``np.sin?`` help request."""
    return line.lstrip().startswith(("%", "!")) or bool(_HELP_LINE.match(line))


def is_test_cell(cell: dict) -> bool:  # type: ignore[type-arg]
    """An nbgrader autograded-test cell, or one tagged ``tests``: the kit's suites grade instead.

    The cell's metadata must have the notebook format's shape (see ``_check_cell``).
    """
    metadata = cell.get("metadata", {})
    nbgrader = metadata.get("nbgrader", {})
    graded_test = bool(nbgrader.get("grade")) and not nbgrader.get("solution")
    return graded_test or "tests" in metadata.get("tags", [])


def _check_cell(cell: object, *, where: str) -> None:
    """A ``SubmissionError`` naming the problem unless ``cell`` has the shape the kit reads:
    an object whose ``metadata`` is an object, with an object ``nbgrader`` and a list of
    ``tags`` when present."""
    if not isinstance(cell, dict):
        raise SubmissionError(f"{where} is not a notebook cell (got {type(cell).__name__})")
    metadata = cell.get("metadata", {})
    if not isinstance(metadata, dict):
        raise SubmissionError(f"{where} has malformed metadata ({type(metadata).__name__}, "
                              "should be an object); copy the cell into a fresh notebook")
    if not isinstance(metadata.get("nbgrader", {}), dict):
        raise SubmissionError(f"{where} has malformed nbgrader metadata "
                              f"({type(metadata['nbgrader']).__name__}, should be an object); "
                              "copy the cell from the released notebook")
    tags = metadata.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise SubmissionError(f"{where} has malformed tags (should be a list of strings); "
                              "edit or remove the cell's tags")


def notebook_to_source(text: str, *, name: str) -> tuple[str, list[str]]:
    """The code cells of a notebook as one script, plus warnings about skipped lines.

    Test cells are left out, so a failing assert of the student's own notebook
    cannot stop the rest of it from being graded.
    """
    import nbformat  # noqa: PLC0415 - slow to import (jsonschema); only notebooks need it

    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as err:  # nbformat raises several unrelated types on bad input
        raise SubmissionError(f"{name} is not a readable notebook: {type(err).__name__}: {err}") from None
    chunks: list[str] = []
    warnings: list[str] = []
    if not isinstance(notebook.get("cells"), list):
        raise SubmissionError(f"{name} is not a readable notebook: it has no list of cells")
    for index, cell in enumerate(notebook.cells):
        _check_cell(cell, where=f"{name}: cell {index + 1}")
        if cell.get("cell_type") != "code" or is_test_cell(cell):
            continue
        if str(cell.get("source", "")).lstrip().startswith("%%"):
            first = str(cell.get("source", "")).lstrip().splitlines()[0]
            warnings.append(f"cell {index + 1}: skipped a {first.split()[0]} cell (not Python)")
            continue
        kept: list[str] = []
        for line in str(cell.get("source", "")).splitlines():
            if _is_ipython_only(line):
                warnings.append(f"cell {index + 1}: skipped IPython-only line {line.strip()[:60]!r}")
                kept.append("")  # keep line numbers of the rest stable
            else:
                kept.append(line)
        chunks.append("\n".join(kept))
    return "\n\n".join(chunks) + "\n", warnings


def _source_from_bytes(data: bytes, *, name: str) -> tuple[str, list[str]]:
    text = decode_source(data, name=name)
    if name.endswith(".ipynb"):
        return notebook_to_source(text, name=name)
    return text, []


def _is_candidate(name: str) -> bool:
    """A source file a student meant to submit: not a test, not inside a hidden or tool folder
    (``.ipynb_checkpoints``, ``__MACOSX``, ``__pycache__``)."""
    path = PurePosixPath(name)
    hidden = any(part.startswith((".", "__")) for part in path.parts)
    return name.endswith(SOURCE_SUFFIXES) and not hidden and not path.name.startswith("test_")


def _pick_source(names: list[str], *, preferred: str | None, where: str) -> str:
    candidates = sorted(n for n in names if _is_candidate(n))
    if preferred is not None:
        for suffix in SOURCE_SUFFIXES:
            named = [n for n in candidates if PurePosixPath(n).name == f"{preferred}{suffix}"]
            if named:
                return named[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise SubmissionError(f"{where} holds no .py or .ipynb file")
    raise SubmissionError(f"{where} holds several source files ({', '.join(candidates)}); "
                          f"name yours {preferred or '<assignment>'}.py or .ipynb")


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and "\\" not in name


def _read_zip(path: Path, *, preferred: str | None) -> tuple[str, list[str]]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            unsafe = [i.filename for i in infos if not _safe_member(i.filename)]
            if unsafe:
                raise SubmissionError(f"{path.name} has unsafe paths: {', '.join(unsafe[:3])}")
            chosen = _pick_source([i.filename for i in infos], preferred=preferred, where=path.name)
            info = archive.getinfo(chosen)
            if info.file_size > MAX_SOURCE_BYTES:
                raise SubmissionError(f"{chosen} in {path.name} is too large ({info.file_size} bytes)")
            with archive.open(info) as member:
                data = member.read(MAX_SOURCE_BYTES + 1)
    except SubmissionError:
        raise
    except Exception as err:  # zipfile raises many unrelated types on a hostile archive
        raise SubmissionError(_unreadable_zip(path.name, err)) from None
    return _source_from_bytes(data, name=chosen)


def _unreadable_zip(name: str, err: Exception) -> str:
    """Why the archive ``name`` could not be read, for the student."""
    if isinstance(err, RuntimeError) and ("encrypted" in str(err) or "password" in str(err)):
        return f"{name} is encrypted (password-protected); submit a zip without a password"
    if isinstance(err, NotImplementedError):
        return (f"{name} uses a compression method the grader cannot read; "
                "make the zip with a standard tool (deflate compression)")
    if isinstance(err, zlib.error):
        return f"{name} is corrupt: its compressed data cannot be unpacked ({err}); make the zip again"
    return f"{name} is not a readable zip archive ({type(err).__name__}: {err})"


def _read_file(path: Path) -> tuple[str, list[str]]:
    with path.open("rb") as handle:
        data = handle.read(MAX_SOURCE_BYTES + 1)
    return _source_from_bytes(data, name=path.name)


def _read_folder(path: Path, *, preferred: str | None) -> tuple[str, list[str]]:
    """The chosen source of a submitted folder; symlinks are refused (they could point at
    the grader's own files)."""
    names = [p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file() or p.is_symlink()]
    chosen = path / _pick_source(names, preferred=preferred, where=path.name)
    if chosen.is_symlink() or not chosen.resolve().is_relative_to(path.resolve()):
        raise SubmissionError(f"{chosen.relative_to(path)} in {path.name} is a symbolic link; "
                              "submit the file itself")
    return _read_file(chosen)


def load_submission(path: Path, *, preferred: str | None = None) -> Submission:
    """Read ``path`` into a ``Submission``; ``preferred`` is the file stem to pick in a folder or zip."""
    path = Path(path)
    if not path.exists():
        raise SubmissionError(f"{path} does not exist")
    if path.is_dir():
        source, warnings = _read_folder(path, preferred=preferred)
    elif path.suffix == ".zip":
        source, warnings = _read_zip(path, preferred=preferred)
    elif path.suffix in SOURCE_SUFFIXES:
        source, warnings = _read_file(path)
    else:
        raise SubmissionError(f"{path.name}: submit a .py, .ipynb, a folder or a .zip")
    return Submission(student_id_of(path), source, path, tuple(warnings))

