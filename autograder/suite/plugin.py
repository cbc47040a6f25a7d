"""The pytest plugin every assignment suite runs under.

It gives suites a ``student`` fixture standing for the submission, registers
the ``skill``, ``contract`` and ``rule`` markers, and adds ``--submission PATH`` so an instructor can run
a suite directly::

    pytest --submission alice.py assignments/activations/tests/hidden

Student code never runs in the pytest process: the fixture starts a sandboxed
worker and hands the suite a proxy. The grader installs its own factory in
``config.stash[STUDENT_FACTORY]`` to share one prepared submission; for a run
by hand, the ``pytest_autograder_student`` hook asks the grading side
(``autograder.grading.direct``, registered beside this plugin) for one. This
module, part of what suites are written with, imports nothing of the grader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

StudentFactory = Callable[[], AbstractContextManager[Any]]
STUDENT_FACTORY = pytest.StashKey[StudentFactory]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograder")
    group.addoption("--submission", metavar="PATH", default=None,
                    help="submission (.py, .ipynb, directory or .zip) that the `student` fixture stands for")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "skill(name, weight=1): the manifest skill a case measures, and its weight "
                   "among that skill's checks (see autograder/grading/credit.py)")
    config.addinivalue_line(
        "markers", "contract: a contract check (dtype, shape, no mutation, stability); it earns "
                   "only as far as its skill's value checks pass")
    config.addinivalue_line(
        "markers", "rule(id): the stated rule a contract or edge check enforces; the release states "
                   "it (see autograder/suite/rules.py) and `autograder validate` checks that it does")


class _Hooks:
    """The hook through which the grading side gives a suite run by hand its ``student``."""

    @pytest.hookspec(firstresult=True)
    def pytest_autograder_student(self, config: pytest.Config, path: Path) -> StudentFactory | None:
        """A factory for the submission at ``path`` (``--submission``), or None: the grading
        side answers (``autograder.grading.direct``); this plugin never imports it."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(_Hooks)


def _factory_from_option(config: pytest.Config) -> StudentFactory:
    option = config.getoption("--submission")
    if option is None:
        raise pytest.UsageError("this suite needs a submission: pass --submission PATH")
    factory: StudentFactory | None = config.hook.pytest_autograder_student(config=config, path=Path(option))
    if factory is None:
        raise pytest.UsageError("--submission needs the kit's grading plugin: add -p autograder.grading.direct")
    return factory


@pytest.fixture(scope="session")
def student(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The submission under test: ``student.sigmoid(x)`` calls the student's function."""
    factory = request.config.stash.get(STUDENT_FACTORY, None) or _factory_from_option(request.config)
    with factory() as proxy:
        yield proxy


@pytest.fixture
def strict_student(student: Any) -> Any:
    """``student`` whose calls run under ``np.errstate(over/invalid/divide="raise")``
    in the sandbox: an overflow or a 0/0 inside the student's code raises there."""
    return student.with_options(errstate=True)
