"""Run a submission's cells statement by statement, as Jupyter runs a notebook.

Loaded INSIDE the sandbox as the top-level module ``statements`` (next to
``worker.py``), and by the grader's tests as ``autograder.sandbox.statements``;
it imports only the standard library. Nothing here is a security boundary: it
runs after the seccomp filter is in place, in the same process as the student's
code.

Two modes (``Program.keep_going`` on the grader's side):

* **keep going** (how the grader loads every submission): each top-level
  statement is compiled and run on its own, in one namespace; one that raises
  (``SystemExit`` included) is recorded with its cell, line and exception and
  costs only itself. A cell that does not parse is skipped whole and recorded.
  The load fails only when no statement could be compiled at all (a ``.py``
  with a syntax error), with that ``SyntaxError``.
* **strict** (plain module semantics): each cell is compiled whole and the first
  exception stops the load.

Before each statement ``announce`` is called with its location, so a statement
that hangs can be named by the grader after it killed the worker.
"""

from __future__ import annotations
import __future__

import ast
import json
import linecache
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_FAILURES = 100
"""Failed statements reported one by one; the rest are counted."""
MAX_INPUTS = 20
"""Places where ``input()`` was answered, reported one by one."""
_CODE_CHARS = 120
_MESSAGE_CHARS = 2000

Location = dict[str, Any]  # {"cell": int | None, "line": int, "code": str}
Announce = Callable[[Location], None]


def parse_program(data: bytes) -> tuple[list[dict[str, Any]], bool]:
    """(cells, keep_going) from the program written by the grader (``Program.to_json``)."""
    program = json.loads(data.decode("utf-8", errors="replace"))
    return list(program["cells"]), bool(program["keep_going"])


def safe_str(err: BaseException) -> str:
    """str(err), tolerating a student ``__str__`` that raises or returns something odd."""
    try:
        text = str(err)
    except BaseException:
        return "<exception message could not be rendered>"
    return text if isinstance(text, str) else "<exception message is not text>"


def _first_line(lines: list[str], lineno: int) -> str:
    """The stripped source line ``lineno`` (1-based), shortened for a report."""
    text = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
    return text if len(text) <= _CODE_CHARS else text[:_CODE_CHARS - 3] + "..."


@dataclass
class Runner:
    """Runs cells into ``namespace`` and keeps what went wrong (plain data only)."""

    namespace: dict[str, Any]
    filename: str
    keep_going: bool
    announce: Announce = lambda location: None
    failures: list[dict[str, Any]] = field(default_factory=list)
    more_failures: int = 0
    inputs: list[Location] = field(default_factory=list)
    current: Location | None = None
    compiled_any: bool = False
    _labels: dict[str, int | None] = field(default_factory=dict)
    _flags: int = 0

    def label(self, number: int | None) -> str:
        """The file name a cell's frames carry: ``alice.py``, or ``alice.ipynb, cell 7``."""
        return self.filename if number is None else f"{self.filename}, cell {number}"

    def run(self, cells: list[dict[str, Any]]) -> BaseException | None:
        """Run every cell; the exception that stops the load (strict mode, or nothing compiled)."""
        first_syntax_error: BaseException | None = None
        for cell in cells:
            number, source = cell.get("number"), str(cell.get("source", ""))
            label = self.label(number if isinstance(number, int) else None)
            self._labels[label] = number if isinstance(number, int) else None
            # Registering the source lets tracebacks show the student's lines.
            linecache.cache[label] = (len(source), None, source.splitlines(True), label)
            fatal = self._run_cell(source, label)
            if fatal is not None:
                if not self.keep_going:
                    return fatal
                first_syntax_error = first_syntax_error or fatal
        self.current = None
        if self.keep_going and not self.compiled_any and first_syntax_error is not None:
            return first_syntax_error
        return None

    def _run_cell(self, source: str, label: str) -> BaseException | None:
        """Run one cell; a SyntaxError of the whole cell is returned (and recorded when keeping going)."""
        lines = source.splitlines()
        try:
            tree = ast.parse(source, label)
            if not self.keep_going:
                compile(source, label, "exec", dont_inherit=True)  # Python refuses the whole file
        except (SyntaxError, ValueError, MemoryError, RecursionError) as err:
            self._record(label, lines, getattr(err, "lineno", None) or 1, err, scope="cell")
            return err
        for statement in tree.body:
            failure = self._run_statement(statement, label, lines)
            if failure is not None and not self.keep_going:
                return failure
        return None

    def _run_statement(self, statement: ast.stmt, label: str, lines: list[str]) -> BaseException | None:
        """Compile and run one top-level statement; its exception, if any (recorded)."""
        self.current = {"cell": self._labels[label], "line": statement.lineno,
                        "code": _first_line(lines, statement.lineno)}
        try:
            code = compile(ast.Module(body=[statement], type_ignores=[]), label, "exec",
                           flags=self._flags, dont_inherit=True)
        except (SyntaxError, ValueError, MemoryError, RecursionError) as err:  # e.g. 'return' outside function
            self._record(label, lines, statement.lineno, err)
            return err
        self.compiled_any = True
        self._note_future(statement)
        self.announce(self.current)
        try:
            exec(code, self.namespace)
        except BaseException as err:  # SystemExit and KeyboardInterrupt cost only this statement too
            self._record(label, lines, statement.lineno, err)
            return err
        return None

    def _note_future(self, statement: ast.stmt) -> None:
        """``from __future__ import annotations`` applies to the statements compiled after it."""
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            for alias in statement.names:
                feature = getattr(__future__, alias.name, None)
                self._flags |= getattr(feature, "compiler_flag", 0)

    def _record(self, label: str, lines: list[str], lineno: int, err: BaseException, *,
                scope: str = "statement") -> None:
        """Keep a failed statement (only when keeping going: strict mode reports the exception itself)."""
        if not self.keep_going:
            return
        if len(self.failures) >= MAX_FAILURES:
            self.more_failures += 1
            return
        self.failures.append({"cell": self._labels[label], "line": int(lineno),
                              "code": _first_line(lines, int(lineno)), "type": type(err).__name__[:200],
                              "message": _message(err)[:_MESSAGE_CHARS], "origin": self._origin(err),
                              "scope": scope})

    def _origin(self, err: BaseException) -> Location | None:
        """Where inside the student's functions ``err`` was raised, if not in the statement itself."""
        try:
            frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename in self._labels]
        except BaseException:
            return None
        if not frames or frames[-1].name == "<module>":
            return None
        last = frames[-1]
        return {"cell": self._labels[last.filename], "line": int(last.lineno or 0),
                "function": str(last.name)[:200]}

    def filenames(self) -> frozenset[str]:
        """The file names the cells' frames carry (to keep only the student's frames in a traceback)."""
        return frozenset(self._labels) | {self.filename}

    def note_input(self) -> None:
        """``input()`` was called while loading: remember where (once per statement)."""
        if self.current is not None and self.current not in self.inputs and len(self.inputs) < MAX_INPUTS:
            self.inputs.append(dict(self.current))


def _message(err: BaseException) -> str:
    """The exception's message; a SyntaxError's own text without the file and line it repeats."""
    if isinstance(err, SyntaxError) and isinstance(err.msg, str):
        return err.msg
    return safe_str(err)
