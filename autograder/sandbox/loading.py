"""What the grader learns from loading a submission: the load report, read strictly.

The worker sends, in order, a ``{"running": location}`` frame before each
top-level statement (so a hang can be named) and then the load report: the
public functions, every statement that failed (cell, line, exception, and
where inside the student's functions it was raised) and where ``input()`` was
answered. All of it comes from the untrusted worker, so every field is
type-checked and clipped here; anything malformed is a ``ProtocolError``.
Every text is student-controlled and is escaped by whoever shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from autograder.sandbox import wire

MAX_FUNCTIONS = 10000
MAX_REPORTED = 200
_CODE_CHARS = 120
_NAME_CHARS = 200


@dataclass(frozen=True)
class Location:
    """A top-level statement: its cell (None in a script), line within the cell, first line of code."""

    cell: int | None
    line: int
    code: str = ""

    def describe(self) -> str:
        """``cell 7, line 2`` in a notebook, ``line 12`` in a script."""
        return f"line {self.line}" if self.cell is None else f"cell {self.cell}, line {self.line}"

    def quoted(self) -> str:
        """``cell 7, line 2 (`train()`)``: where, and the code when it is known."""
        return f"{self.describe()} (`{self.code}`)" if self.code else self.describe()


@dataclass(frozen=True)
class StatementFailure:
    """A top-level statement that raised (or a cell that did not parse); the rest still ran."""

    where: Location
    type: str
    message: str
    whole_cell: bool = False
    origin: Location | None = None
    function: str = ""

    def describe(self) -> str:
        """One student-facing line naming the cell, the line, the code and the exception."""
        exception = f"{self.type}: {self.message}" if self.message else self.type
        inside = f" (in {self.function}, {self.origin.describe()})" if self.origin and self.function else ""
        rest = "notebook" if self.where.cell is not None else "file"
        if self.whole_cell:
            return (f"{self.where.quoted()}: {exception}; the whole cell was skipped, "
                    f"the rest of the {rest} still ran")
        code = f"`{self.where.code}` " if self.where.code else ""
        return f"{self.where.describe()}: {code}raised {exception}{inside}; the rest of the {rest} still ran"


def describe_input(where: Location) -> str:
    """The note for a place where ``input()`` was answered during loading."""
    return (f"{where.quoted()}: input() was answered with an empty string "
            "(nobody can type while the grader runs your code)")


@dataclass(frozen=True)
class LoadReport:
    """Outcome of loading the submission inside the sandbox."""

    ok: bool
    functions: tuple[str, ...] = ()
    error_type: str | None = None
    error_message: str | None = None
    traceback: str = ""
    failures: tuple[StatementFailure, ...] = ()
    more_failures: int = 0
    inputs: tuple[Location, ...] = ()

    @classmethod
    def failed(cls, error_type: str, message: str, traceback: str = "") -> LoadReport:
        return cls(False, (), error_type, message, traceback)

    def describe(self) -> str:
        """One student-facing line."""
        if self.ok:
            return f"loaded; defines {', '.join(self.functions) or 'no public functions'}"
        error = f"{self.error_type}: {self.error_message}" if self.error_message else str(self.error_type)
        return f"the submission could not be loaded: {error}"

    def warnings(self) -> tuple[str, ...]:
        """A line per failed statement and per answered ``input()``, in the order they ran."""
        notes = [((f.where.cell or 0, f.where.line, 1), f.describe()) for f in self.failures]
        notes += [((where.cell or 0, where.line, 0), describe_input(where)) for where in self.inputs]
        lines = [text for _, text in sorted(notes, key=lambda note: note[0])]
        if self.more_failures:
            lines.append(f"... and {self.more_failures} more statements failed")
        return tuple(lines)


_LOCATED = re.compile(r"^(?:cell (\d+)(?:, line (\d+))?|line (\d+))\b")


def in_running_order(notes: Iterable[str]) -> tuple[str, ...]:
    """Notes that start with ``Location.describe()`` (``cell 7, line 2: ...``, ``line 12: ...``),
    sorted by where they are; a note about a whole cell comes first in it, others keep their order last."""
    def key(note: str) -> tuple[int, int, int]:
        match = _LOCATED.match(note)
        if match is None:
            return (1, 0, 0)
        cell, line, script_line = match.groups()
        return (0, int(cell or 0), int(line or script_line or 0))
    return tuple(sorted(notes, key=key))


def _cell(value: Any) -> int | None:
    if value is None or (type(value) is int and value > 0):
        return value
    raise wire.ProtocolError("malformed cell number")


def _text(value: Any, limit: int) -> str:
    if type(value) is not str:
        raise wire.ProtocolError("expected text")
    return value if len(value) <= limit else value[:limit] + "..."


def _line(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise wire.ProtocolError("malformed line number")
    return value


def parse_location(raw: Any) -> Location:
    """A ``Location`` from the worker's ``{"cell", "line", "code"}``; ProtocolError if malformed."""
    if type(raw) is not dict:
        raise wire.ProtocolError("malformed location")
    return Location(_cell(raw.get("cell")), _line(raw.get("line")), _text(raw.get("code", ""), _CODE_CHARS))


def _parse_failure(raw: Any) -> StatementFailure:
    if type(raw) is not dict:
        raise wire.ProtocolError("malformed statement failure")
    origin, function = None, ""
    if raw.get("origin") is not None:
        if type(raw["origin"]) is not dict:
            raise wire.ProtocolError("malformed failure origin")
        origin = parse_location({"cell": raw["origin"].get("cell"), "line": raw["origin"].get("line")})
        function = _text(raw["origin"].get("function"), _NAME_CHARS)
    return StatementFailure(parse_location(raw), _text(raw.get("type"), _NAME_CHARS),
                            _text(raw.get("message"), wire.MAX_TEXT_CHARS), raw.get("scope") == "cell",
                            origin, function)


def _listed(raw: Any, name: str) -> list[Any]:
    if raw is None:
        return []
    if type(raw) is not list or len(raw) > MAX_REPORTED:
        raise wire.ProtocolError(f"malformed {name} in load report")
    return raw


def parse_load_report(message: Any) -> LoadReport:
    """A LoadReport from the worker's untrusted message; ProtocolError if malformed."""
    if type(message) is not dict or type(message.get("ok")) is not bool:
        raise wire.ProtocolError("malformed load report")
    if not message["ok"]:
        error = wire.parse_error(message.get("error"))
        return LoadReport.failed(error.type, error.message, error.traceback)
    names = message.get("functions")
    if (type(names) is not list or len(names) > MAX_FUNCTIONS
            or any(type(n) is not str or not n.isidentifier() or n.startswith("_") for n in names)):
        raise wire.ProtocolError("malformed function list in load report")
    more = message.get("more_failures", 0)
    if type(more) is not int or more < 0:
        raise wire.ProtocolError("malformed failure count in load report")
    failures = tuple(_parse_failure(f) for f in _listed(message.get("failures"), "failures"))
    inputs = tuple(parse_location(i) for i in _listed(message.get("inputs"), "inputs"))
    return LoadReport(True, tuple(sorted(set(names))), failures=failures, more_failures=more, inputs=inputs)


def running_location(message: Any) -> Location | None:
    """The location of a ``{"running": ...}`` frame; None for any other message."""
    if type(message) is dict and set(message) == {"running"}:
        return parse_location(message["running"])
    return None
