"""autograder.release.nbgrader_cells: the instructor notebook's nbgrader metadata."""

from __future__ import annotations

import pytest

from autograder.assignment import Assignment
from autograder.release import instructor_notebook
from autograder.release.errors import SourceError
from autograder.release.nbgrader_cells import (
    DEFAULT_TEST_POINTS,
    is_solution_cell,
    is_source_test_cell,
    mark_nbgrader_cells,
)
from autograder.release.regions import SOLUTION, regions

from .helpers import notebook_of

SOLUTION_CELL = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"
TEST_CELL = "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 2\n### END HIDDEN TESTS"


def _marked(*cells: tuple[str, str, dict]):
    return mark_nbgrader_cells(notebook_of(*cells))


def test_each_kind_of_cell_gets_nbgrader_metadata() -> None:
    notebook = _marked(("markdown", "# Title", {}), ("code", "import numpy as np", {}),
                       ("code", SOLUTION_CELL, {}), ("code", TEST_CELL, {"tags": ["tests"], "points": 2}),
                       ("code", "assert True", {"tags": ["tests"]}))
    markdown, imports, solution, tests, default = notebook.cells
    assert markdown.metadata["nbgrader"] == {"grade": False, "grade_id": "md-1", "locked": True,
                                             "schema_version": 3, "solution": False}
    assert "nbgrader" not in imports.metadata
    assert solution.metadata["nbgrader"] == {"grade": False, "grade_id": "f", "locked": False,
                                             "schema_version": 3, "solution": True}
    assert tests.metadata["nbgrader"] == {"grade": True, "grade_id": "tests-1", "locked": True,
                                          "points": 2.0, "schema_version": 3, "solution": False}
    assert "points" not in tests.metadata  # moved into the nbgrader metadata
    assert default.metadata["nbgrader"]["points"] == DEFAULT_TEST_POINTS
    assert [is_solution_cell(c) for c in notebook.cells] == [False, False, True, False, False]
    assert [is_source_test_cell(c) for c in notebook.cells] == [False, False, False, True, True]


def test_an_explicit_grade_id_wins() -> None:
    notebook = _marked(("code", SOLUTION_CELL, {"grade_id": "answer-1"}))
    assert notebook.cells[0].metadata["nbgrader"]["grade_id"] == "answer-1"


@pytest.mark.parametrize(("cells", "message"), [
    ([("code", SOLUTION_CELL, {}), ("code", SOLUTION_CELL, {})], "already used"),
    ([("markdown", "### BEGIN SOLUTION\ntext\n### END SOLUTION", {})], "markdown cell"),
    ([("code", TEST_CELL, {})], "outside a test cell"),
    ([("code", SOLUTION_CELL, {"tags": ["tests"]})], "test cell holds a solution"),
    ([("code", "assert True", {"tags": ["tests"], "points": -1})], "points"),
    ([("code", "assert True", {"tags": ["tests"], "points": "two"})], "points"),
    ([("code", SOLUTION_CELL, {"grade_id": "no spaces"})], "letters"),
    ([("code", "import os", {"grade_id": "imports"})], "neither"),
], ids=["duplicate-id", "markdown-solution", "hidden-outside-tests", "solution-in-tests",
        "negative-points", "text-points", "bad-grade-id", "id-on-plain-cell"])
def test_format_errors_are_refused(cells: list, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        _marked(*cells)


def test_every_bundled_instructor_notebook_is_valid_for_nbgrader(assignment: Assignment) -> None:
    v3 = pytest.importorskip("nbgrader.nbgraderformat.v3")
    notebook = instructor_notebook(assignment)
    v3.MetadataValidatorV3().validate_nb(notebook)
    solution_cells = [c for c in notebook.cells if is_solution_cell(c)]
    assert solution_cells, "no solution cells"
    for cell in solution_cells:
        assert regions(cell.source, SOLUTION), f"{cell.id}: marked as solution without a region"


def test_every_manifest_function_is_defined_in_a_solution_cell(assignment: Assignment) -> None:
    notebook = instructor_notebook(assignment)
    defined = " ".join(c.source for c in notebook.cells if is_solution_cell(c))
    missing = [name for name in assignment.functions if f"def {name}(" not in defined]
    assert not missing, f"functions without a solution cell: {missing}"
