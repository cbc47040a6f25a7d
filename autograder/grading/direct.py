"""The grading side of a hidden or public suite run by hand with pytest::

    pytest --submission alice.py assignments/activations/tests/hidden

A pytest plugin (registered with ``autograder.suite.plugin`` as an entry point,
or with ``-p autograder.grading.direct``): it answers the suite plugin's
``pytest_autograder_student`` hook with a sandboxed student for the file, with
the default limits (``autograder.grading.student.sandboxed_student``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.suite.plugin import StudentFactory


def pytest_autograder_student(config: pytest.Config, path: Path) -> StudentFactory:
    from autograder.grading.student import sandboxed_student  # heavy: only when a suite runs

    return lambda: sandboxed_student(path)
