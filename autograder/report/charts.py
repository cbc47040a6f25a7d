"""The batch report's charts as SVG, written directly from ``summary.json``'s numbers.

Three bar charts: the score distribution, the pass rate per skill and the misconceptions
diagnosed. Each is a standalone SVG document (explicit width and height, embedded in
``report.html`` as a ``data:`` URI, so the page stays one self-contained file) made of rectangles,
lines and text: a few milliseconds, where drawing them with matplotlib cost the report about a
second after the last result (its import and its layout engine). Every label is escaped; the
labels are skill names, misconception ids and numbers (the instructor's and the kit's, never a
student's text). The colours are the feedback plots' (``autograder.report.figures``).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"
INK, GRID = "#262626", "#e5e5e5"
WIDTH = 880
"""Every chart's width in pixels (the report's column)."""
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"
FONT_PX, SMALL_PX, TITLE_PX = 13, 11, 15
MONO_CHAR_PX = 7.3
"""The width of one character of the monospace labels at ``FONT_PX`` less one (the left margin fits them)."""
ROW_PX = 30
"""One bar's row in the horizontal charts."""


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _number(value: float) -> str:
    return f"{round(value, 2):g}"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is at least ``value`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1.0, 2.0, 5.0, 10.0) if step * power >= value)


def nice_ticks(top: float, *, integer: bool = False, most: int = 6) -> list[float]:
    """Round tick values from 0 up to at least ``top``: steps of 1, 2 or 5 times a power of ten,
    at most ``most`` intervals (whole numbers only when ``integer``)."""
    top = max(float(top), 1.0 if integer else 1e-9)
    step = nice_ceiling(top / most)
    if integer:
        step = max(1.0, math.ceil(step))
    count = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]


@dataclass
class Canvas:
    """An SVG document being written: elements in drawing order."""

    height: int
    parts: list[str] = field(default_factory=list)

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(self, x: float, y: float, content: str, *, size: int = FONT_PX, anchor: str = "start",
             colour: str = INK, mono: bool = False, weight: str = "normal", rotate: bool = False,
             baseline: str = "middle") -> None:
        family = MONO if mono else FONT
        turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
        self.add(f'<text x="{x:.1f}" y="{y:.1f}" font-family="{family}" font-size="{size}" fill="{colour}" '
                 f'text-anchor="{anchor}" dominant-baseline="{baseline}" font-weight="{weight}"{turn}>'
                 f"{escape(content)}</text>")

    def rect(self, x: float, y: float, width: float, height: float, colour: str, *, stroke: str = "") -> None:
        outline = f' stroke="{stroke}" stroke-width="0.8"' if stroke else ""
        self.add(f'<rect x="{x:.2f}" y="{y:.2f}" width="{max(width, 0.0):.2f}" height="{max(height, 0.0):.2f}" '
                 f'fill="{colour}"{outline}/>')

    def diamond(self, x: float, y: float, colour: str) -> None:
        """A diamond 12 pixels across centred at (x, y): a mean's mark."""
        self.add(f'<path d="M{x:.1f} {y - 6:.1f} l6 6 l-6 6 l-6 -6 z" fill="{colour}"/>')

    def line(self, x1: float, y1: float, x2: float, y2: float, colour: str, *, width: float = 1.0,
             dashed: bool = False) -> None:
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        self.add(f'<line x1="{x1:.2f}" y1="{y1:.2f}" x2="{x2:.2f}" y2="{y2:.2f}" stroke="{colour}" '
                 f'stroke-width="{width}"{dash}/>')

    def document(self, title: str, width: int = WIDTH) -> str:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{self.height}" '
                f'viewBox="0 0 {width} {self.height}" role="img"><title>{escape(title)}</title>'
                f'<rect width="{width}" height="{self.height}" fill="white"/>{"".join(self.parts)}</svg>')


@dataclass(frozen=True)
class _Frame:
    """The plotting area in pixels, and the value range of its x axis."""

    left: float
    top: float
    right: float
    bottom: float
    x_low: float
    x_high: float

    def x(self, value: float) -> float:
        span = self.x_high - self.x_low or 1.0
        return self.left + (value - self.x_low) / span * (self.right - self.left)


def _legend(canvas: Canvas, entries: Sequence[tuple[str, str, str]], y: float) -> None:
    """A row of (marker kind, colour, label) centred at height ``y``: "bar", "line", "dash" or "diamond"."""
    widths = [34 + 6.6 * len(label) for _, _, label in entries]
    x = (WIDTH - sum(widths) - 16 * (len(entries) - 1)) / 2
    for (kind, colour, label), width in zip(entries, widths, strict=True):
        if kind == "bar":
            canvas.rect(x, y - 6, 20, 12, colour)
        elif kind == "diamond":
            canvas.diamond(x + 10, y, colour)
        else:
            canvas.line(x, y, x + 20, y, colour, width=2.2, dashed=kind == "dash")
        canvas.text(x + 26, y, label, size=SMALL_PX + 1)
        x += width + 16


def _x_axis(canvas: Canvas, frame: _Frame, ticks: Iterable[float], label: str, *, grid: bool = True) -> None:
    canvas.line(frame.left, frame.bottom, frame.right, frame.bottom, INK)
    for tick in ticks:
        x = frame.x(tick)
        if grid:
            canvas.line(x, frame.top, x, frame.bottom, GRID)
        canvas.line(x, frame.bottom, x, frame.bottom + 5, INK)
        canvas.text(x, frame.bottom + 16, _number(tick), anchor="middle", size=SMALL_PX + 1)
    canvas.text((frame.left + frame.right) / 2, frame.bottom + 38, label, anchor="middle")


def score_histogram(summary: dict[str, Any]) -> str:
    """The score distribution: a histogram with the mean and the median marked."""
    scores = summary["scores"]
    edges, counts = scores["histogram"]["edges"], scores["histogram"]["counts"]
    canvas = Canvas(height=400)
    frame = _Frame(left=70, top=50, right=WIDTH - 24, bottom=300, x_low=edges[0], x_high=edges[-1])
    y_ticks = nice_ticks(max(counts, default=0) * 1.15 + 0.5, integer=True)
    y_top = y_ticks[-1]

    def y(value: float) -> float:
        return frame.bottom - value / y_top * (frame.bottom - frame.top)
    for tick in y_ticks:
        canvas.line(frame.left, y(tick), frame.right, y(tick), GRID)
        canvas.text(frame.left - 8, y(tick), _number(tick), anchor="end", size=SMALL_PX + 1)
    for low, high, count in zip(edges, edges[1:], counts, strict=False):
        if count:
            canvas.rect(frame.x(low), y(count), frame.x(high) - frame.x(low), frame.bottom - y(count), BLUE,
                        stroke="white")
    legend = [("bar", BLUE, "submissions")]
    if scores.get("count"):
        canvas.line(frame.x(scores["mean"]), frame.top, frame.x(scores["mean"]), frame.bottom, ORANGE, width=2)
        canvas.line(frame.x(scores["median"]), frame.top, frame.x(scores["median"]), frame.bottom, GREEN,
                    width=2, dashed=True)
        legend += [("line", ORANGE, f"mean {_number(scores['mean'])}"),
                   ("dash", GREEN, f"median {_number(scores['median'])}")]
    canvas.line(frame.left, frame.top, frame.left, frame.bottom, INK)
    x_ticks = [t for t in nice_ticks(max(abs(edges[0]), abs(edges[-1]))) if edges[0] - 1e-9 <= t <= edges[-1] + 1e-9]
    _x_axis(canvas, frame, x_ticks, f"score (points out of {_number(scores['max_score'])})", grid=False)
    canvas.text(22, (frame.top + frame.bottom) / 2, "submissions", anchor="middle", rotate=True)
    title = f"Score distribution ({scores.get('count', 0)} graded submissions)"
    canvas.text(WIDTH / 2, 22, title, anchor="middle", size=TITLE_PX)
    _legend(canvas, legend, 378)
    return canvas.document(title)


def _rows_chart(title: str, labels: Sequence[str], x_high: float) -> tuple[Canvas, _Frame]:
    """A horizontal bar chart's canvas and frame: one row per label, the labels left of the bars."""
    left = 20 + MONO_CHAR_PX * max((len(label) for label in labels), default=4)
    height = 50 + ROW_PX * max(len(labels), 1) + 80
    canvas = Canvas(height=round(height))
    frame = _Frame(left=left, top=44, right=WIDTH - 24, bottom=44 + ROW_PX * max(len(labels), 1), x_low=0.0,
                   x_high=x_high)
    canvas.text(WIDTH / 2, 20, title, anchor="middle", size=TITLE_PX)
    for row, label in enumerate(labels):
        canvas.text(frame.left - 8, _row_y(frame, row), label, anchor="end", mono=True, size=FONT_PX - 1)
    canvas.line(frame.left, frame.top, frame.left, frame.bottom, INK)
    return canvas, frame


def _row_y(frame: _Frame, row: int) -> float:
    return frame.top + ROW_PX * (row + 0.5)


def skill_pass_rates(summary: dict[str, Any]) -> str:
    """Per skill, the share of submissions with full marks (bar) and the mean share of points
    (diamond), worst at the top."""
    skills = [s for s in summary["skills"] if s["submissions"]]
    title = "Pass rate per skill, worst first"
    canvas, frame = _rows_chart(title, [s["name"] for s in skills], 112.0)
    _x_axis(canvas, frame, range(0, 101, 20), "submissions with full marks on the skill (%)")
    for row, skill in enumerate(skills):
        middle = _row_y(frame, row)
        canvas.rect(frame.left, middle - 0.33 * ROW_PX, frame.x(100 * skill["pass_rate"]) - frame.left,
                    0.66 * ROW_PX, BLUE)
        share = frame.x(100 * skill["mean_share"])
        canvas.diamond(share, middle, ORANGE)
        canvas.text(frame.x(103), middle, f"{skill['full_marks']}/{skill['submissions']}", size=SMALL_PX,
                    colour=GREY)
    _legend(canvas, [("bar", BLUE, "submissions with full marks (%)"),
                     ("diamond", ORANGE, "mean share of the skill's points (%)")], frame.bottom + 64)
    return canvas.document(title)


def misconception_counts(summary: dict[str, Any]) -> str:
    """How many submissions each misconception was diagnosed in, most frequent at the top."""
    rows = summary["misconceptions"]
    ran = max(summary["tests_ran"], 1)
    top = max((r["submissions"] for r in rows), default=1)
    ticks = nice_ticks(top, integer=True)
    title = "Misconceptions diagnosed"
    canvas, frame = _rows_chart(title, [r["id"] for r in rows], max(top * 1.25 + 0.5, ticks[-1]))
    _x_axis(canvas, frame, ticks, f"submissions diagnosed (of {summary['tests_ran']} whose tests ran)")
    for row, entry in enumerate(rows):
        middle = _row_y(frame, row)
        end = frame.x(entry["submissions"])
        canvas.rect(frame.left, middle - 0.33 * ROW_PX, end - frame.left, 0.66 * ROW_PX, RED)
        canvas.text(end + 4, middle, f"{entry['submissions']} ({100 * entry['submissions'] / ran:.0f}%)",
                    size=SMALL_PX, colour=GREY)
    return canvas.document(title)
