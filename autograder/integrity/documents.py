"""Submissions, archived ones and the boilerplate as documents to compare.

A submission is read the way grading reads it (``autograder.submission``: a ``.py``, a
notebook's code cells, a folder or a ``.zip``), so a notebook made from a ``.py`` compares as
that ``.py``. Its code is kept in memory only, for this comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.integrity.fingerprints import Fingerprints, Vocabulary, fingerprints, kgram_hashes
from autograder.integrity.settings import Settings
from autograder.integrity.tokens import Token, cells_tokens
from autograder.sandbox.program import CodeCell
from autograder.submission import SubmissionError, load_submission

CELL_SEPARATOR = "\n\n"
"""Between a notebook's code cells in the text shown (as ``submission.joined`` does)."""
ARCHIVE_SUFFIXES = (".py", ".ipynb", ".zip")


@dataclass(frozen=True)
class Document:
    """One submission's code as compared: its ``name`` (the student id, or ``archive/<path>``),
    the ``text`` shown, its tokens and fingerprints, and where each notebook cell starts."""

    name: str
    text: str
    tokens: tuple[Token, ...]
    prints: Fingerprints
    archived: bool = False
    cells: tuple[tuple[int, int], ...] = ()
    """``(first line in text, cell number)`` of each notebook cell; empty for a script."""


@dataclass(frozen=True)
class Unread:
    """A submission that could not be read, and why (it is not compared)."""

    name: str
    reason: str


def boilerplate_texts(assignment: Any) -> list[str]:
    """The code every student was given: the released stub, every code cell of the released
    notebook (its public test cells too) and the public test files."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(assignment.public_tests.rglob("*.py"))]
    if assignment.released:
        stub = assignment.root / f"{assignment.module}.py"
        return [stub.read_text(encoding="utf-8"), *texts] if stub.is_file() else texts
    from autograder.release.build import stub_source, student_notebook

    cells = [cell.source for cell in student_notebook(assignment).cells if cell.cell_type == "code"]
    return [stub_source(assignment), *cells, *texts]


def solution_texts(assignment: Any) -> list[str]:
    """The instructor's solution (the code the lecture's hints lead to); none for a release folder."""
    if assignment.released:
        return []
    from autograder.release.build import solution_source

    return [solution_source(assignment)]


def all_hashes(texts: Iterable[str], vocabulary: Vocabulary, settings: Settings) -> set[int]:
    """Every ``k``-token hash of ``texts`` (the boilerplate, the solution: not winnowed)."""
    found: set[int] = set()
    for text in texts:
        found.update(kgram_hashes(vocabulary.values(cells_tokens([text], "")), settings.k).tolist())
    return found


def _cell_lines(cells: Sequence[CodeCell]) -> tuple[tuple[int, int], ...]:
    """Where each of a notebook's cells starts in the joined text: ``(line, cell number)``."""
    lines, line = [], 1
    for position, cell in enumerate(cells, start=1):
        lines.append((line, cell.number or position))
        line += cell.source.count("\n") + 1 + CELL_SEPARATOR.count("\n")
    return tuple(lines)


def read_document(name: str, path: Path, *, module: str, vocabulary: Vocabulary, boilerplate: set[int],
                  settings: Settings, archived: bool = False) -> Document | Unread:
    """``path`` read as grading reads it, tokenised and fingerprinted."""
    try:
        submission = load_submission(path, preferred=module)
    except (SubmissionError, OSError) as err:
        return Unread(name, str(err))
    sources = tuple(cell.source for cell in submission.cells) or (submission.source,)
    tokens = tuple(cells_tokens(sources, CELL_SEPARATOR))
    prints = fingerprints(vocabulary.values(tokens), k=settings.k, window=settings.window, boilerplate=boilerplate)
    return Document(name, CELL_SEPARATOR.join(sources), tokens, prints, archived, _cell_lines(submission.cells))


def archived_submissions(archive: Path, module: str) -> Iterator[tuple[str, Path]]:
    """Every submission kept in ``archive``, labelled by its path in it: each ``.py``, ``.ipynb``
    or ``.zip`` file, and each folder holding ``<module>.py`` or ``.ipynb`` as one (hidden and tool
    folders skipped)."""
    for path in sorted(archive.rglob("*")):
        relative = path.relative_to(archive)
        if any(part.startswith((".", "__")) for part in relative.parts):
            continue
        inside_own_folder = any((parent / f"{module}{s}").is_file()
                                for parent in path.parents if parent != archive and parent.is_relative_to(archive)
                                for s in (".py", ".ipynb"))
        if inside_own_folder:
            continue
        if path.is_dir() and any((path / f"{module}{s}").is_file() for s in (".py", ".ipynb")):
            yield f"archive/{relative.as_posix()}", path
        elif path.is_file() and path.suffix in ARCHIVE_SUFFIXES:
            yield f"archive/{relative.as_posix()}", path
