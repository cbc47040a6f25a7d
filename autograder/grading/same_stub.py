"""The untouched stub, graded once: its byte-identical copies take that result.

Students who never start hand in the released notebook as it is; a batch of a few hundred holds
dozens, each the same bytes, and each costs the most of any submission to grade (every case fails,
is diagnosed, and has its downstream judged again). The code is the instructor's own, and the
same bytes are the same program: graded again, a copy would get the same result.

So a warm grading process (``autograder.grading.warm``) keeps the first result it gets for a
submission whose every function is the released stub's, keyed by the submission's content digest
(``fingerprint.content_sha256``), and a later submission with the same digest takes it with its own
student id and time. Only a result the code alone explains is kept: the untouched stub is its only
reason to look, no error, no warning, no output, and no outcome that names the file it was graded
under (a traceback's frames carry the student's file name). Anything else is graded as usual.

The result is also kept in the kit's cache folder (``files.cache_folder``), so the other processes
of the pool and later batches find it, under a key made of everything that could change it: every
file of the kit's ``autograder`` and ``reference`` packages, every file of the assignment but its
samples, the suite's, the assignment as loaded, the versions of Python, NumPy, SymPy and pytest
(``kept_key.grading_digest``). A kept file is JSON
(never pickle, SECURITY.md), written only when it reads back as the very result, and one that does
not parse or holds another student's digest is no result.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from autograder.assignment import Assignment
from autograder.files import cache_folder, write_atomically
from autograder.grading.kept_key import grading_digest
from autograder.grading.needs_look import UNTOUCHED_STUB
from autograder.grading.outcomes import case_from_json, case_json
from autograder.grading.results import GradeResult

FOLDER = "graded-stubs"
_graded: dict[tuple[Assignment, str, object, str], GradeResult] = {}


def _explained_by_code_alone(result: GradeResult) -> bool:
    """Whether ``result`` is the same for every copy of its submission, whatever the file's name."""
    return (result.needs_look == (UNTOUCHED_STUB,) and not result.error and not result.warnings
            and not result.student_output and not result.detail
            and result.student_id not in repr(result.tests))


def remember(assignment: Assignment, suite: Path, digest: str, result: GradeResult) -> None:
    """Keep ``result`` of the submission with content ``digest``, if it is the untouched stub's, here
    and in the cache folder."""
    if not digest or not _explained_by_code_alone(result):
        return
    key = _key(assignment, suite, digest)
    if key not in _graded:
        _graded[key] = result = dataclasses.replace(result, submission_sha256=digest)
        _save(assignment, suite, digest, result)


def recall(assignment: Assignment, suite: Path, digest: str, student_id: str, started: float) -> GradeResult | None:
    """The kept result for content ``digest`` as ``student_id``'s (graded since ``started``); None:
    grade it."""
    if not digest:
        return None
    key = _key(assignment, suite, digest)
    kept = _graded.get(key)
    if kept is None:
        kept = _load(assignment, suite, digest)
        if kept is None:
            return None
        _graded[key] = kept
    return dataclasses.replace(kept, student_id=student_id, execution_time=time.monotonic() - started)


def _key(assignment: Assignment, suite: Path, digest: str) -> tuple[Assignment, str, object, str]:
    from autograder.grading.warm import suite_key

    return assignment, str(suite), suite_key(suite), digest


def _file(assignment: Assignment, suite: Path, digest: str, *, kept_only: bool) -> Path | None:
    """Where the result for ``digest`` is kept; with ``kept_only``, None unless some result for it
    is (one look, before the key is made)."""
    folder = cache_folder()
    if folder is None:
        return None
    place = folder / FOLDER / digest
    if kept_only and not place.is_dir():
        return None
    stamp = grading_digest(assignment, suite)
    return None if stamp is None else place / f"{stamp}.json"


def _save(assignment: Assignment, suite: Path, digest: str, result: GradeResult) -> None:
    path = _file(assignment, suite, digest, kept_only=False)
    if path is None or path.exists():
        return
    text = json.dumps(_encoded(result), allow_nan=False)
    if _decoded(text, digest) != result:
        return  # a result that does not read back as itself is kept in this process only
    try:
        write_atomically(path, text, private=True)
    except OSError:
        pass


def _load(assignment: Assignment, suite: Path, digest: str) -> GradeResult | None:
    path = _file(assignment, suite, digest, kept_only=True)
    if path is None:
        return None
    try:
        return _decoded(path.read_text(encoding="utf-8"), digest)
    except OSError:
        return None


def _encoded(result: GradeResult) -> dict[str, Any]:
    fields = {field.name: getattr(result, field.name) for field in dataclasses.fields(result)}
    fields["tests"] = [case_json(case) for case in result.tests]
    return fields


def _decoded(text: str, digest: str) -> GradeResult | None:
    """The result ``text`` holds, if it is one, of the submission with content ``digest``."""
    try:
        fields = json.loads(text)
        tests = tuple(case_from_json(case) for case in fields.pop("tests"))
        result = GradeResult(**{**fields, "tests": tests, "warnings": tuple(fields["warnings"]),
                                "needs_look": tuple(fields["needs_look"])})
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if result.submission_sha256 != digest or not _explained_by_code_alone(result):
        return None
    return result
