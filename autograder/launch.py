"""The ``autograder`` command's entry point.

``autograder check FILE`` starts FILE's sandboxed worker before anything else loads
(``autograder.grading.early.prestart_check``); then the CLI (``autograder.cli``) runs every
command as usual, ``check`` taking that worker over.
"""

from __future__ import annotations

import sys


def main() -> None:
    from autograder.grading.early import prestart_check

    prestart_check(sys.argv[1:])
    from autograder.cli import main as cli

    cli()
