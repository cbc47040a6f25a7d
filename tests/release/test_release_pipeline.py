"""autograder.release.pipeline and the order of the built-in pipelines."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from nbformat import NotebookNode

from autograder.release import build
from autograder.release.pipeline import Pipeline, PipelineOrderError, Transform, check_order

from .helpers import notebook_of


def _step(name: str, requires: Iterable[str] = (), provides: Iterable[str] = ()) -> Transform:
    return Transform(name, lambda nb: nb, frozenset(requires), frozenset(provides))


def test_a_valid_order_passes_and_returns_the_final_facts() -> None:
    steps = [_step("a", provides={"x"}), _step("b", {"x"}, {"y"})]
    assert check_order(steps) == {"x", "y"}
    assert check_order(steps[1:], start=frozenset({"x"})) == {"x", "y"}


def test_a_missing_requirement_names_the_step() -> None:
    with pytest.raises(PipelineOrderError, match=r"step 1 \(b\) needs \['x'\]"):
        check_order([_step("b", {"x"}, {"y"}), _step("a", provides={"x"})])


def test_a_fact_provided_twice_is_an_error() -> None:
    with pytest.raises(PipelineOrderError, match="again"):
        check_order([_step("a", provides={"x"}), _step("b", provides={"x"})])


def test_a_step_listed_twice_is_an_error() -> None:
    step = _step("a")
    with pytest.raises(PipelineOrderError, match="twice"):
        check_order([step, step])


def test_pipelines_check_their_order_and_what_they_deliver_when_built() -> None:
    with pytest.raises(PipelineOrderError):
        Pipeline("bad", (_step("b", {"x"}),))
    with pytest.raises(PipelineOrderError, match="never provides"):
        Pipeline("short", (_step("a", provides={"x"}),), delivers=frozenset({"z"}))
    longer = Pipeline("ok", (_step("a", provides={"x"}),)).then("longer", _step("b", {"x"}, {"y"}),
                                                                delivers=frozenset({"y"}))
    assert [s.name for s in longer.steps] == ["a", "b"]


def test_transforms_never_modify_their_input() -> None:
    def scribble(nb: NotebookNode) -> NotebookNode:
        nb.cells[0].source = "changed"
        return nb

    notebook = notebook_of(("code", "original", {}))
    out = Transform("scribble", scribble)(notebook)
    assert out.cells[0].source == "changed"
    assert notebook.cells[0].source == "original"


def test_the_builtin_pipelines_run_in_the_documented_order() -> None:
    assert [s.name for s in build.INSTRUCTOR.steps] == ["normalize", "mark_nbgrader_cells"]
    assert [s.name for s in build.STUDENT.steps] == [
        "normalize", "mark_nbgrader_cells", "clear_solutions", "clear_hidden_tests", "clear_outputs",
        "lock_and_checksum", "verify_student_notebook"]
    assert build.STUDENT.steps[:2] == build.INSTRUCTOR.steps


@pytest.mark.parametrize("swap", [(1, 2), (0, 1), (4, 5)],
                         ids=["clear-before-mark", "mark-before-normalize", "verify-before-outputs"])
def test_reordering_the_student_pipeline_is_refused(swap: tuple[int, int]) -> None:
    steps = list(build.STUDENT.steps)
    i, j = swap
    steps[i], steps[j] = steps[j], steps[i]
    with pytest.raises(PipelineOrderError):
        Pipeline("reordered", tuple(steps), start=build.STUDENT.start)


def test_dropping_a_clearing_step_is_refused() -> None:
    steps = tuple(s for s in build.STUDENT.steps if s.name != "clear_hidden_tests")
    with pytest.raises(PipelineOrderError, match="hidden-tests-cleared"):
        Pipeline("leaky", steps, start=build.STUDENT.start)
