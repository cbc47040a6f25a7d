"""The two notebook pipelines and what is built from them.

``INSTRUCTOR`` turns the notebook read from ``source.py`` into the instructor
notebook (nbgrader metadata, solutions in place); ``STUDENT`` continues it to
the student notebook, locked and checksummed as nbgrader's ``generate_assignment``
does. Both are ``Pipeline`` objects, so their order is checked when this module
is imported.

The ``.py`` files follow from the notebooks: ``solution_source`` is the
instructor notebook's code (what ``validate`` grades as the 100% submission)
and ``stub_source`` the student notebook's code (graded as the 0 submission,
and released byte for byte as ``<module>.py``).
"""

from __future__ import annotations

from nbformat import NotebookNode

from autograder.assignment import Assignment
from autograder.release.clearing import (
    clear_hidden_tests,
    clear_outputs,
    clear_solutions,
    verify_student_notebook,
)
from autograder.release.nbgrader_cells import lock_and_checksum, mark_nbgrader_cells
from autograder.release.pipeline import Pipeline, Transform
from autograder.release.reading import normalize, read_source
from autograder.release.script import notebook_to_script, solution_header, stub_header

NORMALIZE = Transform("normalize", normalize, requires=frozenset({"notebook"}),
                      provides=frozenset({"normalized"}))
MARK_NBGRADER_CELLS = Transform("mark_nbgrader_cells", mark_nbgrader_cells,
                                requires=frozenset({"normalized"}),
                                provides=frozenset({"nbgrader-metadata"}))
# Solution and hidden-test cells are recognised by their markers, so marking
# must come before clearing: that is what "requires nbgrader-metadata" enforces.
CLEAR_SOLUTIONS = Transform("clear_solutions", clear_solutions,
                            requires=frozenset({"nbgrader-metadata"}),
                            provides=frozenset({"solutions-cleared"}))
CLEAR_HIDDEN_TESTS = Transform("clear_hidden_tests", clear_hidden_tests,
                               requires=frozenset({"nbgrader-metadata"}),
                               provides=frozenset({"hidden-tests-cleared"}))
CLEAR_OUTPUTS = Transform("clear_outputs", clear_outputs, requires=frozenset({"normalized"}),
                          provides=frozenset({"outputs-cleared"}))
# nbgrader's checksums are of the cells as students get them: after every clearing step.
LOCK_AND_CHECKSUM = Transform("lock_and_checksum", lock_and_checksum,
                              requires=frozenset({"solutions-cleared", "hidden-tests-cleared", "outputs-cleared"}),
                              provides=frozenset({"locked-and-checksummed"}))
VERIFY_STUDENT_NOTEBOOK = Transform(
    "verify_student_notebook", verify_student_notebook,
    requires=frozenset({"solutions-cleared", "hidden-tests-cleared", "outputs-cleared", "locked-and-checksummed"}),
    provides=frozenset({"verified"}))

INSTRUCTOR = Pipeline("instructor", (NORMALIZE, MARK_NBGRADER_CELLS), start=frozenset({"notebook"}),
                      delivers=frozenset({"nbgrader-metadata"}))
STUDENT = INSTRUCTOR.then("student", CLEAR_SOLUTIONS, CLEAR_HIDDEN_TESTS, CLEAR_OUTPUTS, LOCK_AND_CHECKSUM,
                          VERIFY_STUDENT_NOTEBOOK, delivers=frozenset({"locked-and-checksummed", "verified"}))


def instructor_notebook(assignment: Assignment) -> NotebookNode:
    """``source.py`` as a notebook with nbgrader metadata and the solutions in place."""
    return INSTRUCTOR(read_source(assignment.source_path))


def student_notebook(assignment: Assignment) -> NotebookNode:
    """The released notebook: solutions stubbed, hidden tests and outputs removed."""
    return STUDENT(read_source(assignment.source_path))


def solution_source(assignment: Assignment) -> str:
    """The code cells of ``source.py`` with solutions in place, minus the test cells."""
    return notebook_to_script(instructor_notebook(assignment),
                              header=solution_header(assignment.title, assignment.module))


def stub_source(assignment: Assignment) -> str:
    """The released ``<module>.py``: the student notebook's code cells, minus the test cells."""
    return notebook_to_script(student_notebook(assignment),
                              header=stub_header(assignment.title, assignment.module))
