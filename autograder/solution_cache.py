"""The instructor solution and the released stub as scripts, kept on disk between processes.

``autograder.release.solution_source`` and ``stub_source`` build them from ``source.py``
through the notebook pipeline, which imports nbformat (1.5 to 4 s, mostly its schema
validator's dependencies). Diagnosis, a warm grading process and the untouched-stub check
(``autograder.grading.needs_look``) need only the text, so it is kept in the kit's cache folder
(``AUTOGRADER_CACHE``, see ``autograder.suite.expectation_cache``) under a key made of
``source.py``'s bytes and the release pipeline's own code: an edited source or a changed
pipeline is built again. A missing, unreadable or unwritable cache only costs the build.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from autograder.assignment import Assignment
from autograder.files import cache_folder, write_atomically

_PIPELINE = Path(__file__).resolve().parent / "release"
Script = Literal["solution", "stub"]
_FOLDERS: dict[Script, str] = {"solution": "solutions", "stub": "stubs"}


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
    return _cached(assignment, "solution")


def stub_source(assignment: Assignment) -> str:
    """``autograder.release.stub_source(assignment)``, from the cache when it holds it."""
    return _cached(assignment, "stub")


def _cached(assignment: Assignment, script: Script) -> str:
    folder = cache_folder()
    path = None if folder is None else folder / _FOLDERS[script] / f"{assignment.id}-{_key(assignment)}.py"
    if path is not None:
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            pass
    text = _build(assignment, script)
    if path is not None:
        try:
            write_atomically(path, text, private=True)
        except OSError:
            pass  # not kept: built again next time
    return text


def _build(assignment: Assignment, script: Script) -> str:
    from autograder import release

    return release.solution_source(assignment) if script == "solution" else release.stub_source(assignment)
