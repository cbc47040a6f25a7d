"""Where the CLI prints: a terminal, or a pipe or CI log.

On a terminal, rich as usual (colours, the terminal's width, a progress bar).
Anywhere else, plain lines that never wrap: rich would otherwise assume 80
columns and break words and paths in the middle, so the console gets a width
no line reaches and no colour codes.
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

PLAIN_WIDTH = 10_000
"""The width of a console that is not a terminal: wide enough that nothing wraps."""


def is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def console(*, stderr: bool = False) -> Console:
    """A console on the current stdout (or stderr): rich on a terminal, plain unwrapped lines elsewhere."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if is_terminal(stream):
        return Console(file=stream, emoji=False)
    return Console(file=stream, emoji=False, soft_wrap=True, width=PLAIN_WIDTH, no_color=True,
                   highlight=False, force_terminal=False)


def progress_bar(errors: Console) -> Progress | None:
    """A grading progress bar on ``errors`` when it is a terminal; none in a log, where it would only add noise."""
    if not is_terminal(errors.file):
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=errors, transient=True)
