"""The course notebook ``autograder nbgrader init`` writes to ``source/<id>/<module>.ipynb``.

It is the kit's one instructor notebook (``autograder.release.instructor_notebook``:
solutions in ``### BEGIN SOLUTION`` regions, nbgrader cell metadata), with the
source's own assert cells replaced by **one test cell per skill of the
manifest**:

* ``grade_id`` ``test_<skill>`` and the skill's points, so the notebook's points
  are the manifest's and ``autograder nbgrader grade`` can put each skill's
  score in its cell;
* the cell calls the kit's checks (``autograder.platforms.kernel.check_skill``):
  the public suite for students, the hidden suite under ``nbgrader autograde``.
  No hidden test is in the notebook, so clearing hidden tests changes nothing
  and the checksums nbgrader stores at ``generate_assignment`` are those it
  finds at ``autograde`` (no "checksum has changed" warnings);
* an assignment with a question sheet ends with its cells (the student's own
  numbers, an answers cell and the test cells ``test_questions`` and
  ``test_worked_numbers``: ``autograder.platforms.nbgrader_sheet``);
* each cell comes right after the last solution cell defining a function its
  hidden cases call (found by running the hidden suite on the solution once,
  in this process), so in a kernel run top to bottom everything it needs exists.

Every nbgrader cell gets what nbgrader's own release gives it: ``schema_version``
3, the ``checksum`` nbgrader computes (``nbgrader.utils.compute_checksum``,
written out in ``autograder.release.nbgrader_cells`` so the kit needs no nbgrader
to build it) and the locks of its ``LockCells`` preprocessor (``editable``/``deletable`` false on test and
read-only cells, ``deletable`` false on solution cells).
"""

from __future__ import annotations

import ast
import copy
import functools
import json
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

import nbformat
import pytest
from nbformat import NotebookNode

from autograder.assignment import RELEASE_MANIFEST_NAME, Assignment
from autograder.release import instructor_notebook, solution_source
from autograder.release.nbgrader_cells import (
    SCHEMA_VERSION,
    is_grade,
    is_source_test_cell,
    lock_and_checksum,
    nbgrader_metadata,
)
from autograder.wording import plural

TEST_ID_PREFIX = "test_"
CHECK_IMPORT = "from autograder.platforms.kernel import check_skill"


class CourseNotebookError(ValueError):
    """The assignment cannot be laid out as a course notebook (a skill the solution cannot reach...)."""


def skill_grade_id(skill: str) -> str:
    """The ``grade_id`` of the test cell of ``skill``."""
    return f"{TEST_ID_PREFIX}{skill}"


def skill_of_grade_id(assignment: Assignment, grade_id: str) -> str | None:
    """The skill whose test cell ``grade_id`` is (a skill of the manifest, or of the question sheet of
    an assignment that has one), or None."""
    from autograder.questions.graded import SHEET_SKILLS, has_sheet

    skill = grade_id.removeprefix(TEST_ID_PREFIX) if grade_id.startswith(TEST_ID_PREFIX) else ""
    if skill and skill in SHEET_SKILLS:
        return skill if has_sheet(assignment) else None
    return skill if skill and assignment.credit.skill(skill) is not None else None


def grade_cell_skills(assignment: Assignment) -> list[str]:
    """Every skill that has a test cell: the manifest's, then the question sheet's (if any)."""
    from autograder.platforms.nbgrader_sheet import sheet_points
    from autograder.questions.graded import has_sheet

    sheet = list(sheet_points(assignment)) if has_sheet(assignment) else []
    return [s.name for s in assignment.credit.skills] + sheet


# -- where each skill's checks go -------------------------------------------------------------------------

class _CurrentSkill:
    """A pytest plugin remembering the skill of the case being run."""

    def __init__(self) -> None:
        self.skill = ""

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        from autograder.grading.run import marks_of

        marks = marks_of(item)
        self.skill = marks.skill if marks is not None else ""


def _cache_key(assignment: Assignment) -> tuple[str, tuple[tuple[str, int], ...]]:
    files = [assignment.source_path, *sorted(assignment.hidden_tests.rglob("*.py"))]
    return str(assignment.root), tuple((str(p), p.stat().st_mtime_ns) for p in files if p.is_file())


def skill_functions(assignment: Assignment) -> dict[str, frozenset[str]]:
    """The student functions each skill's hidden cases call, running them on the solution here."""
    return dict(_skill_functions(assignment, _cache_key(assignment)))


@functools.lru_cache(maxsize=16)
def _skill_functions(assignment: Assignment, key: object) -> tuple[tuple[str, frozenset[str]], ...]:
    from autograder.platforms.kernel import run_skill_cases

    namespace: dict[str, Any] = {"__name__": assignment.module}
    exec(compile(solution_source(assignment), f"<{assignment.module} solution>", "exec"),  # noqa: S102
         namespace)
    current = _CurrentSkill()
    called: dict[str, set[str]] = {s.name: set() for s in assignment.credit.skills}
    outcomes, errors = run_skill_cases(assignment, assignment.hidden_tests, namespace, None,
                                       on_call=lambda name: called.setdefault(current.skill, set()).add(name),
                                       plugins=[current])
    if errors:
        raise CourseNotebookError(f"{assignment.id}: the hidden suite could not run on the solution: "
                                  + "; ".join(errors))
    return tuple((skill, frozenset(names)) for skill, names in called.items())


def _defined_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


# -- the notebook ---------------------------------------------------------------------------------------

def test_cell_source(assignment: Assignment, skill: str) -> str:
    """The source of the test cell of ``skill``: a comment saying what it checks, and the check."""
    entry = assignment.credit.skill(skill)
    assert entry is not None
    return "\n".join([
        f"# Checks of `{skill}` ({plural(entry.points, 'point')}): {entry.title}",
        "# Here they are the public tests (the same as `autograder check`); graded, the hidden ones.",
        CHECK_IMPORT,
        f"check_skill({json.dumps(assignment.id)}, {json.dumps(skill)}, globals())",
    ])


def _test_cell(assignment: Assignment, skill: str) -> NotebookNode:
    entry = assignment.credit.skill(skill)
    assert entry is not None
    cell: NotebookNode = nbformat.v4.new_code_cell(test_cell_source(assignment, skill))  # type: ignore[no-untyped-call]
    cell.id = skill_grade_id(skill).replace("_", "-")[:64]
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": skill_grade_id(skill), "locked": True,
                                 "points": float(entry.points), "schema_version": SCHEMA_VERSION,
                                 "solution": False}
    return cell


def _places(assignment: Assignment, cells: list[NotebookNode]) -> dict[int, list[str]]:
    """For each cell index, the skills whose test cells follow it (-1: after the last cell)."""
    defined_at: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if cell.cell_type == "code" and not is_source_test_cell(cell):
            for name in _defined_names(cell.source):
                defined_at[name] = index
    uses = skill_functions(assignment)
    places: dict[int, list[str]] = {}
    for skill in assignment.credit.skills:
        needed = uses.get(skill.name, frozenset())
        missing = sorted(n for n in needed if n not in defined_at)
        if missing:
            raise CourseNotebookError(f"{assignment.id}: the checks of {skill.name!r} call {missing}, "
                                      "which no code cell of the source defines")
        where = max((defined_at[n] for n in needed), default=len(cells) - 1)
        places.setdefault(where, []).append(skill.name)
    return places


def course_notebook(assignment: Assignment) -> NotebookNode:
    """The instructor notebook with one checked test cell per skill, locked and checksummed, and an
    assignment's question sheet at the end (``autograder.platforms.nbgrader_sheet``)."""
    from autograder.platforms.nbgrader_sheet import sheet_cells

    source = instructor_notebook(assignment)
    kept = [cell for cell in source.cells if not is_source_test_cell(cell)]
    places = _places(assignment, kept)
    cells: list[NotebookNode] = []
    for index, cell in enumerate(kept):
        cells.append(cell)
        cells += [_test_cell(assignment, skill) for skill in places.get(index, [])]
    cells += sheet_cells(assignment)
    notebook = copy.deepcopy(source)
    notebook.cells = cells
    lock_and_checksum(notebook)
    nbformat.validate(notebook)
    return notebook


def course_points(notebook: NotebookNode) -> float:
    """The sum of the points of the notebook's grade cells (nbgrader's full marks)."""
    return sum(float(nbgrader_metadata(c).get("points", 0.0)) for c in notebook.cells if is_grade(c))


def released_files(assignment: Assignment) -> dict[PurePosixPath, bytes]:
    """What goes beside the notebook in ``source/<id>/`` (and so into nbgrader's release):
    ``assignment.toml`` and the public suite in ``tests/``, which the test cells run for students,
    ``POINTS.md``, and the lecture figures the notebook shows. Nothing hidden: the same files as
    the kit's own release."""
    from autograder.release import release_files

    files = release_files(assignment)
    wanted = {PurePosixPath(RELEASE_MANIFEST_NAME), PurePosixPath("POINTS.md")}
    return {path: data for path, data in files.items()
            if path in wanted or path.suffix == ".png" or (path.parts and path.parts[0] == "tests")}


def iter_test_cells(notebook: NotebookNode) -> Iterator[NotebookNode]:
    yield from (cell for cell in notebook.cells if is_grade(cell))

