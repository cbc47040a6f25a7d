"""The instructor solution as a script, kept on disk between processes.

``autograder.release.solution_source`` builds it from ``source.py`` through the
notebook pipeline, which imports nbformat (about 1.5 s, mostly its schema
validator's dependencies). Diagnosis and a warm grading process need only the
text, so it is kept in the kit's cache folder (``AUTOGRADER_CACHE``, see
``autograder.suite.expectation_cache``) under a key made of ``source.py``'s bytes
and the release pipeline's own code: an edited source or a changed pipeline is
built again. A missing, unreadable or unwritable cache only costs the build.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from autograder.assignment import Assignment
from autograder.files import write_atomically
from autograder.suite.expectation_cache import cache_folder

_PIPELINE = Path(__file__).resolve().parent / "release"


def _key(assignment: Assignment) -> str:
    digest = hashlib.sha256()
    for part in (assignment.title, assignment.module):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(assignment.source_path.read_bytes())
    for code in sorted(_PIPELINE.glob("*.py")):
        digest.update(code.name.encode("utf-8") + b"\0" + code.read_bytes())
    return digest.hexdigest()[:32]


def solution_source(assignment: Assignment) -> str:
    """``autograder.release.solution_source(assignment)``, from the cache when it holds it."""
    folder = cache_folder()
    path = None if folder is None else folder / "solutions" / f"{assignment.id}-{_key(assignment)}.py"
    if path is not None:
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            pass
    from autograder.release import solution_source as build

    text = build(assignment)
    if path is not None:
        try:
            write_atomically(path, text, private=True)
        except OSError:
            pass  # not kept: built again next time
    return text


