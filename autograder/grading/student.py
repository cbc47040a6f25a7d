"""The ``student`` a suite talks to: a proxy over one sandboxed submission."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autograder.submission import Submission, load_submission


@contextmanager
def student_for(submission: Submission) -> Iterator[Any]:
    """A proxy to ``submission``'s functions.

    INTERIM: imports the code in-process until the sandbox lands; trusted code only.
    """
    import types

    module = types.ModuleType("submission")
    exec(compile(submission.source, f"{submission.student_id}.py", "exec"), module.__dict__)
    yield module


@contextmanager
def sandboxed_student(path: Path) -> Iterator[Any]:
    """Load the submission at ``path`` and yield a proxy to it."""
    with student_for(load_submission(path)) as proxy:
        yield proxy
