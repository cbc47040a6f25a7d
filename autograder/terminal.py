"""Where the CLI prints: a terminal, or a pipe or CI log.

On a terminal, rich as usual (colours, the terminal's width, a progress bar).
Anywhere else, plain lines that never wrap: rich would otherwise assume 80
columns and break words and paths in the middle, so the console gets a width
no line reaches and no colour codes. There, a line of text whose markup is
only the colour and bold tags the kit writes is printed without loading rich's
console at all (``PlainConsole``), exactly as rich would print it: ``check``
on a pipe needs nothing more. Anything else goes to a rich console made on
first use.
"""

from __future__ import annotations

import builtins
import os
import re
import sys
from typing import IO, TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

PLAIN_WIDTH = 10_000
"""The width of a console that is not a terminal: wide enough that nothing wraps."""
_PLAIN_CHARS = 4_000
"""The longest text ``PlainConsole`` prints itself: no line of it can reach ``PLAIN_WIDTH`` cells
(rich drops trailing spaces past the width)."""
_TAG = re.compile(r"\[(/?)(red|green|yellow|bold)\]")
"""The markup ``PlainConsole`` reads itself: what the kit's own messages use."""
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
"""Characters rich strips or passes on in ways ``PlainConsole`` leaves to it (all controls but newline)."""


def is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def console(*, stderr: bool = False) -> Console:
    """A console on the current stdout (or stderr): rich on a terminal, plain unwrapped lines elsewhere."""
    stream = sys.stderr if stderr else sys.stdout
    if is_terminal(stream):
        from rich.console import Console

        return Console(file=stream, emoji=False)
    return cast("Console", PlainConsole(stream))


def _plain_console(stream: IO[str]) -> Console:
    from rich.console import Console

    return Console(file=stream, emoji=False, soft_wrap=True, width=PLAIN_WIDTH, no_color=True,
                   highlight=False, force_terminal=False)


class PlainConsole:
    """The console of a stream that is not a terminal, rich's console (``_plain_console``) made only
    when a line needs it.

    ``print`` of one string, with no other option than ``markup`` and ``highlight`` off, whose
    markup is only ``[red]``, ``[green]``, ``[yellow]``, ``[bold]`` and their closing tags (no
    backslash, no other ``[``, no control character but newline, at most ``_PLAIN_CHARS``
    characters) writes the string without its tags, then a newline, and flushes: what rich writes
    for it on a console without colours that never wraps. Everything else, any other attribute
    included, is the rich console's.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._rich: Console | None = None
        self._buffered = 0

    def _console(self) -> Console:
        if self._rich is None:
            self._rich = _plain_console(self._stream)
        return self._rich

    @property
    def file(self) -> IO[str]:
        if self._rich is not None or self._stream is None or hasattr(self._stream, "rich_proxied_file"):
            return self._console().file
        return self._stream

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_stream", "_rich", "_buffered"):  # not set up (a copy)
            raise AttributeError(name)
        return getattr(self._console(), name)

    def __enter__(self) -> Console:
        self._buffered += 1
        return self._console().__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._buffered -= 1
        self._console().__exit__(*exc)

    def print(self, *objects: Any, markup: bool | None = None, highlight: bool | None = None,
              **options: Any) -> None:
        line = self._plain(objects, markup, highlight, options)
        if line is None:
            self._console().print(*objects, markup=markup, highlight=highlight, **options)
            return
        if self._rich is not None and self._rich.quiet:
            return
        try:
            try:
                self._stream.write(line + "\n")
            except UnicodeEncodeError as error:  # as rich says it
                error.reason = (f"{error.reason}\n*** You may need to add PYTHONIOENCODING=utf-8 to your "
                                "environment ***")
                raise
            self._stream.flush()
        except BrokenPipeError:  # as rich's Console.on_broken_pipe
            self._console().quiet = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(1) from None

    def _plain(self, objects: tuple[Any, ...], markup: bool | None, highlight: bool | None,
               options: dict[str, Any]) -> str | None:
        """The line to write for this ``print``; None when rich has to print it."""
        if options or len(objects) != 1 or type(objects[0]) is not str or highlight or self._buffered \
                or self._stream is None or hasattr(self._stream, "rich_proxied_file") \
                or hasattr(builtins, "get_ipython"):  # rich's own test for Jupyter
            return None
        text: str = objects[0]
        if len(text) > _PLAIN_CHARS or "\\" in text or _CONTROLS.search(text):
            return None
        if markup is False or "[" not in text:
            return text
        parts: list[str] = []
        opened: list[str] = []
        end = 0
        for tag in _TAG.finditer(text):
            parts.append(text[end:tag.start()])
            end = tag.end()
            closing, name = tag.groups()
            if not closing:
                opened.append(name)
            elif name in opened:
                del opened[len(opened) - 1 - opened[::-1].index(name)]
            else:
                return None  # rich's MarkupError
        parts.append(text[end:])
        line = "".join(parts)
        return None if "[" in line else line


def progress_bar(errors: Console) -> Progress | None:
    """A grading progress bar on ``errors`` when it is a terminal; none in a log, where it would only add noise."""
    if not is_terminal(errors.file):
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=errors, transient=True)
