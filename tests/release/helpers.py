"""Helpers of the release tests (imported by the test modules and conftest)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.assignment import Assignment

TOY_SOURCE = '''\
# %% [markdown]
# # Toy
# Doubling and halving.

# %%
import numpy as np

# %%
def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    doubled_value = np.multiply(x, 2.0)
    return doubled_value
    ### END SOLUTION


# %%
def halve(x):
    """Half of x."""
    if x is None:
        raise TypeError("x")
    ### BEGIN SOLUTION
    halved_value = np.divide(x, 2.0)
    return halved_value
    ### END SOLUTION


# %% tags=["tests"] points=3
assert double(1.0) == 2.0
### BEGIN HIDDEN TESTS
assert halve(4.0) == 2.0 and double(-1.5) == -3.0
### END HIDDEN TESTS
'''


def notebook_of(*cells: tuple[str, str, dict]) -> NotebookNode:
    """A notebook from (cell_type, source, metadata) triples, with ids cell-001..."""
    notebook = nbformat.v4.new_notebook()
    for index, (kind, source, metadata) in enumerate(cells, start=1):
        maker = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        notebook.cells.append(maker(source, metadata=dict(metadata), id=f"cell-{index:03d}"))
    return notebook


def solution_lines(source_text: str, *, min_chars: int = 12) -> set[str]:
    """Distinctive lines inside the solution and hidden-test regions of a raw source.py text.

    Computed straight from the file, independently of the release code: lines
    between the markers, at least ``min_chars`` long, not comments, and not
    occurring outside any region.
    """
    inside: set[str] = set()
    outside: set[str] = set()
    depth = None
    for line in source_text.split("\n"):
        stripped = line.strip()
        if re.fullmatch(r"### BEGIN (SOLUTION|HIDDEN TESTS)", stripped):
            depth = stripped
        elif re.fullmatch(r"### END (SOLUTION|HIDDEN TESTS)", stripped):
            depth = None
        elif depth:
            inside.add(stripped)
        else:
            outside.add(stripped)
    return {line for line in inside - outside if len(line) >= min_chars and not line.startswith("#")}


def copy_assignment(assignment: Assignment, where: Path) -> Path:
    """A writable copy of an assignment's folder; returns its root."""
    root = where / assignment.id
    shutil.copytree(assignment.root, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root
