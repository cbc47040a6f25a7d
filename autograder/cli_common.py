"""What every ``autograder`` command shares: the course it runs on, its assignment, its errors and executors.

The entry point (``autograder.cli``) and the platform commands
(``autograder.platforms.cli``) both build on this module and never on each
other. Every user mistake ends as ``one_line_error`` and exit status 2,
including the ones click's parser finds (``click_error_line``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from autograder.assignment import CourseError, ManifestError, get_assignment
from autograder.limits import DEFAULT_JOBS

if TYPE_CHECKING:
    from autograder.assignment import Assignment
    from autograder.grading.batch import Executor, Record

F = TypeVar("F", bound=Callable[..., Any])


def click_error_line(err: click.ClickException) -> str:
    """The one line a click error becomes, without its ``Usage:`` block: a usage error names its
    command's ``--help``."""
    message = err.format_message().strip()
    if message[:1].isupper() and message[1:2].islower():  # click's "Missing option", as the kit's lines read
        message = message[0].lower() + message[1:]
    context = err.ctx if isinstance(err, click.UsageError) else None
    if context is None:
        return message
    return f"{message.removesuffix('.')} (see `{context.command_path} --help`)"


def given_course() -> Path | None:
    """The ``--course`` given before the command, if any."""
    return click.get_current_context().find_root().params.get("course")


def load_assignment(assignment_id: str) -> Assignment:
    """The assignment of the course ``--course`` (or the usual lookup) names; a usage error if none."""
    try:
        return get_assignment(assignment_id, given_course())
    except CourseError as err:
        raise click.UsageError(str(err)) from None
    except ManifestError as err:
        raise click.BadParameter(str(err), param_hint="--assignment") from None


def assignment_option() -> Callable[[F], F]:
    """``--assignment ID``, required."""
    return click.option("--assignment", "assignment_id", required=True, metavar="ID",
                        help="assignment id: a folder of the course (see --course)")


def executor_options(function: F) -> F:
    """``--jobs``, ``--executor`` and ``--scheduler``: where submissions are graded."""
    function = click.option("--scheduler", default=None, metavar="ADDRESS",
                            help="grade on an existing Dask cluster: its scheduler, e.g. tcp://10.0.0.5:8786 "
                                 "(needs `pip install dl-gradekit[dask]`); implies --executor dask")(function)
    function = click.option("--executor", type=click.Choice(["local", "dask"]), default=None,
                            help="local: a process pool of --jobs (default); dask: a Dask cluster, the one "
                                 "--scheduler names or $DASK_SCHEDULER_ADDRESS")(function)
    return click.option("--jobs", type=click.IntRange(min=1), default=DEFAULT_JOBS, show_default=True,
                        help="submissions graded at once on this machine (local executor)")(function)


def make_executor(executor: str | None, scheduler: str | None, jobs: int) -> Executor | None:
    """The batch executor the options ask for (None: the local default)."""
    if scheduler is None and executor != "dask":
        return None
    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    if not address:
        raise click.UsageError("--executor dask needs --scheduler ADDRESS (or $DASK_SCHEDULER_ADDRESS)")
    from autograder.platforms.dask_executor import DaskUnavailable, dask_executor

    try:
        inner = dask_executor(address)
    except DaskUnavailable as err:
        raise click.ClickException(str(err)) from None

    def run(assignment: Assignment, todo: dict[str, Path], record: Record) -> None:
        try:
            inner(assignment, todo, record)
        except DaskUnavailable as err:  # the scheduler went away, or its workers run another kit
            raise click.ClickException(str(err)) from None

    return run
