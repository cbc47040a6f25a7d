"""Steps 3-6: from the instructor notebook to the student notebook.

Small equivalents of nbgrader's ``ClearSolutions``, ``ClearHiddenTests`` and
``ClearOutput`` written directly on nbformat, so the kit needs no nbgrader
install, and a final check that nothing hidden survived.
"""

from __future__ import annotations

import nbformat
from nbformat import NotebookNode

from autograder.release.errors import LeakError, SourceError
from autograder.release.nbgrader_cells import nbgrader_metadata
from autograder.release.regions import (
    CODE_STUB,
    HIDDEN_TESTS,
    SOLUTION,
    mentions_marker,
    remove_regions,
    replace_regions,
)


def clear_solutions(notebook: NotebookNode) -> NotebookNode:
    """Each solution region becomes ``raise NotImplementedError()`` at the region's indentation.

    Cells are told apart by their nbgrader metadata, as in nbgrader: a region in
    a cell not marked as a solution is an error, and a marked solution cell
    without any region is replaced by the stub as a whole.
    """
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        marked = bool(nbgrader_metadata(cell).get("solution"))
        source, count = replace_regions(cell.source, SOLUTION, CODE_STUB, where=f"cell {cell.id}")
        if count and not marked:
            raise SourceError(f"cell {cell.id}: solution region in a cell not marked as a solution cell")
        if not count and marked:
            source = "\n".join(CODE_STUB)
        cell.source = source
    return notebook


def clear_hidden_tests(notebook: NotebookNode) -> NotebookNode:
    """Remove each hidden-test region (markers included) from the test cells."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        source, count = remove_regions(cell.source, HIDDEN_TESTS, where=f"cell {cell.id}")
        if count and not nbgrader_metadata(cell).get("grade"):
            raise SourceError(f"cell {cell.id}: hidden tests in a cell not marked as a test cell")
        cell.source = source.rstrip() if count else source
    return notebook


def clear_outputs(notebook: NotebookNode) -> NotebookNode:
    """No outputs, execution counts or execution timing in any code cell."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    return notebook


def verify_student_notebook(notebook: NotebookNode) -> NotebookNode:
    """Fail with ``LeakError`` if any marker or output survived; validate against nbformat's schema."""
    for cell in notebook.cells:
        word = mentions_marker(cell.source)
        if word is not None:
            raise LeakError(f"cell {cell.id} of the student notebook still contains {word!r}")
        if cell.cell_type == "code" and cell.outputs:
            raise LeakError(f"cell {cell.id} of the student notebook still has outputs")
    nbformat.validate(notebook)
    return notebook
