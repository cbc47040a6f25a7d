"""Read a submission from disk into the cells the sandbox runs.

Accepted forms: a ``.py`` file (one cell); a ``.ipynb`` notebook (its code
cells, numbered by their position in the notebook, with IPython magics and
``!`` shell lines dropped and reported; ``%time``/``%%time``-style magics run
their Python); a directory holding either; a ``.zip`` holding either (absolute
paths and ``..`` are rejected, and so is an archive that unpacks past
``MAX_SOURCE_BYTES``). In a folder or zip the file named after the assignment's
module is chosen, also when renamed the way students do (``activations (1).py``,
see ``naming``).

The student id is the file's stem or the directory's name, when that name can
be one (``student_id_of``). Every problem is a ``SubmissionError`` with a
message meant for the student (an empty file says so, a notebook nested too
deeply to read too); nothing here runs the student's code. What a student wrote
is data: text is made valid Unicode (``escaping.valid_text``) as it is read.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from autograder.escaping import strip_controls, valid_text
from autograder.naming import names_module
from autograder.sandbox.program import CodeCell, Program

MAX_SOURCE_BYTES = 5 * 1024 * 1024
SOURCE_SUFFIXES = (".py", ".ipynb")
RESERVED_IDS = frozenset({"grades", "grades.csv", "report.html", "summary.json"})
"""Names of the kit's own files in a batch's output folder (compared case-insensitively): a student
named so gets a derived id, so that their folder never is, or shadows, one of them."""
ID_MARK = "~"
"""Joins a derived student id's readable part and its digest: ``grades.csv~1f0c...``."""
_DERIVED_ID = re.compile(re.escape(ID_MARK) + r"[0-9a-f]{16}\Z")
MAX_READABLE_ID = 64
"""Characters of the name a derived id keeps (a file name's bytes may triple as U+FFFD)."""


class SubmissionError(Exception):
    """A submission that cannot be read; the message is shown to the student (as valid text:
    it may quote the file's own names)."""

    def __init__(self, message: str) -> None:
        super().__init__(valid_text(message))


@dataclass(frozen=True)
class Submission:
    """A submission's source code, ready for the sandbox.

    ``cells`` are a notebook's code cells (empty for a script: ``source`` is then
    its one cell); ``source`` is always the whole code as one text.
    """

    student_id: str
    source: str
    origin: Path
    warnings: tuple[str, ...] = field(default=())
    cells: tuple[CodeCell, ...] = field(default=())

    @property
    def filename(self) -> str:
        """The name the submission's frames carry in tracebacks."""
        return f"{self.student_id}{'.ipynb' if self.cells else '.py'}"

    def program(self) -> Program:
        """What the sandbox runs: every top-level statement on its own, a failing one costing only itself."""
        return Program(self.cells or (CodeCell(self.source),), keep_going=True)


def student_id_of(path: Path) -> str:
    """The student id a path stands for: ``safe_student_id`` of a file's stem, a directory's name."""
    return safe_student_id(path.name if path.is_dir() else path.stem)


def safe_student_id(name: str) -> str:
    """``name`` as a student id: itself when it is plain text that cannot be taken for one of the
    kit's files (``_is_plain_id``), else an id derived from it (``_derived_id``), the same every
    time, and different for every other name. Any id that comes from outside the kit (a file
    name, an LMS export) goes through here before it names a folder or a row."""
    return name if _is_plain_id(name) else _derived_id(name)


def _is_plain_id(name: str) -> bool:
    """Whether ``name`` can be a student id as it is: valid Unicode without control, bidi, tab or
    newline characters (it is a folder, a CSV cell, a line of the terminal); not empty, hidden or a
    name of the kit's own files; and not shaped like a derived id, which it could then clash with."""
    return (bool(name) and not name.startswith(".") and name.casefold() not in RESERVED_IDS
            and strip_controls(name) == name and "\t" not in name and "\n" not in name
            and _DERIVED_ID.search(name) is None)


def _derived_id(name: str) -> str:
    """A safe id for a name that cannot be one: the name's text (bytes that are not UTF-8 shown as
    U+FFFD, controls removed, no leading dot, at most ``MAX_READABLE_ID`` characters), then
    ``ID_MARK`` and 16 hex digits of the sha256 of its bytes. The digest keeps two names that read
    the same apart, and keeps the id stable, so ``--resume`` finds the student's grade again."""
    try:
        raw = os.fsencode(name)
    except UnicodeEncodeError:  # a surrogate that no file name's bytes made
        raw = name.encode("utf-8", "surrogatepass")
    readable = " ".join(strip_controls(raw.decode("utf-8", "replace")).split()).lstrip(".")
    return f"{readable[:MAX_READABLE_ID] or 'student'}{ID_MARK}{hashlib.sha256(raw).hexdigest()[:16]}"


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
_SHELL_ASSIGNMENT = re.compile(r"^\s*[\w.]+(\s*,\s*[\w.]+)*\s*=\s*[!%]")
_TIMED_LINE = re.compile(r"^(\s*)%(?:time|timeit|prun)\s+(?!-)(.*)$")
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})
"""Cell magics whose body is Python: the body runs (once), the magic line is dropped."""


def _is_ipython_only(line: str) -> bool:
    """A line magic, a shell escape, ``x = !ls`` or an ``np.sin?`` help request."""
    return (line.lstrip().startswith(("%", "!")) or bool(_HELP_LINE.match(line))
            or bool(_SHELL_ASSIGNMENT.match(line)))


def has_code(text: str) -> bool:
    """Whether ``text`` holds anything but blank lines and comments."""
    return any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines())


def is_test_cell_to_skip(cell: dict) -> bool:  # type: ignore[type-arg]
    """A cell of a student's notebook that holds tests, not the student's code, so loading skips it:
    an nbgrader autograded-test cell, or one tagged ``tests`` (the kit's suites grade instead).
    (The instructor source's test cells are ``release.nbgrader_cells.is_source_test_cell``.)

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


def _cell_python(source: str, number: int) -> tuple[str | None, list[str]]:
    """The Python of one code cell (None when the whole cell is not Python), and what was dropped.

    A dropped line becomes a blank line (``pass`` when indented), so the line
    numbers of the rest stay those the student sees.
    """
    first = source.lstrip().splitlines()[0] if source.strip() else ""
    lines = source.splitlines()
    if first.startswith("%%"):
        magic = first[2:].split()[0] if first[2:].split() else ""
        if magic not in PYTHON_CELL_MAGICS:
            return None, [f"cell {number}: skipped a %%{magic} cell (not Python)"]
        magic_at = next(i for i, line in enumerate(lines) if line.strip())
        lines[magic_at] = ""  # the body is Python: run it once, without the magic
    kept, warnings = [], []
    for index, line in enumerate(lines, start=1):
        timed = _TIMED_LINE.match(line)
        if timed:
            kept.append(timed.group(1) + timed.group(2))  # %time x = f(): run x = f()
        elif _is_ipython_only(line):
            warnings.append(f"cell {number}, line {index}: skipped IPython-only line {line.strip()[:60]!r}")
            indent = line[:len(line) - len(line.lstrip())]
            kept.append(f"{indent}pass" if indent else "")
        else:
            kept.append(line)
    return "\n".join(kept), warnings


def notebook_cells(text: str, *, name: str) -> tuple[list[CodeCell], list[str]]:
    """The code cells of a notebook, numbered by their position, plus warnings about dropped lines.

    Test cells are left out, so a failing assert of the student's own notebook
    costs nothing (the kit's suites grade instead).
    """
    notebook = _notebook_json(text, name=name)
    if not isinstance(notebook.get("cells"), list):
        raise SubmissionError(f"{name} is not a readable notebook: it has no list of cells")
    cells: list[CodeCell] = []
    warnings: list[str] = []
    for index, cell in enumerate(notebook["cells"], start=1):
        _check_cell(cell, where=f"{name}: cell {index}")
        if cell.get("cell_type") != "code" or is_test_cell_to_skip(cell):
            continue
        python, dropped = _cell_python(_cell_text(cell.get("source", ""), where=f"{name}: cell {index}"), index)
        warnings += dropped
        if python is not None:
            cells.append(CodeCell(python, index))
    return cells, warnings


def _notebook_json(text: str, *, name: str) -> dict[str, Any]:
    """The notebook as the JSON object it is. Format 4 (every Jupyter since 2015) is read as it
    stands; an older one goes through nbformat's converter. Reading the JSON directly keeps
    nbformat, and the 1.4 s its schema validator takes to import, off the grading path."""
    try:
        notebook = json.loads(text)
    except RecursionError:
        raise SubmissionError(f"{name} is not a readable notebook: its JSON is nested too deeply to read; "
                              "copy your code into a fresh notebook") from None
    except ValueError as err:
        raise SubmissionError(f"{name} is not a readable notebook: {type(err).__name__}: {err}") from None
    if not isinstance(notebook, dict):
        raise SubmissionError(f"{name} is not a readable notebook: it is not a JSON object")
    if notebook.get("nbformat") == 4:
        return notebook
    import nbformat

    try:
        converted: dict[str, Any] = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
    except Exception as err:  # nbformat raises several unrelated types on bad input
        raise SubmissionError(f"{name} is not a readable notebook: {type(err).__name__}: {err}") from None
    return converted


def _cell_text(source: object, *, where: str) -> str:
    """A cell's source, as valid Unicode (a JSON ``"\\ud800"`` is a lone surrogate no compiler takes):
    notebook files store it as one string or as a list of lines. Anything else (a number, a nested
    list, at any depth) is a ``SubmissionError``, never converted (``str`` of a deep list overflows)."""
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return valid_text("".join(source))
    if isinstance(source, str):
        return valid_text(source)
    raise SubmissionError(f"{where} has a malformed source (should be text or a list of lines); "
                          "copy the cell into a fresh notebook")


def notebook_to_source(text: str, *, name: str) -> tuple[str, list[str]]:
    """The code cells of a notebook as one script, plus warnings about skipped lines."""
    cells, warnings = notebook_cells(text, name=name)
    return joined(cells), warnings


def joined(cells: list[CodeCell]) -> str:
    """Cells as one script, separated by a blank line."""
    return "\n\n".join(cell.source for cell in cells) + "\n"


@dataclass(frozen=True)
class _Read:
    """What one source file holds."""

    source: str
    warnings: list[str]
    cells: tuple[CodeCell, ...] = ()


def _source_from_bytes(data: bytes, *, name: str) -> _Read:
    text = decode_source(data, name=name)
    if name.endswith(".ipynb"):
        cells, warnings = notebook_cells(text, name=name)
        if not any(has_code(cell.source) for cell in cells):
            raise SubmissionError(f"{name} holds no code: its code cells are empty; "
                                  "save the notebook with your work in it and submit it again")
        return _Read(joined(cells), warnings, tuple(cells))
    if not text.strip():
        raise SubmissionError(f"{name} is empty; submit the file with your code in it")
    if not has_code(text):
        raise SubmissionError(f"{name} holds only comments, no code; submit the file with your code in it")
    return _Read(text, [])


def _is_candidate(name: str) -> bool:
    """A source file a student meant to submit: not a test, not inside a hidden or tool folder
    (``.ipynb_checkpoints``, ``__MACOSX``, ``__pycache__``)."""
    path = PurePosixPath(name)
    hidden = any(part.startswith((".", "__")) for part in path.parts)
    return name.endswith(SOURCE_SUFFIXES) and not hidden and not path.name.startswith("test_")


def _pick_source(names: list[str], *, preferred: str | None, where: str) -> str:
    """The source file to grade: named ``<preferred>.py``/``.ipynb``, else the one file whose name
    refers to ``preferred`` (``activations (1).py``), else the only source file."""
    candidates = sorted(n for n in names if _is_candidate(n))
    if preferred is not None:
        for suffix in SOURCE_SUFFIXES:
            named = [n for n in candidates if PurePosixPath(n).name == f"{preferred}{suffix}"]
            if named:
                return named[0]
        renamed = [n for n in candidates if names_module(n, preferred)]
        if len(renamed) == 1:
            return renamed[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise SubmissionError(f"{where} holds no .py or .ipynb file")
    raise SubmissionError(f"{where} holds several source files ({', '.join(candidates)}); "
                          f"name yours {preferred or '<assignment>'}.py or .ipynb")


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and "\\" not in name


def _read_zip(path: Path, *, preferred: str | None) -> _Read:
    import zipfile  # here: only a zip needs it, and ``check`` starts its worker before much loads

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


def _read_file(path: Path) -> _Read:
    with path.open("rb") as handle:
        data = handle.read(MAX_SOURCE_BYTES + 1)
    return _source_from_bytes(data, name=path.name)


def _only_zip(names: list[str]) -> str | None:
    """The one ``.zip`` of a folder holding no source file: a Moodle student folder or Gradescope's
    ``submission/`` holding the archive the student uploaded."""
    if any(_is_candidate(n) for n in names):
        return None
    zips = [n for n in names if n.endswith(".zip")
            and not any(part.startswith((".", "__")) for part in PurePosixPath(n).parts)]
    return zips[0] if len(zips) == 1 else None


def _read_folder(path: Path, *, preferred: str | None) -> _Read:
    """The chosen source of a submitted folder (or of the one zip it holds, if it holds no source
    file); symlinks are refused (they could point at the grader's own files)."""
    names = [p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file() or p.is_symlink()]
    archive = _only_zip(names)
    chosen = path / (archive or _pick_source(names, preferred=preferred, where=path.name))
    if chosen.is_symlink() or not chosen.resolve().is_relative_to(path.resolve()):
        raise SubmissionError(f"{chosen.relative_to(path)} in {path.name} is a symbolic link; "
                              "submit the file itself")
    return _read_zip(chosen, preferred=preferred) if archive else _read_file(chosen)


def load_submission(path: Path, *, preferred: str | None = None) -> Submission:
    """Read ``path`` into a ``Submission``; ``preferred`` is the file stem to pick in a folder or zip."""
    path = Path(path)
    if not path.exists():
        raise SubmissionError(f"{path} does not exist")
    if path.is_dir():
        read = _read_folder(path, preferred=preferred)
    elif path.suffix == ".zip":
        read = _read_zip(path, preferred=preferred)
    elif path.suffix in SOURCE_SUFFIXES:
        read = _read_file(path)
    else:
        raise SubmissionError(f"{path.name}: submit a .py, .ipynb, a folder or a .zip")
    return Submission(student_id_of(path), read.source, path, tuple(read.warnings), read.cells)


def source_names(path: Path) -> list[str]:
    """The names of the source files a submission holds (for telling its assignment):
    the file itself, or the ``.py``/``.ipynb`` files in a folder or zip (and its own name)."""
    path = Path(path)
    names = [path.name]
    try:
        if path.is_dir():
            names += [p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()]
        elif path.suffix == ".zip":
            import zipfile

            with zipfile.ZipFile(path) as archive:
                names += archive.namelist()
    except Exception:  # an unreadable folder or zip: its own name is all there is to go on
        return names
    return [names[0], *(n for n in names[1:] if _is_candidate(n))]

