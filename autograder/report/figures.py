"""The report's figures, drawn with matplotlib (Agg backend) from ``summary.json``'s numbers.

Each function takes plain data (the summary, or one failing check's ``Curve``)
and returns PNG bytes; the pages embed them as ``data:`` URIs, so
``report.html`` and ``feedback.html`` are self-contained files. No
student-controlled text is drawn: the labels are skill names, misconception ids
and the suite's call texts (the instructor's), and mathtext is off for them.
"""

from __future__ import annotations

import base64
import functools
import io
import math
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
import numpy as np
import numpy.typing as npt

from autograder.curves import Curve

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator  # noqa: E402

DPI = 110
WIDTH_IN = 8.0
BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"
SHADE = "#f2f2f2"
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


CURVE_SIZE_PX = (480, 320)
"""A failing check's plot in ``feedback.html``: small beside its message, labels still readable."""
SYMLOG_RATIO = 20.0
"""x is drawn on a symmetric log scale when its largest |x| exceeds this times the typical |x|."""
OFF_SCALE = 4.0
"""The student's values further than this many reference spans outside the reference's range are
marked at the plot's edge instead of stretching the axis until the reference is a flat line."""


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is at least ``value`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1.0, 2.0, 5.0, 10.0) if step * power >= value)


def _linear_threshold(x: npt.NDArray[np.float64]) -> float | None:
    """The symlog threshold when a few far values (x = +-1000 among points in +-20, or the
    values there) would squash the rest on a linear axis; None when a linear axis shows all well."""
    size = np.abs(x)
    if size.size == 0:
        return None
    typical = float(np.percentile(size, 75))
    if typical <= 0 or float(size.max()) <= SYMLOG_RATIO * typical:
        return None
    return _nice_ceiling(typical)


def _far_values(x: npt.NDArray[np.float64], expected: npt.NDArray[np.float64], threshold: float) -> float | None:
    """The y symlog threshold when the reference's values at the far x (beyond ``threshold``) dwarf
    those near 0 (leaky_relu at x = +-1000), so they would flatten the part of the plot that matters."""
    near = np.abs(expected[(np.abs(x) <= threshold) & np.isfinite(expected)])
    far = np.abs(expected[np.isfinite(expected)])
    if near.size == 0 or float(near.max()) <= 0 or float(far.max()) <= SYMLOG_RATIO * float(near.max()):
        return None
    return _nice_ceiling(float(near.max()))


def _view(expected: npt.NDArray[np.float64], got: npt.NDArray[np.float64]) -> tuple[float, float]:
    """The y range shown: the reference's, widened to the student's values unless they are far off."""
    finite = expected[np.isfinite(expected)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = high - low if high > low else max(abs(high), 1.0)
    shown = got[np.isfinite(got) & (got >= low - OFF_SCALE * span) & (got <= high + OFF_SCALE * span)]
    if shown.size:
        low, high = min(low, float(shown.min())), max(high, float(shown.max()))
    pad = 0.08 * (high - low if high > low else span)
    return low - pad, high + pad


def _at_edges(ax: Axes, x: npt.NDArray[np.float64], got: npt.NDArray[np.float64], low: float,
              high: float) -> None:
    """The student's values the y range cannot show (NaN, +-inf, far off the scale), marked at its edges."""
    transform = ax.get_xaxis_transform()  # x in data, y in axes fractions
    above = (got > high) | np.isposinf(got)
    below = (got < low) | np.isneginf(got)
    nan = np.isnan(got)
    for mask, y, marker, label in ((above, 0.98, "^", "yours: above the plot (or inf)"),
                                   (below, 0.02, "v", "yours: below the plot (or -inf)"),
                                   (nan, 0.98, "X", "yours: NaN")):
        if mask.any():
            ax.plot(x[mask], np.full(int(mask.sum()), y), marker, color=RED, markersize=7, linestyle="none",
                    transform=transform, clip_on=False, label=f"{label}, {int(mask.sum())}")


def _nice_floor(value: float) -> float:
    """The largest of 1, 2, 5 times a power of ten that is at most ``value`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (5.0, 2.0, 1.0) if step * power <= value)


def _symlog_ticks(low: float, high: float, threshold: float) -> list[float]:
    """0, +-threshold/2, +-threshold, and on each side that reaches well beyond the threshold the
    powers of ten from 10x the threshold on (a closer one would crowd its label), or one round
    number near the side's end."""
    ticks = [0.0]
    for end, sign in ((-low, -1.0), (high, 1.0)):
        if end <= 0:
            continue
        beyond = [10.0 ** k for k in range(math.ceil(math.log10(threshold * 10)), math.floor(math.log10(end)) + 1)]
        if not beyond and end >= 3 * threshold:
            beyond = [_nice_floor(end)]
        ticks += [sign * v for v in (threshold / 2, threshold, *beyond) if v <= end]
    return sorted(ticks)


def _symlog(ax: Axes, which: str, low: float, high: float, threshold: float) -> None:
    """One axis on a symmetric log scale (linear within +-threshold) with plain tick labels; the
    x axis also has its logarithmic parts shaded."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("symlog", linthresh=threshold, linscale=2.0)
    axis.set_major_locator(FixedLocator(_symlog_ticks(low, high, threshold)))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_locator(NullLocator())
    if which == "x":
        for start, end in ((min(low, -threshold), -threshold), (threshold, max(high, threshold))):
            ax.axvspan(start, end, color=SHADE, zorder=0, linewidth=0)
        ax.set_xlim(low, high)


def _x_range(x: npt.NDArray[np.float64]) -> tuple[float, float]:
    """x's range with a margin on each side (on a symlog axis the margin is relative, like the scale)."""
    low, high = float(x.min()), float(x.max())
    margin = 0.05 * (high - low if high > low else 1.0)
    return low - margin, high + margin


@functools.lru_cache(maxsize=256)
def curve_png(curve: Curve, title: str = "") -> bytes:
    """A failing value check as a picture: the reference as a line, the student's values as points.

    The student's points that are off are red, joined to the reference by a
    thin red line (how far off), and counted in the legend; values the axis
    cannot show (NaN, +-inf, far off) sit at the plot's top or bottom edge. A far
    point (x = +-1000 beside points in +-20) switches x to a symmetric log scale,
    linear near 0 and shaded where it is logarithmic, said in the axis label.
    ``title`` (the suite's, never the student's) defaults to the check's call.

    Kept per process (a ``Curve`` is plain, hashable data): students who make the same
    mistake fail a check with the same values, and their plots are drawn once (~0.15 s each).
    """
    x, got = np.array(curve.x, dtype=np.float64), np.array(curve.got, dtype=np.float64)
    expected, wrong = np.array(curve.expected, dtype=np.float64), np.array(curve.wrong, dtype=np.bool_)
    width_px, height_px = CURVE_SIZE_PX
    with figure(height_px / DPI, width_in=width_px / DPI) as fig:
        ax = fig.add_subplot()
        ax.plot(x, expected, "-", color=BLUE, linewidth=2.2, label="reference", zorder=2)
        low, high = _view(expected, got)
        ax.set_ylim(low, high)
        inside = np.isfinite(got) & (got >= low) & (got <= high)
        right, off = inside & ~wrong, inside & wrong
        if right.any():
            ax.plot(x[right], got[right], "o", color=ORANGE, markersize=3.5, zorder=3,
                    label=f"yours, right: {int(right.sum())} of {wrong.size}")
        if off.any():
            ax.vlines(x[off], expected[off], got[off], color=RED, linewidth=0.8, alpha=0.4, zorder=3)
            ax.plot(x[off], got[off], "o", color=RED, markersize=4, zorder=4,
                    label=f"yours, wrong: {int(off.sum())} of {wrong.size}")
        _at_edges(ax, x, got, low, high)
        x_label, y_label = curve.x_name or "x", "value"
        x_threshold = _linear_threshold(x)
        if x_threshold is not None:
            x_low, x_high = float(x.min()) * 1.3, float(x.max()) * 1.3
            _symlog(ax, "x", x_low if x_low < 0 else -x_threshold, x_high if x_high > 0 else x_threshold,
                    x_threshold)
            x_label += f"   (linear within ±{x_threshold:g}, log scale in the shaded parts)"
        else:
            ax.set_xlim(*_x_range(x))
        y_threshold = None if x_threshold is None else _far_values(x, expected, x_threshold)
        if y_threshold is not None:
            _symlog(ax, "y", low, high, y_threshold)
            y_label += f" (log beyond ±{y_threshold:g})"
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.grid(True, color="#e5e5e5", linewidth=0.6)
        ax.set_axisbelow(True)
        heading = title or f"{curve.function or 'your function'}: yours against the reference"
        ax.set_title("\n".join(textwrap.wrap(heading, 60)[:2]), fontsize=10)
        fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
        return png_bytes(fig)
