"""Step 2: the instructor notebook, with nbgrader's cell metadata (schema version 3).

Which kind a cell is follows from the source, never from hand-kept metadata:

* a **solution** cell is a code cell with a ``### BEGIN SOLUTION`` region:
  ``{"solution": true, "grade": false, "locked": false}``;
* a **test** cell is a code cell tagged ``tests`` (``# %% tags=["tests"]``):
  ``{"grade": true, "solution": false, "locked": true, "points": n}``, with
  ``n`` from the cell's ``points=`` metadata (default ``DEFAULT_TEST_POINTS``);
  its hidden part sits between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``;
* a **markdown** cell is locked: ``{"grade": false, "solution": false, "locked": true}``;
* any other code cell (imports) carries no nbgrader metadata.

``grade_id`` is the first function or class a solution cell defines, the
cell's own ``grade_id=`` metadata, or ``tests-<k>`` / ``md-<k>``; ids are
unique or the build fails. Solution markers outside a solution cell, hidden
test markers outside a test cell and test cells that hold solutions are
errors: each would otherwise leak or be lost.

``lock_and_checksum`` then gives the released notebook what nbgrader's own
``generate_assignment`` gives it: the locks of its ``LockCells`` preprocessor and
the checksums of ``ComputeChecksums`` (``nbgrader.utils.compute_checksum``,
written out so the kit needs no nbgrader to build a release), so ``nbgrader
validate`` and ``autograde`` see which locked cells a student changed.
"""

from __future__ import annotations

import ast
import hashlib
import re
from typing import Any

from nbformat import NotebookNode

from autograder.release.errors import SourceError
from autograder.release.regions import HIDDEN_TESTS, SOLUTION, has_region

SCHEMA_VERSION = 3
TESTS_TAG = "tests"
DEFAULT_TEST_POINTS = 1.0
GRADE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_\-]+$")


def nbgrader_metadata(cell: NotebookNode) -> dict[str, Any]:
    """The cell's nbgrader metadata, or an empty dict."""
    return dict(cell.metadata.get("nbgrader", {}))


def is_source_test_cell(cell: NotebookNode) -> bool:
    """A code cell of the instructor source that holds tests: tagged ``tests`` (or already marked
    as an nbgrader grade cell). (A student's notebook's: ``submission.is_test_cell_to_skip``.)"""
    return cell.cell_type == "code" and (TESTS_TAG in cell.metadata.get("tags", ())
                                         or bool(nbgrader_metadata(cell).get("grade")))


def is_solution_cell(cell: NotebookNode) -> bool:
    """A code cell with a solution region (or already marked as an nbgrader solution cell)."""
    if cell.cell_type != "code":
        return False
    return bool(nbgrader_metadata(cell).get("solution")) or has_region(cell.source, SOLUTION,
                                                                      where=_where(cell))


def _where(cell: NotebookNode) -> str:
    return f"cell {cell.get('id', '?')}"


def _defined_name(source: str) -> str | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return node.name
    return None


def _points(cell: NotebookNode) -> float:
    raw = cell.metadata.pop("points", DEFAULT_TEST_POINTS)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw < 0:
        raise SourceError(f"{_where(cell)}: points={raw!r} should be a number >= 0")
    return float(raw)


def _check_markers(cell: NotebookNode) -> None:
    where = _where(cell)
    solution = has_region(cell.source, SOLUTION, where=where)
    hidden = has_region(cell.source, HIDDEN_TESTS, where=where)
    if cell.cell_type != "code" and (solution or hidden):
        raise SourceError(f"{where}: a {cell.cell_type} cell holds solution or hidden-test markers; "
                          "only code cells may")
    if is_source_test_cell(cell) and solution:
        raise SourceError(f"{where}: a test cell holds a solution region; put the solution in its own cell")
    if hidden and not is_source_test_cell(cell):
        raise SourceError(f"{where}: hidden tests outside a test cell; start the cell with "
                          f'# %% tags=["{TESTS_TAG}"]')


def _base(grade: bool, solution: bool, locked: bool, grade_id: str) -> dict[str, Any]:
    return {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution}


def mark_nbgrader_cells(notebook: NotebookNode) -> NotebookNode:
    """Give every solution, test and markdown cell its nbgrader metadata."""
    seen: dict[str, str] = {}
    counters = {"tests": 0, "md": 0}
    for cell in notebook.cells:
        _check_markers(cell)
        own_id = cell.metadata.pop("grade_id", None)
        if is_solution_cell(cell):
            grade_id = own_id or _defined_name(cell.source) or cell["id"]
            meta = _base(False, True, False, grade_id)
        elif is_source_test_cell(cell):
            counters["tests"] += 1
            grade_id = own_id or f"tests-{counters['tests']}"
            meta = {**_base(True, False, True, grade_id), "points": _points(cell)}
        elif cell.cell_type == "markdown":
            counters["md"] += 1
            grade_id = own_id or f"md-{counters['md']}"
            meta = _base(False, False, True, grade_id)
        else:
            if own_id is not None:
                raise SourceError(f"{_where(cell)}: grade_id on a cell that is neither solution, test "
                                  "nor markdown")
            continue
        if not GRADE_ID_PATTERN.match(str(grade_id)):
            raise SourceError(f"{_where(cell)}: grade_id {grade_id!r} may only hold letters, digits, _ and -")
        if grade_id in seen:
            raise SourceError(f"{_where(cell)}: grade_id {grade_id!r} is already used by {seen[grade_id]}")
        seen[grade_id] = cell["id"]
        cell.metadata["nbgrader"] = meta
    return notebook


# -- nbgrader's own rules, written out: locks and checksums ---------------------------------------------

def is_grade(cell: NotebookNode) -> bool:
    return bool(nbgrader_metadata(cell).get("grade", False))


def is_solution(cell: NotebookNode) -> bool:
    return bool(nbgrader_metadata(cell).get("solution", False))


def is_locked(cell: NotebookNode) -> bool:
    """nbgrader's ``is_locked``: grade cells are locked, solution cells never, others as marked."""
    if "nbgrader" not in cell.get("metadata", {}) or is_solution(cell):
        return False
    return is_grade(cell) or bool(nbgrader_metadata(cell).get("locked", False))


def nbgrader_checksum(cell: NotebookNode) -> str:
    """nbgrader's ``compute_checksum`` of a cell with nbgrader metadata."""
    digest = hashlib.md5()  # noqa: S324 (nbgrader's checksum, not a security measure)
    for part in (cell.source, cell.cell_type, str(is_grade(cell)), str(is_solution(cell)),
                 str(is_locked(cell)), nbgrader_metadata(cell)["grade_id"]):
        digest.update(part.encode("utf-8"))
    if is_grade(cell):
        digest.update(str(float(nbgrader_metadata(cell)["points"])).encode("utf-8"))
    return digest.hexdigest()


def lock_and_checksum(notebook: NotebookNode) -> NotebookNode:
    """nbgrader's ``LockCells`` (default settings) and ``ComputeChecksums``, on every nbgrader cell."""
    for cell in notebook.cells:
        if "nbgrader" not in cell.metadata:
            continue
        if is_solution(cell):
            cell.metadata["deletable"] = False
        elif is_grade(cell) or is_locked(cell):
            cell.metadata["deletable"] = False
            cell.metadata["editable"] = False
        if is_grade(cell) or is_solution(cell) or is_locked(cell):
            cell.metadata["nbgrader"]["checksum"] = nbgrader_checksum(cell)
    return notebook
