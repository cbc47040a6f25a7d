"""autograder.release.build: the pipelines applied to the bundled sources."""

from __future__ import annotations

import nbformat

from autograder.assignment import Assignment
from autograder.release import instructor_notebook, solution_source, stub_source, student_notebook
from autograder.release.nbgrader_cells import is_solution_cell, is_source_test_cell


def test_builds_are_deterministic(assignment: Assignment) -> None:
    assert nbformat.writes(student_notebook(assignment)) == nbformat.writes(student_notebook(assignment))
    assert stub_source(assignment) == stub_source(assignment)
    assert solution_source(assignment) == solution_source(assignment)


def test_student_and_instructor_notebooks_have_the_same_cells(assignment: Assignment) -> None:
    instructor, student = instructor_notebook(assignment), student_notebook(assignment)
    assert [c.id for c in instructor.cells] == [c.id for c in student.cells]
    assert [c.cell_type for c in instructor.cells] == [c.cell_type for c in student.cells]
    for before, after in zip(instructor.cells, student.cells):
        released = dict(after.metadata.get("nbgrader", {}))
        assert (released.pop("checksum", None) is None) == ("nbgrader" not in before.metadata), before.id
        assert before.metadata.get("nbgrader", {}) == released  # the student's adds nbgrader's checksum only
        if before.cell_type == "markdown" or not (is_solution_cell(before) or is_source_test_cell(before)):
            assert before.source == after.source, before.id


def test_the_stub_is_the_student_notebooks_code(assignment: Assignment) -> None:
    stub = stub_source(assignment)
    for cell in student_notebook(assignment).cells:
        if cell.cell_type == "code" and not is_source_test_cell(cell):
            assert cell.source.strip() in stub, cell.id
