"""The similarity check of a batch: read, fingerprint, compare, write ``similarity.html`` and
``similarity.json`` into the output folder.

Student code is read into memory for the comparison and written nowhere but the page in the
output folder (the archive's too): no cache, no copy elsewhere. ``similarity.json`` holds the
pairs, scores, line ranges and shared misconceptions, not the code; the batch report
(``report.html``, ``summary.json``) lists the same pairs.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autograder.files import write_atomically
from autograder.integrity.documents import (
    Document,
    Unread,
    all_hashes,
    archived_submissions,
    boilerplate_texts,
    read_document,
    solution_texts,
)
from autograder.integrity.fingerprints import Vocabulary
from autograder.integrity.misconceptions import Diagnoses, read_diagnoses
from autograder.integrity.page import region_lines, render_page, shown_lines
from autograder.integrity.pairs import Pair, similar_pairs
from autograder.integrity.settings import Settings
from autograder.submission import student_id_of

SIMILARITY_HTML = "similarity.html"
SIMILARITY_JSON = "similarity.json"
FORMAT_VERSION = 1
MAX_PAIRS_DRAWN = 200
"""Pairs whose code the page shows side by side, highest score first; the table lists them all."""


class SimilarityError(ValueError):
    """A comparison that cannot be made as asked (no submission, two with one id, a bad archive)."""


@dataclass(frozen=True)
class Similarity:
    """What the check wrote: the page, the JSON, and its content."""

    html: Path
    json: Path
    content: dict[str, Any]


def named_submissions(submissions: Mapping[str, Path] | Sequence[Path]) -> dict[str, Path]:
    """``{student id: path}``: as given, or each path under the id grading gives it. A path given for
    several students (a group's one submission in a Gradescope export) is compared once, under its
    first student: the members' identical copies are not a pair."""
    if isinstance(submissions, Mapping):
        firsts: dict[Path, str] = {}
        for student, path in submissions.items():
            firsts.setdefault(Path(path).resolve(), student)
        return {student: Path(path) for student, path in submissions.items()
                if firsts[Path(path).resolve()] == student}
    named: dict[str, Path] = {}
    for path in submissions:
        student = student_id_of(Path(path))
        if student in named:
            raise SimilarityError(f"{named[student]} and {path} are both student {student!r}; pass one of them")
        named[student] = Path(path)
    return named


def _read(named: Mapping[str, Path], archive: Path | None, module: str, vocabulary: Vocabulary,
          boilerplate: set[int], settings: Settings) -> tuple[list[Document], list[Unread]]:
    entries = [(name, path, False) for name, path in named.items()]
    if archive is not None:
        entries += [(name, path, True) for name, path in archived_submissions(archive, module)]
    documents: list[Document] = []
    unread: list[Unread] = []
    for name, path, archived in entries:
        read = read_document(name, path, module=module, vocabulary=vocabulary, boilerplate=boilerplate,
                             settings=settings, archived=archived)
        (documents if isinstance(read, Document) else unread).append(read)  # type: ignore[arg-type]
    return documents, unread


def pair_row(number: int, pair: Pair, diagnoses: Diagnoses, settings: Settings) -> dict[str, Any]:
    """One listed pair as plain data (``similarity.json``, ``summary.json``)."""
    return {"number": number, "a": pair.a.name, "b": pair.b.name, "a_archived": pair.a.archived,
            "b_archived": pair.b.archived, "score": round(pair.score, 4), "share_a": round(pair.share_a, 4),
            "share_b": round(pair.share_b, 4), "matched_tokens": pair.matched_tokens,
            "lines_a": region_lines(pair.a, pair.regions_a), "lines_b": region_lines(pair.b, pair.regions_b),
            "shared_misconceptions": diagnoses.shared(pair.a.name, pair.b.name, settings)}


def _content(assignment_id: str, rows: list[dict[str, Any]], documents: list[Document], unread: list[Unread],
             settings: Settings, graded: int) -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, "assignment": assignment_id,
            "generated": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "settings": asdict(settings), "compared": sum(not d.archived for d in documents),
            "archived": sum(d.archived for d in documents), "graded": graded,
            "unread": [{"name": u.name, "reason": u.reason} for u in unread], "pairs": rows}


def check_similarity(assignment: Any, submissions: Mapping[str, Path] | Sequence[Path], out_dir: Path, *,
                     settings: Settings | None = None, archive: Path | None = None) -> Similarity:
    """Compare ``submissions`` with each other (and with ``archive``'s, if given) and write
    ``out_dir/similarity.html`` and ``out_dir/similarity.json``. The misconceptions each pair
    shares come from ``out_dir/<student>/results.json`` when the batch was graded there."""
    settings = settings or Settings()
    named = named_submissions(submissions)
    if not named:
        raise SimilarityError("no submission to compare")
    if archive is not None and not archive.is_dir():
        raise SimilarityError(f"--against {archive}: not a folder")
    vocabulary = Vocabulary()
    boilerplate = all_hashes(boilerplate_texts(assignment), vocabulary, settings)
    documents, unread = _read(named, archive, assignment.module, vocabulary, boilerplate, settings)
    pairs = similar_pairs(documents, settings, expected=all_hashes(solution_texts(assignment), vocabulary, settings))
    diagnoses = read_diagnoses(out_dir, assignment.id)
    rows = [pair_row(n, pair, diagnoses, settings) for n, pair in enumerate(pairs, start=1)]
    content = _content(assignment.id, rows, documents, unread, settings, len(diagnoses.by_student))
    out_dir.mkdir(parents=True, exist_ok=True)
    shown = [(row, shown_lines(pair.a, pair.regions_a), shown_lines(pair.b, pair.regions_b))
             for row, pair in zip(rows[:MAX_PAIRS_DRAWN], pairs)]
    write_atomically(out_dir / SIMILARITY_JSON, json.dumps(content, indent=2) + "\n")
    write_atomically(out_dir / SIMILARITY_HTML, render_page({"c": content, "shown": shown,
                                                             "title": getattr(assignment, "title", assignment.id)}))
    return Similarity(out_dir / SIMILARITY_HTML, out_dir / SIMILARITY_JSON, content)


def read_similarity(folder: Path) -> dict[str, Any] | None:
    """``folder/similarity.json`` as the batch report shows it, or ``None`` when there is none (or it
    cannot be read: the report stands without it)."""
    path = folder / SIMILARITY_JSON
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(content, dict) and content.get("format_version") == FORMAT_VERSION
    return content if ok else None
