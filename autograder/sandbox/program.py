"""What the worker runs: a submission's code cells, and whether a failing statement stops it.

A ``.py`` file is one cell without a number; a notebook's code cells keep
their position in the notebook (markdown cells count too), so a report can say
"cell 7, line 2". With ``keep_going`` every top-level statement runs on its
own and one that raises costs only itself, as a notebook's cells do in
Jupyter; without it the first failure stops the import (plain module
semantics). The worker reads the program as JSON: from a read-only file, or, forked by a warm
sandbox, from its request pipe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class CodeCell:
    """One cell of code; ``number`` is its 1-based position in the notebook (None for a script)."""

    source: str
    number: int | None = None

    def label(self, filename: str) -> str:
        """The name the cell's frames carry in tracebacks: ``alice.py`` or ``alice.ipynb, cell 7``."""
        return filename if self.number is None else f"{filename}, cell {self.number}"


@dataclass(frozen=True)
class Program:
    """The cells of a submission, in the order they run."""

    cells: tuple[CodeCell, ...]
    keep_going: bool = False

    @classmethod
    def script(cls, source: str, *, keep_going: bool = False) -> Program:
        """A whole ``.py`` source as one cell."""
        return cls((CodeCell(source),), keep_going)

    def to_json(self) -> bytes:
        """The file the worker reads (``statements.parse_program`` on the other side)."""
        cells = [{"number": cell.number, "source": cell.source} for cell in self.cells]
        return json.dumps({"cells": cells, "keep_going": self.keep_going}).encode("utf-8", "surrogatepass")
