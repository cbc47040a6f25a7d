"""autograder.release.clearing: instructor notebook -> student notebook."""

from __future__ import annotations

import nbformat
import pytest

from autograder.assignment import Assignment
from autograder.release import instructor_notebook, student_notebook
from autograder.release.clearing import clear_hidden_tests, clear_outputs, clear_solutions, verify_student_notebook
from autograder.release.errors import LeakError, SourceError
from autograder.release.nbgrader_cells import is_solution_cell, mark_nbgrader_cells
from autograder.release.regions import mentions_marker

from .helpers import notebook_of

SOLUTION_CELL = ('def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    secret = x * 42\n    return secret\n'
                 '    ### END SOLUTION')
TEST_CELL = "assert f(1) == 42\n### BEGIN HIDDEN TESTS\nassert f(2) == 84\n### END HIDDEN TESTS\n"


def _instructor():
    return mark_nbgrader_cells(notebook_of(("markdown", "# T", {}), ("code", "import math", {}),
                                           ("code", SOLUTION_CELL, {}),
                                           ("code", TEST_CELL, {"tags": ["tests"]})))


def test_clear_solutions_leaves_the_stub_at_the_region_indentation() -> None:
    cell = clear_solutions(_instructor()).cells[2]
    assert cell.source == 'def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()'
    assert cell.metadata["nbgrader"]["solution"] is True


def test_a_solution_cell_without_region_is_replaced_whole_like_nbgrader() -> None:
    notebook = _instructor()
    notebook.cells[2].source = "answer = 42"  # still marked as a solution cell
    assert clear_solutions(notebook).cells[2].source == "# YOUR CODE HERE\nraise NotImplementedError()"


def test_a_solution_region_in_an_unmarked_cell_is_refused() -> None:
    notebook = _instructor()
    notebook.cells[1].source = SOLUTION_CELL  # the imports cell has no nbgrader metadata
    with pytest.raises(SourceError, match="not marked"):
        clear_solutions(notebook)


def test_clear_hidden_tests_keeps_only_the_visible_asserts() -> None:
    cell = clear_hidden_tests(_instructor()).cells[3]
    assert cell.source == "assert f(1) == 42"
    assert cell.metadata["nbgrader"]["grade"] is True


def test_clear_outputs_empties_every_code_cell() -> None:
    notebook = _instructor()
    notebook.cells[1].outputs = [nbformat.v4.new_output("stream", text="hi")]
    notebook.cells[1].execution_count = 3
    cleared = clear_outputs(notebook)
    assert cleared.cells[1].outputs == [] and cleared.cells[1].execution_count is None


def test_verify_refuses_markers_and_outputs() -> None:
    with pytest.raises(LeakError, match="BEGIN SOLUTION"):
        verify_student_notebook(_instructor())
    notebook = clear_hidden_tests(clear_solutions(_instructor()))
    notebook.cells[1].outputs = [nbformat.v4.new_output("stream", text="hi")]
    with pytest.raises(LeakError, match="outputs"):
        verify_student_notebook(notebook)
    verify_student_notebook(clear_outputs(notebook))


def test_every_bundled_student_notebook_is_clean_and_valid(assignment: Assignment) -> None:
    notebook = student_notebook(assignment)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        assert mentions_marker(cell.source) is None, cell.id
        if is_solution_cell(cell):
            assert "raise NotImplementedError()" in cell.source, cell.id
        if cell.cell_type == "code":
            assert cell.outputs == []


def test_the_student_notebook_matches_nbgraders_own_preprocessors(assignment: Assignment) -> None:
    """Our small transforms give the same cells as nbgrader's ClearSolutions, ClearHiddenTests, ClearOutput."""
    preprocessors = pytest.importorskip("nbgrader.preprocessors")

    notebook, resources = instructor_notebook(assignment), {}
    for step in (preprocessors.ClearSolutions(), preprocessors.ClearHiddenTests(), preprocessors.ClearOutput()):
        notebook, resources = step.preprocess(notebook, resources)
    ours = student_notebook(assignment)
    assert [c.source for c in ours.cells] == [c.source for c in notebook.cells]
    assert [c.get("outputs") for c in ours.cells] == [c.get("outputs") for c in notebook.cells]
