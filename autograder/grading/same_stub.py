"""The untouched stub, graded once per grading process: its byte-identical copies take that result.

Students who never start hand in the released notebook as it is; a batch of a few hundred holds
dozens, each the same bytes, and each costs the most of any submission to grade (every case fails,
is diagnosed, and has its downstream judged again). The code is the instructor's own, and the
same bytes are the same program: graded again, a copy would get the same result.

So a warm grading process (``autograder.grading.warm``) keeps the first result it gets for a
submission whose every function is the released stub's, keyed by the submission's content digest
(``fingerprint.content_sha256``), the assignment and the suite's content, and a later submission
with the same digest takes it with its own student id and time. Only a result the code alone
explains is kept: the untouched stub is its only reason to look, no error, no warning, no output,
and no outcome that names the file it was graded under (a traceback's frames carry the student's
file name). Anything else is graded as usual.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from autograder.assignment import Assignment
from autograder.grading.needs_look import UNTOUCHED_STUB
from autograder.grading.results import GradeResult

_Key = tuple[Assignment, str, object, str]
_graded: dict[_Key, GradeResult] = {}


def _key(assignment: Assignment, suite: Path, digest: str) -> _Key:
    from autograder.grading.warm import suite_key

    return assignment, str(suite), suite_key(suite), digest


def _explained_by_code_alone(result: GradeResult) -> bool:
    """Whether ``result`` is the same for every copy of its submission, whatever the file's name."""
    return (result.needs_look == (UNTOUCHED_STUB,) and not result.error and not result.warnings
            and not result.student_output and not result.detail
            and result.student_id not in repr(result.tests))


def remember(assignment: Assignment, suite: Path, digest: str, result: GradeResult) -> None:
    """Keep ``result`` of the submission with content ``digest``, if it is the untouched stub's."""
    if digest and _explained_by_code_alone(result):
        _graded.setdefault(_key(assignment, suite, digest), result)


def recall(assignment: Assignment, suite: Path, digest: str, student_id: str, started: float) -> GradeResult | None:
    """The kept result for content ``digest`` as ``student_id``'s (graded since ``started``); None:
    grade it."""
    if not _graded or not digest:
        return None
    kept = _graded.get(_key(assignment, suite, digest))
    if kept is None:
        return None
    return dataclasses.replace(kept, student_id=student_id, execution_time=time.monotonic() - started)
