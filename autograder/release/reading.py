"""Step 0 and 1: read the instructor's jupytext script, then normalise the notebook.

``read_source`` turns ``source.py`` (jupytext percent format) into an nbformat
notebook. ``normalize`` makes it a clean, reproducible nbformat 4.5 notebook:
deterministic cell ids (``cell-001``...), a Python kernelspec, no jupytext
bookkeeping in the metadata, no outputs. Cell metadata the instructor wrote
in the ``# %%`` line (``tags``, ``points``, ``grade_id``) is kept for the next
step.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
from nbformat import NotebookNode

from autograder.release.errors import SourceError

SOURCE_FORMAT = "py:percent"

JUPYTEXT_CELL_KEYS = frozenset({"lines_to_next_cell", "lines_to_end_of_cell_marker", "cell_marker",
                                "title", "region_name"})
"""Cell metadata jupytext uses to round-trip text files; meaningless in a notebook."""

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
CELL_ID_FORMAT = "cell-{:03d}"


def read_source(path: Path) -> NotebookNode:
    """The notebook ``path`` (a jupytext percent script) describes."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise SourceError(f"cannot read {path}: {err}") from None
    if "# %%" not in text:
        raise SourceError(f"{path} has no '# %%' cells; write it in jupytext's percent format")
    notebook: NotebookNode = jupytext.reads(text, fmt=SOURCE_FORMAT)
    if not notebook.cells:
        raise SourceError(f"{path} holds no cells")
    return notebook


def normalize(notebook: NotebookNode) -> NotebookNode:
    """nbformat 4.5 with stable cell ids, a Python kernel and no jupytext metadata or outputs."""
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = dict(notebook.metadata.get("kernelspec") or KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(notebook.cells, start=1):
        cell["id"] = CELL_ID_FORMAT.format(index)
        for key in JUPYTEXT_CELL_KEYS:
            cell.metadata.pop(key, None)
        cell.source = cell.source.strip("\n")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.validate(notebook)
    return notebook
