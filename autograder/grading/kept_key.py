"""What a grade kept on disk depends on besides the submission, as one digest.

The kit keeps two kinds of grading in its cache folder (``files.cache_folder``) for later processes:
the untouched stub's result (``same_stub``) and the first passing run's transcript and outcomes
(``passing_cache``). A later process may take one only when nothing that could change it changed:
every file of the kit's ``autograder`` and ``reference`` packages, every file of the assignment but
its samples, the suite's, the assignment's settings, and the versions of Python, NumPy, SymPy and
pytest. ``grading_digest`` names all of them; any change gives another digest, so the old file is
never read again. Where the files lie is not part of it: a course copied elsewhere (a Dask worker
unpacks it into a folder of its own) finds what the same files kept.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import sys
from pathlib import Path

from autograder.assignment import Assignment
from autograder.fingerprint import feed_files, file_stamps, installed_version, source_files

SKIPPED_IN_ASSIGNMENT = ("samples",)
"""The assignment's folders no grade depends on: its sample submissions."""


def grading_digest(assignment: Assignment, suite: Path) -> str | None:
    """The digest of everything a grade of ``assignment`` against ``suite`` depends on besides the
    submission (see the module's docstring); None when one of its files cannot be read. Hashed once
    per process while the assignment's and the suite's files keep their sizes and times."""
    try:
        stamp = (file_stamps(assignment.root, source_files(assignment.root, SKIPPED_IN_ASSIGNMENT)),
                 file_stamps(suite, source_files(suite)))
    except OSError:
        return None
    return _digest(assignment, str(suite), stamp)


@functools.lru_cache(maxsize=16)
def _digest(assignment: Assignment, suite: str, stamp: object) -> str | None:
    import numpy

    import autograder
    import reference

    settings = dataclasses.replace(assignment, root=Path("."))  # where the course lies changes no grade
    versions = (f"python {sys.version}\0numpy {numpy.__version__}\0sympy {installed_version('sympy', 'release.py')}"
                f"\0pytest {installed_version('_pytest', '_version.py')}\0")
    digest = hashlib.sha256(f"{versions}{settings!r}\0".encode("utf-8", "surrogatepass"))
    trees = [(Path(autograder.__file__).parent, ()), (Path(reference.__file__).parent, ()),
             (assignment.root, SKIPPED_IN_ASSIGNMENT), (Path(suite), ())]
    try:
        for index, (root, skipped) in enumerate(trees):
            digest.update(f"tree {index}\0".encode())
            feed_files(digest, root, source_files(root, skipped))
    except OSError:
        return None
    return digest.hexdigest()[:32]
