"""The ``tests/conftest.py`` a release holds, as a template (``autograder.release.readme`` fills it in).

Kept apart from the release package so that ``autograder check`` can recognise the file
(``autograder.grading.plain``) without importing what builds releases.
"""

CONFTEST = '''\
"""Lets pytest run these public tests against your {module} file.

In this folder, run

    pytest --submission {module}.py tests/

(or ``--submission {module}.ipynb`` if you work in the notebook; plain
``pytest tests/`` uses {module}.py). ``autograder check {module}.py`` runs the
same tests and shows a friendlier report. Both need the kit: {command}
"""

from pathlib import Path

import pytest

try:
    import autograder.suite.plugin  # noqa: F401  (the kit)
except ImportError:
    _MISSING_KIT = {message!r}
else:
    _MISSING_KIT = None
    pytest_plugins = ["autograder.suite.plugin", "autograder.grading.direct"]

_DEFAULT = Path(__file__).resolve().parent.parent / "{module}.py"


def pytest_addoption(parser):
    if _MISSING_KIT:  # the kit's option, so that the command line parses and the next line is said
        parser.addoption("--submission", default=None)


def pytest_configure(config):
    if _MISSING_KIT:
        raise pytest.UsageError(_MISSING_KIT)
    if config.getoption("--submission", default=None) is None and _DEFAULT.is_file():
        config.option.submission = str(_DEFAULT)
'''
