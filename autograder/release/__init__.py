"""Build the student release of an assignment from the instructor's single source.

``source.py`` (a jupytext percent script with ``### BEGIN SOLUTION`` regions and
``tests``-tagged cells) goes through an order-checked pipeline of small
notebook transforms (``build.INSTRUCTOR``, ``build.STUDENT``):

    read_source -> normalize -> mark_nbgrader_cells        = instructor notebook
                -> clear_solutions -> clear_hidden_tests
                -> clear_outputs -> verify_student_notebook = student notebook

and ``publish.release_assignment`` writes ``OUT/<id>/``: the ``.py`` stub, the
``.ipynb`` notebook, the public tests, a ``README.md`` a student can start from
(``readme.student_readme``) and ``assignment.toml`` (what ``check`` needs), after
checking them all for leaks.

API used by the CLI and by ``validate``:

* ``release_assignment(assignment, out_dir, *, overwrite=False, install=None) -> ReleaseReport``
* ``instructor_notebook(assignment)`` / ``student_notebook(assignment)`` -> ``NotebookNode``
* ``solution_source(assignment)`` (the 100% submission) / ``stub_source(assignment)`` (the 0 one)
* errors: ``ReleaseError`` and its subclasses ``SourceError``, ``LeakError``,
  ``ReleaseExistsError``, ``PipelineOrderError``.
"""

from autograder.release.build import (
    INSTRUCTOR,
    STUDENT,
    instructor_notebook,
    solution_source,
    stub_source,
    student_notebook,
)
from autograder.release.errors import LeakError, ReleaseError, ReleaseExistsError, SourceError
from autograder.release.pipeline import Pipeline, PipelineOrderError, Transform, check_order
from autograder.release.publish import ReleaseReport, find_leaks, release_assignment, release_files
from autograder.release.readme import install_command, student_readme

__all__ = [
    "INSTRUCTOR",
    "STUDENT",
    "LeakError",
    "Pipeline",
    "PipelineOrderError",
    "ReleaseError",
    "ReleaseExistsError",
    "ReleaseReport",
    "SourceError",
    "Transform",
    "check_order",
    "find_leaks",
    "install_command",
    "instructor_notebook",
    "release_assignment",
    "release_files",
    "solution_source",
    "student_notebook",
    "stub_source",
    "student_readme",
]
