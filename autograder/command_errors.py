"""How an ``autograder`` command ends on a mistake or a failure nobody foresaw: one escaped
``error:`` line on stderr and exit status 2, never a traceback.

Both the CLI (``autograder.cli``) and ``autograder check``'s own start (``autograder.launch``,
which runs a plain check without loading the CLI's parser) end this way.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

USAGE_STATUS = 2
"""The exit status of a user's mistake (as click's usage errors)."""


def one_line_error(text: str) -> None:
    """``error: text`` as one line on stderr, escaped: student-controlled text cannot add lines or colours."""
    from autograder.escaping import terminal_plain

    sys.stderr.write(terminal_plain(f"error: {text}", one_line=True) + "\n")
    sys.stderr.flush()


def unforeseen_failure(err: BaseException) -> str | None:
    """The line a failure no command foresaw reads as: a file-system problem (a folder that cannot
    be written, a file that vanished) or a sandbox that cannot start (a component missing);
    None for anything else, which is a bug and keeps its traceback."""
    from autograder.sandbox.limits import SandboxUnavailable

    if isinstance(err, OSError):
        where = f": {err.filename}" if err.filename else ""
        return f"{err.strerror or err}{where}"
    if isinstance(err, SandboxUnavailable):  # a missing component, not a bug: say what to install
        return (f"the sandbox cannot start: {err} (install bubblewrap with your package manager, "
                "and the kit with its dependencies: pip install dl-gradekit)")
    return None


@contextmanager
def unforeseen_failures_end_the_command() -> Iterator[None]:
    """Inside the block, an ``unforeseen_failure`` ends the command: its line, exit status 2."""
    try:
        yield
    except Exception as err:
        line = unforeseen_failure(err)
        if line is None:
            raise
        one_line_error(line)
        raise SystemExit(USAGE_STATUS) from None
