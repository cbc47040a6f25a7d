"""autograder.release.reading: source.py (jupytext percent) -> a clean nbformat notebook."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autograder.assignment import Assignment
from autograder.release.errors import SourceError
from autograder.release.reading import normalize, read_source

from .helpers import TOY_SOURCE


@pytest.fixture
def toy_path(tmp_path: Path) -> Path:
    path = tmp_path / "source.py"
    path.write_text(TOY_SOURCE)
    return path


def test_read_source_gives_one_cell_per_percent_marker(toy_path: Path) -> None:
    notebook = read_source(toy_path)
    assert [c.cell_type for c in notebook.cells] == ["markdown", "code", "code", "code", "code"]
    assert notebook.cells[0].source.startswith("# Toy")
    tests = notebook.cells[4]
    assert tests.metadata["tags"] == ["tests"] and tests.metadata["points"] == 3


def test_read_source_refuses_what_is_not_a_percent_script(tmp_path: Path) -> None:
    plain = tmp_path / "plain.py"
    plain.write_text("def f():\n    return 1\n")
    with pytest.raises(SourceError, match="percent"):
        read_source(plain)
    with pytest.raises(SourceError, match="cannot read"):
        read_source(tmp_path / "missing.py")


def test_normalize_gives_stable_ids_a_python_kernel_and_no_jupytext_metadata(toy_path: Path) -> None:
    notebook = normalize(read_source(toy_path))
    assert [c.id for c in notebook.cells] == [f"cell-{i:03d}" for i in range(1, 6)]
    assert "jupytext" not in notebook.metadata
    assert notebook.metadata["kernelspec"]["language"] == "python"
    assert (notebook.nbformat, notebook.nbformat_minor) == (4, 5)
    for cell in notebook.cells:
        assert "lines_to_next_cell" not in cell.metadata
        assert cell.source == cell.source.strip("\n")
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert notebook.cells[4].metadata["points"] == 3  # kept for the nbgrader step
    nbformat.validate(notebook)


def test_normalize_is_deterministic(toy_path: Path) -> None:
    assert nbformat.writes(normalize(read_source(toy_path))) == nbformat.writes(normalize(read_source(toy_path)))


def test_every_bundled_source_reads_and_normalises(assignment: Assignment) -> None:
    notebook = normalize(read_source(assignment.source_path))
    nbformat.validate(notebook)
    assert any(c.cell_type == "markdown" for c in notebook.cells)
    assert any(c.cell_type == "code" for c in notebook.cells)
