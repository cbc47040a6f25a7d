"""The evidence of a failing value check, small enough to keep: a ``Curve``.

When ``assert_close`` fails on a 1-D float input (at least ``MIN_POINTS``
points) with a result of the same shape, the ``AssertionError`` it raises
carries a ``Curve`` as its ``curve`` attribute: the tested inputs sorted by x,
the student's values and the reference's values there, and which of them are
off. The grader keeps it on the case (``CaseOutcome.curve``); with the
manifest's ``feedback = "full"`` it goes into ``results.json`` and
``feedback.html`` draws it against the reference.

Plain data only (tuples of Python floats, at most ``MAX_POINTS`` of them), so a
failing case never keeps the student's arrays alive, and a ``Curve`` holds
nothing but the tested inputs, the values returned, the reference's values and
the labels the suite gave the call. Non-finite values the student returned
(NaN, +-inf) are kept: they are what the plot marks.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

MIN_POINTS = 5
"""Fewer tested points than this: the message's sentence says it better than a plot."""
MAX_POINTS = 200
"""At most this many points are kept (both ends, the wrong points first, the rest evenly spread)."""
MAX_LABEL_CHARS = 80
CURVE_ATTRIBUTE = "curve"
"""The attribute of a failing ``assert_close``'s ``AssertionError`` that holds its ``Curve``."""

_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


@dataclass(frozen=True)
class Curve:
    """A failing value check over a 1-D range: x ascending, the student's and the reference's values.

    ``wrong[i]`` says whether point ``i`` failed the check's tolerance (it is
    derived from ``got`` and ``expected``; a NaN or an infinity the student
    returned is always wrong). ``function`` is the call as the suite names it
    with the input left symbolic (``leaky_relu(x, alpha=0.2)``), ``x_name``
    the input's name (``x``, ``z``).
    """

    x: tuple[float, ...]
    got: tuple[float, ...]
    expected: tuple[float, ...]
    wrong: tuple[bool, ...]
    function: str = ""
    x_name: str = "x"

    def __post_init__(self) -> None:
        if not len(self.x) == len(self.got) == len(self.expected) == len(self.wrong):
            raise ValueError("a curve's x, got, expected and wrong must have the same length")

    @property
    def wrong_count(self) -> int:
        return sum(self.wrong)


def _signature(call: str) -> tuple[str, str]:
    """``sigmoid(x=<float64 array of shape (108,)>)`` -> (``sigmoid(x)``, ``x``); other texts are kept, clipped."""
    match = re.match(r"^(\w+)\((\w+)=(?:<[^<>]*>|\[[^\[\]]*\])", call)
    if match is None:
        return call[:MAX_LABEL_CHARS], "x"
    text = f"{match.group(1)}({match.group(2)}" + call[match.end():]
    return text[:MAX_LABEL_CHARS], match.group(2)


def _spread(count: int, limit: int) -> npt.NDArray[np.intp]:
    """At most ``limit`` indices into ``range(count)``, evenly spread, first and last included."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(np.intp))


def kept_positions(wrong: npt.NDArray[np.bool_], limit: int = MAX_POINTS) -> npt.NDArray[np.intp]:
    """Which points (of ``wrong``, in x order) a curve keeps: all when they fit; else both ends,
    the wrong points (evenly thinned to half the budget), and evenly spread points for the rest.

    Ascending, so the curve keeps x's order.
    """
    count = wrong.size
    if count <= limit:
        return np.arange(count)
    bad = np.flatnonzero(wrong)
    chosen = np.union1d([0, count - 1], bad[_spread(bad.size, limit // 2)])
    # linspace's own ends (0 and count - 1) are already chosen, so the union never exceeds ``limit``
    return np.union1d(chosen, _spread(count, limit - chosen.size + 2)).astype(np.intp)


def capture(inputs: Any, got: npt.NDArray[np.float64], expected: npt.NDArray[np.float64],
            close: npt.NDArray[np.bool_], call: str = "") -> Curve | None:
    """The curve of a failing check, or None when no plot would fit it.

    A plot needs a 1-D float ndarray of at least ``MIN_POINTS`` finite inputs and
    a result and reference of the same shape (scalars, matrices, batches and
    int inputs get none). The suite's ``inputs`` are trusted; ``got`` is already
    an exact float64 array (``as_float_array``).
    """
    if type(inputs) is not np.ndarray or inputs.dtype.kind != "f" or inputs.ndim != 1 \
            or inputs.size < MIN_POINTS or got.shape != inputs.shape or expected.shape != inputs.shape \
            or close.shape != inputs.shape:
        return None
    x = inputs.astype(np.float64)
    if not np.all(np.isfinite(x)):
        return None
    order = np.argsort(x, kind="stable")
    wrong = ~close[order]
    keep = order[kept_positions(wrong)]
    function, x_name = _signature(call)
    return Curve(x=tuple(float(v) for v in x[keep]), got=tuple(float(v) for v in got[keep]),
                 expected=tuple(float(v) for v in expected[keep]), wrong=tuple(bool(v) for v in ~close[keep]),
                 function=function, x_name=x_name)


def curve_of(error: BaseException | None) -> Curve | None:
    """The ``Curve`` a failing ``assert_close`` attached to its ``AssertionError``, if any."""
    if not isinstance(error, AssertionError):
        return None
    curve = getattr(error, CURVE_ATTRIBUTE, None)
    return curve if isinstance(curve, Curve) else None


def _number_json(value: float) -> float | str:
    """JSON has no NaN or infinity (``results.json`` is written with ``allow_nan=False``)."""
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _number(value: Any) -> float:
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"not a number in a curve: {value!r}")
    return float(value)


def to_json(curve: Curve) -> dict[str, Any]:
    """The curve as plain JSON (non-finite numbers as the strings ``nan``, ``inf``, ``-inf``)."""
    return {"function": curve.function, "x_name": curve.x_name, "x": list(curve.x),
            "got": [_number_json(v) for v in curve.got], "expected": [_number_json(v) for v in curve.expected],
            "wrong": [i for i, w in enumerate(curve.wrong) if w]}


def from_json(data: Any) -> Curve:
    """A curve read back from ``to_json``'s form; ``ValueError`` when it is not one."""
    if not isinstance(data, dict):
        raise ValueError("a curve is a JSON object")
    try:
        x = tuple(_number(v) for v in data["x"])
        wrong_at = {int(i) for i in data["wrong"]}
        return Curve(x=x, got=tuple(_number(v) for v in data["got"]),
                     expected=tuple(_number(v) for v in data["expected"]),
                     wrong=tuple(i in wrong_at for i in range(len(x))),
                     function=str(data.get("function", "")), x_name=str(data.get("x_name", "x")))
    except (KeyError, TypeError) as err:
        raise ValueError(f"not a curve: {err}") from err
