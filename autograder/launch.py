"""The ``autograder`` command's entry point.

``autograder check FILE`` in its plain shape starts FILE's sandboxed worker before anything else
loads (``autograder.grading.early.prestart_check``) and runs the check with it at once, without
the CLI's parser; it then exits without the interpreter's teardown (``shortlived.exit_now``).
Every other command, and a check with anything unusual about it, goes to the CLI
(``autograder.cli``), which reports it as usual.
"""

from __future__ import annotations

import sys


def main() -> None:
    from autograder.grading.early import prestart_check

    prestarted = prestart_check(sys.argv[1:])
    if prestarted is not None:
        from autograder.command_errors import unforeseen_failures_end_the_command
        from autograder.shortlived import exit_now
        from autograder.views import check_with_report

        request = prestarted.request
        with unforeseen_failures_end_the_command():
            status = check_with_report(request.file, request.assignment_id, course=request.course,
                                       isolation="sandbox" if request.isolation == "sandbox" else None,
                                       prestarted=prestarted)
        exit_now(status)
    from autograder.cli import main as cli

    cli()
