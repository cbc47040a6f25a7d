"""A failing value check as a picture in ``feedback.html``: the student's values against the reference.

``curve_svg(curve)`` draws a ``Curve`` (``autograder.curves``) as a small standalone SVG document:
the reference as a line, the student's values as dots. The points that are off are red, joined
to the reference by a thin red line (how far off), and counted in the legend; values the axis
cannot show (NaN, +-inf, far off) sit at the plot's top or bottom edge. A far point (x = +-1000
beside points in +-20) switches x to a symmetric log scale, linear near 0 and shaded where it is
logarithmic, said in the axis label; y follows when the reference's far values dwarf those near 0.
Written directly, not drawn with matplotlib: a few milliseconds, where matplotlib took 0.15 s a plot
and half a second to import. Every label is escaped.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from autograder.curves import Curve
from autograder.report.charts import BLUE, GRID, INK, ORANGE, RED, SMALL_PX, Canvas, nice_ceiling

CURVE_SIZE_PX = (480, 320)
"""A failing check's plot in ``feedback.html``: small beside its message, labels still readable."""
SYMLOG_RATIO = 20.0
"""x is drawn on a symmetric log scale when its largest |x| exceeds this times the typical |x|."""
OFF_SCALE = 4.0
"""The student's values further than this many reference spans outside the reference's range are
marked at the plot's edge instead of stretching the axis until the reference is a flat line."""
LINEAR_SCALE = 2.0
"""How wide the linear part of a symmetric log axis is, in decades (as matplotlib's ``linscale``)."""
SHADE = "#f2f2f2"
"""The logarithmic parts of a symmetric log x axis."""
Floats = npt.NDArray[np.float64]


def _nice_floor(value: float) -> float:
    """The largest of 1, 2, 5 times a power of ten that is at most ``value`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (5.0, 2.0, 1.0) if step * power <= value)


def _linear_threshold(x: Floats) -> float | None:
    """The symlog threshold when a few far values (x = +-1000 among points in +-20) would squash
    the rest on a linear axis; None when a linear axis shows all well."""
    size = np.abs(x)
    if size.size == 0:
        return None
    typical = float(np.percentile(size, 75))
    if typical <= 0 or float(size.max()) <= SYMLOG_RATIO * typical:
        return None
    return nice_ceiling(typical)


def _far_values(x: Floats, expected: Floats, threshold: float) -> float | None:
    """The y symlog threshold when the reference's values at the far x (beyond ``threshold``) dwarf
    those near 0 (leaky_relu at x = +-1000), so they would flatten the part of the plot that matters."""
    near = np.abs(expected[(np.abs(x) <= threshold) & np.isfinite(expected)])
    far = np.abs(expected[np.isfinite(expected)])
    if near.size == 0 or float(near.max()) <= 0 or float(far.max()) <= SYMLOG_RATIO * float(near.max()):
        return None
    return nice_ceiling(float(near.max()))


def _view(expected: Floats, got: Floats) -> tuple[float, float]:
    """The y range shown: the reference's, widened to the student's values unless they are far off."""
    finite = expected[np.isfinite(expected)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = high - low if high > low else max(abs(high), 1.0)
    shown = got[np.isfinite(got) & (got >= low - OFF_SCALE * span) & (got <= high + OFF_SCALE * span)]
    if shown.size:
        low, high = min(low, float(shown.min())), max(high, float(shown.max()))
    pad = 0.08 * (high - low if high > low else span)
    return low - pad, high + pad


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


def _linear_ticks(low: float, high: float) -> list[float]:
    """Round values inside [low, high], about five intervals apart."""
    span = high - low
    if not span > 0:
        return [low]
    step = nice_ceiling(span / 6)
    first = math.ceil(low / step - 1e-9)
    return [round(k * step, 12) for k in range(first, math.floor(high / step + 1e-9) + 1)]


@dataclass(frozen=True)
class Axis:
    """One axis: its value range, drawn between two pixel positions, linear or symmetric log."""

    low: float
    high: float
    start_px: float
    end_px: float
    threshold: float | None = None
    """The symmetric log scale's linear part (+-threshold); None: linear."""

    def _scaled(self, value: float) -> float:
        if self.threshold is None:
            return value
        t = self.threshold
        linear = LINEAR_SCALE / (1.0 - 1.0 / 10.0)
        if abs(value) <= t:
            return value * linear
        return math.copysign(t * (linear + math.log10(abs(value) / t)), value)

    def px(self, value: float) -> float:
        low, high = self._scaled(self.low), self._scaled(self.high)
        share = (self._scaled(value) - low) / (high - low) if high > low else 0.5
        return self.start_px + share * (self.end_px - self.start_px)

    def ticks(self) -> list[float]:
        if self.threshold is not None:
            return [t for t in _symlog_ticks(self.low, self.high, self.threshold) if self.low <= t <= self.high]
        return _linear_ticks(self.low, self.high)


def _x_axis(x: Floats) -> tuple[float, float, float | None]:
    """x's range and its symlog threshold (None: linear, with a margin on each side)."""
    threshold = _linear_threshold(x)
    low, high = float(x.min()), float(x.max())
    if threshold is not None:
        x_low, x_high = low * 1.3, high * 1.3
        return (x_low if x_low < 0 else -threshold), (x_high if x_high > 0 else threshold), threshold
    margin = 0.05 * (high - low if high > low else 1.0)
    return low - margin, high + margin, None


def _marker(canvas: Canvas, kind: str, x: float, y: float, colour: str) -> None:
    """One point's mark: "o" a dot, "O" a larger dot, "^" and "v" triangles, "X" a cross."""
    if kind in ("o", "O"):
        canvas.add(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{2.6 if kind == "o" else 3.1}" fill="{colour}"/>')
    elif kind in ("^", "v"):
        tip = -5.0 if kind == "^" else 5.0
        canvas.add(f'<path d="M{x:.1f} {y + tip:.1f} L{x - 4.5:.1f} {y - tip:.1f} L{x + 4.5:.1f} {y - tip:.1f} Z" '
                   f'fill="{colour}"/>')
    else:
        canvas.add(f'<path d="M{x - 4:.1f} {y - 4:.1f} L{x + 4:.1f} {y + 4:.1f} M{x - 4:.1f} {y + 4:.1f} '
                   f'L{x + 4:.1f} {y - 4:.1f}" stroke="{colour}" stroke-width="2.2"/>')


def _polylines(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive points (None breaks a run)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


def _legend(canvas: Canvas, entries: Sequence[tuple[str, str, str]], top: float, width: int) -> None:
    """(marker, colour, label) entries in two columns below the plot; "-" is the reference's line."""
    column = width / 2
    for i, (kind, colour, label) in enumerate(entries):
        x, y = 24 + column * (i % 2), top + 16 * (i // 2)
        if kind == "-":
            canvas.line(x - 8, y, x + 8, y, colour, width=2.2)
        else:
            _marker(canvas, kind, x, y, colour)
        canvas.text(x + 14, y, label, size=SMALL_PX)


@functools.lru_cache(maxsize=256)
def curve_svg(curve: Curve, title: str = "") -> str:
    """``curve`` as an SVG document (see the module doc); ``title`` (the suite's, never the
    student's) defaults to the check's call. Kept per process (a ``Curve`` is plain, hashable data):
    students who make the same mistake fail a check with the same values."""
    x, got = np.array(curve.x, dtype=np.float64), np.array(curve.got, dtype=np.float64)
    expected, wrong = np.array(curve.expected, dtype=np.float64), np.array(curve.wrong, dtype=np.bool_)
    width, height = CURVE_SIZE_PX
    heading = textwrap.wrap(title or f"{curve.function or 'your function'}: yours against the reference", 60)[:2]
    low, high = _view(expected, got)
    inside = np.isfinite(got) & (got >= low) & (got <= high)
    right, off = inside & ~wrong, inside & wrong
    edges = [(mask, kind, label) for mask, kind, label in (
        ((got > high) | np.isposinf(got), "^", "yours: above the plot (or inf)"),
        ((got < low) | np.isneginf(got), "v", "yours: below the plot (or -inf)"),
        (np.isnan(got), "X", "yours: NaN")) if mask.any()]
    entries = [("-", BLUE, "reference")]
    entries += [("o", ORANGE, f"yours, right: {int(right.sum())} of {wrong.size}")] if right.any() else []
    entries += [("O", RED, f"yours, wrong: {int(off.sum())} of {wrong.size}")] if off.any() else []
    entries += [(kind, RED, f"{label}, {int(mask.sum())}") for mask, kind, label in edges]
    legend_rows = math.ceil(len(entries) / 2)
    top = 12 + 16 * len(heading)
    bottom = height - 44 - 16 * legend_rows
    x_low, x_high, x_threshold = _x_axis(x)
    y_threshold = None if x_threshold is None else _far_values(x, expected, x_threshold)
    h_axis = Axis(x_low, x_high, 62, width - 14, x_threshold)
    v_axis = Axis(low, high, bottom, top, y_threshold)
    canvas = Canvas(height=height)
    for row, line in enumerate(heading):
        canvas.text(width / 2, 12 + 16 * row, line, anchor="middle", size=SMALL_PX + 2)
    if x_threshold is not None:
        for start, end in ((x_low, -x_threshold), (x_threshold, x_high)):
            if end > start:
                canvas.rect(h_axis.px(start), top, h_axis.px(end) - h_axis.px(start), bottom - top, SHADE)
    _grid(canvas, h_axis, v_axis)
    canvas.add(f'<clipPath id="plot"><rect x="{h_axis.start_px}" y="{top}" width="{h_axis.end_px - h_axis.start_px}" '
               f'height="{bottom - top}"/></clipPath><g clip-path="url(#plot)">')
    for run in _polylines([(h_axis.px(a), v_axis.px(b)) if math.isfinite(b) else None for a, b in zip(x, expected)]):
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in run)
        canvas.add(f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="2.2"/>')
    for i in np.flatnonzero(off):
        canvas.add(f'<line x1="{h_axis.px(x[i]):.1f}" y1="{v_axis.px(expected[i]):.1f}" x2="{h_axis.px(x[i]):.1f}" '
                   f'y2="{v_axis.px(got[i]):.1f}" stroke="{RED}" stroke-width="0.8" stroke-opacity="0.4"/>')
    for mask, kind, colour in ((right, "o", ORANGE), (off, "O", RED)):
        for i in np.flatnonzero(mask):
            _marker(canvas, kind, h_axis.px(x[i]), v_axis.px(got[i]), colour)
    canvas.add("</g>")
    for mask, kind, _ in edges:
        y = top + 0.02 * (bottom - top) if kind != "v" else bottom - 0.02 * (bottom - top)
        for i in np.flatnonzero(mask):
            _marker(canvas, kind, h_axis.px(x[i]), y, RED)
    x_label = curve.x_name or "x"
    if x_threshold is not None:
        x_label += f"   (linear within ±{x_threshold:g}, log scale in the shaded parts)"
    y_label = "value" + (f" (log beyond ±{y_threshold:g})" if y_threshold is not None else "")
    canvas.text((h_axis.start_px + h_axis.end_px) / 2, bottom + 30, x_label, anchor="middle", size=SMALL_PX)
    canvas.text(14, (top + bottom) / 2, y_label, anchor="middle", size=SMALL_PX, rotate=True)
    _legend(canvas, entries, bottom + 50, width)
    return canvas.document(" ".join(heading), width=width)


def _grid(canvas: Canvas, h_axis: Axis, v_axis: Axis) -> None:
    """The grid, the axes' lines and their tick labels."""
    top, bottom = v_axis.end_px, v_axis.start_px
    for tick in h_axis.ticks():
        x = h_axis.px(tick)
        canvas.line(x, top, x, bottom, GRID, width=0.6)
        canvas.line(x, bottom, x, bottom + 4, INK)
        canvas.text(x, bottom + 13, f"{tick:g}", anchor="middle", size=SMALL_PX - 1, colour=INK)
    for tick in v_axis.ticks():
        y = v_axis.px(tick)
        canvas.line(h_axis.start_px, y, h_axis.end_px, y, GRID, width=0.6)
        canvas.line(h_axis.start_px - 4, y, h_axis.start_px, y, INK)
        canvas.text(h_axis.start_px - 7, y, f"{tick:g}", anchor="end", size=SMALL_PX - 1, colour=INK)
    canvas.line(h_axis.start_px, bottom, h_axis.end_px, bottom, INK)
    canvas.line(h_axis.start_px, top, h_axis.start_px, bottom, INK)
