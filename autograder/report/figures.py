"""The report's figures, drawn with matplotlib (Agg backend) from ``summary.json``'s numbers.

Each function takes the summary (plain data) and returns PNG bytes; the report
embeds them as ``data:`` URIs, so ``report.html`` is one self-contained file.
No student-controlled text is drawn: the labels are skill names and
misconception ids (the instructor's), and mathtext is off for them.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

DPI = 110
WIDTH_IN = 8.0
BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"
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


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _points(value: float) -> str:
    return f"{round(value, 2):g}"


def score_histogram(summary: dict[str, Any]) -> bytes:
    """The score distribution: a histogram with the mean and the median marked."""
    scores = summary["scores"]
    edges, counts = scores["histogram"]["edges"], scores["histogram"]["counts"]
    with figure(3.6) as fig:
        ax = fig.add_subplot()
        widths = [b - a for a, b in zip(edges, edges[1:], strict=False)]
        ax.bar(edges[:-1], counts, width=widths, align="edge", color=BLUE, edgecolor="white",
               linewidth=0.8, label="submissions")
        if scores.get("count"):
            ax.axvline(scores["mean"], color=ORANGE, linewidth=2, label=f"mean {_points(scores['mean'])}")
            ax.axvline(scores["median"], color=GREEN, linewidth=2, linestyle="--",
                       label=f"median {_points(scores['median'])}")
        ax.set_xlim(edges[0], edges[-1])
        ax.set_ylim(0, max(counts, default=0) * 1.15 + 0.5)  # headroom for the legend
        ax.set_xlabel(f"score (points out of {_points(scores['max_score'])})")
        ax.set_ylabel("submissions")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"Score distribution ({scores.get('count', 0)} graded submissions)")
        ax.legend(loc="best", frameon=True, framealpha=0.9)
        return png_bytes(fig)


def skill_pass_rates(summary: dict[str, Any]) -> bytes:
    """Per skill, the share of submissions with full marks (bar) and the mean share of points (dot),
    worst at the top."""
    skills = [s for s in summary["skills"] if s["submissions"]]
    with figure(1.5 + 0.32 * max(len(skills), 1)) as fig:
        ax = fig.add_subplot()
        names = [s["name"] for s in skills]
        rows = range(len(skills))
        rates = [100 * s["pass_rate"] for s in skills]
        ax.barh(rows, rates, color=BLUE, height=0.65, label="submissions with full marks (%)")
        ax.plot([100 * s["mean_share"] for s in skills], rows, "D", color=ORANGE, markersize=5,
                label="mean share of the skill's points (%)")
        for row, skill in zip(rows, skills, strict=True):
            ax.text(103, row, f"{skill['full_marks']}/{skill['submissions']}", va="center", fontsize=8,
                    color=GREY)
        ax.set_yticks(list(rows), names, fontfamily="monospace")
        ax.invert_yaxis()
        ax.set_xlim(0, 112)
        ax.set_xticks(range(0, 101, 20))
        ax.set_xlabel("submissions with full marks on the skill (%)")
        ax.set_title("Pass rate per skill, worst first")
        fig.legend(loc="outside lower center", ncols=2, frameon=False)
        return png_bytes(fig)


def misconception_counts(summary: dict[str, Any]) -> bytes:
    """How many submissions each misconception was diagnosed in, most frequent at the top."""
    rows = summary["misconceptions"]
    ran = max(summary["tests_ran"], 1)
    with figure(1.2 + 0.32 * max(len(rows), 1)) as fig:
        ax = fig.add_subplot()
        positions = range(len(rows))
        ax.barh(positions, [r["submissions"] for r in rows], color=RED, height=0.65)
        for position, row in zip(positions, rows, strict=True):
            ax.text(row["submissions"], position, f" {row['submissions']} ({100 * row['submissions'] / ran:.0f}%)",
                    va="center", fontsize=8, color=GREY)
        ax.set_yticks(list(positions), [r["id"] for r in rows], fontfamily="monospace")
        ax.invert_yaxis()
        top = max((r["submissions"] for r in rows), default=1)
        ax.set_xlim(0, top * 1.25 + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(f"submissions diagnosed (of {summary['tests_ran']} whose tests ran)")
        ax.set_title("Misconceptions diagnosed")
        return png_bytes(fig)
