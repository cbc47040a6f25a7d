"""Which submissions timed out or crashed the sandboxed worker, read from their failure messages.

``results.json`` keeps every case's student-facing message (``extra_data.cases[].output``)
and its ``failure_kind`` (``student`` when the student's code raised, hung or
crashed). The messages are written by ``autograder.sandbox.session`` and
``autograder.grading.student``:

* ``f() did not return within 5 s`` (``CallTimedOut``), then
  ``f() is not called again: it did not return within 5 s earlier``;
* ``f() was not run: time budget exhausted ...`` (``SubmissionTimeUp``);
* ``while running f(): the worker was killed by SIGSEGV ...`` (``WorkerDied``,
  ``describe_exit``), ``f() is not called again: it killed the worker 3 times``,
  ``the worker crashed 50 times ...``, ``the worker could not be restarted ...``.

``tests/report/test_troubles.py`` builds those exceptions and checks they are
still recognised here, so a reworded message cannot silently drop out of the report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from autograder.grading.outcomes import CaseOutcome

TIMEOUT = re.compile(r"(?P<function>\w+)\(\) (?:did not return within|is not called again: it did not return within"
                     r"|was not run: time budget exhausted)")
CRASH = re.compile(r"(?:while running (?P<function>\w+)\(\): )?the worker (?:was killed|exited|stopped answering"
                   r"|crashed|could not be restarted)"
                   r"|(?P<disabled>\w+)\(\) is not called again: it (?:killed|garbled the result channel of) "
                   r"the worker")
"""Both match at the start of a message: an exception the student raises starts with its type's name."""


@dataclass(frozen=True)
class Trouble:
    """One submission's timeouts or worker crashes: which functions, how many checks, the first message."""

    functions: tuple[str, ...]
    checks: int
    first_message: str


def _function(match: re.Match[str]) -> str:
    return next((v for v in match.groupdict().values() if v), "")


def find(pattern: re.Pattern[str], tests: Iterable[CaseOutcome]) -> Trouble | None:
    """The cases of ``tests`` whose failure ``pattern`` recognises (student failures only)."""
    functions: dict[str, None] = {}
    checks, first = 0, ""
    for test in tests:
        if test.passed or test.kind != "student":
            continue
        match = pattern.match(test.message)
        if match is None:
            continue
        checks += 1
        first = first or test.message.strip().split("\n", 1)[0]
        name = _function(match)
        if name:
            functions.setdefault(name, None)
    return Trouble(tuple(functions), checks, first) if checks else None


def timed_out(tests: Iterable[CaseOutcome]) -> Trouble | None:
    return find(TIMEOUT, tests)


def crashed(tests: Iterable[CaseOutcome]) -> Trouble | None:
    return find(CRASH, tests)
