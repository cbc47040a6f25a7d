"""The lecture's figures' style and canvas: matplotlib (Agg backend), as PNG bytes.

``autograder.report.lecture`` draws the figures the reference derives with ``figure`` and
``png_bytes``. (The report's charts and the feedback pages' plots are SVG written directly:
``autograder.report.charts``, ``autograder.report.curve_plot``.)
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
from matplotlib.figure import Figure  # noqa: E402

DPI = 110
WIDTH_IN = 8.0
STYLE: dict[str, Any] = {"font.size": 10, "axes.titlesize": 12, "axes.labelsize": 10, "legend.fontsize": 9,
         "axes.spines.top": False, "axes.spines.right": False, "text.parse_math": False,
         "svg.hashsalt": "dl-gradekit"}


@contextmanager
def figure(height_in: float, *, math: bool = False, width_in: float = WIDTH_IN) -> Iterator[Figure]:
    """A new figure in the kit's style; closed on exit (pyplot keeps no reference to it)."""
    style: Any = {**STYLE, "text.parse_math": math}
    with plt.rc_context(style):
        fig = plt.figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
        try:
            yield fig
        finally:
            plt.close(fig)


def png_bytes(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG, without the timestamp-like metadata (same input, same bytes)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
