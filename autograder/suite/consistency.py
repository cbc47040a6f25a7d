"""Judging a downstream function against the student's own upstream ones.

"One mistake costs once": a derivative is also right when it is the
derivative of the student's own (wrong) forward function, ``backward`` when it
is the gradient of their own ``forward`` + ``mse_loss``, ``train`` when it
repeats their own ``backward`` and update. A check that passes this way calls
``credit_consistency(record_property, upstream)``; the credit model
(``autograder/grading/credit.py``) then grants it only if ``upstream`` is
wrong in its own checks.

Consistency is never credited against a degenerate upstream: one that is not
finite, constant (zeros, ones, any constant), or affine in its input (returns
its input, or a line). Against those, every "derivative" would be trivially
consistent.

Consistency is decided per setting and per point, never bought elsewhere
(``derivative_reason``): a derivative's case names the forward's own case in
the same setting (``consistent_on``), which must fail; every point where the
derivative is wrong must be a point where the forward, as its own value check
sees it, is wrong too; there the derivative must be the forward's slope, from
probes at x +- h that agree with the forward at x (a forward that answers
probes differently gains nothing), and between neighbouring points the
forward's own values must rise as the derivative says. A derivative written
through the lecture's identity on the student's own forward (sigmoid' =
s (1 - s) with their own s; ``identity_reason``) earns the same way: the
identity is the reference's, derived by SymPy
(``reference.activations.Activation.output_derivative``).

The pieces the suites share:

* ``reference_or_consistent(record_property, check, upstream)``: a check that
  passes against the reference, or with consistency credit for the upstream
  ``upstream()`` names (the reference's failure stands when it names none);
* ``elementwise_reason(function)`` and ``probe_reason(function)``: why a
  student's elementwise function, or function of factors, is degenerate;
* ``chain_rule_upstream(student, paths, got)``: ``got`` is the sum over the
  paths of the student's own wrong ``chain_rule``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from autograder.suite.expect import as_float_array
from autograder.tolerances import GRADCHECK, KINK_MARGIN, VALUES
from reference import losses

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

CONSISTENT_WITH = "consistent_with"
"""The ``record_property`` key a consistency pass is reported under."""

CONSISTENT_ON = "consistent_on"
"""The ``record_property`` key naming the upstream's own case in the same setting, which must fail."""

DEGENERATE_SPREAD = 1e-9

REFERENCE_ONLY: ContextVar[bool] = ContextVar("reference_only", default=False)
"""Set while a case runs again with its upstream functions substituted
(``autograder/suite/substitution.py``): the upstream is then right by construction, so the
reference alone judges and no consistency with the student's own upstream is sought."""
"""Outputs whose range is below this (times their scale) are constant."""


def degenerate_reason(inputs: FloatArray, outputs: FloatArray) -> str:
    """Why ``outputs`` (of a function at ``inputs``) cannot earn consistency credit; "" if they can."""
    x = np.asarray(inputs, dtype=np.float64).reshape(-1)
    y = np.asarray(outputs, dtype=np.float64).reshape(-1)
    if y.shape != x.shape or not np.all(np.isfinite(y)):
        return "its values are not finite numbers of the input's shape"
    scale = max(1.0, float(np.max(np.abs(y))))
    if float(np.ptp(y)) <= DEGENERATE_SPREAD * scale:
        return "it returns a constant"
    design = np.stack([x, np.ones_like(x)], axis=1)
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    if float(np.max(np.abs(design @ coefficients - y))) <= DEGENERATE_SPREAD * scale:
        return "it is a straight line in its input"
    return ""


def depends_on(value_at: Callable[[float], float], point: float, step: float = 1e-3) -> bool:
    """Whether a scalar function of one parameter changes at all near ``point``."""
    values = [value_at(point + d) for d in (-step, 0.0, step)]
    return all(np.isfinite(values)) and float(np.ptp(values)) > DEGENERATE_SPREAD * max(
        1.0, float(np.max(np.abs(values))))


def credit_consistency(record_property: Callable[[str, Any], None], upstream: str, on: str = "") -> None:
    """Report that the current check passed by agreeing with the student's own ``upstream``
    (with ``on``: by agreeing with its case ``on``, in the same setting, which must then fail)."""
    record_property(CONSISTENT_WITH, upstream)
    if on:
        record_property(CONSISTENT_ON, on)


def reference_or_consistent(record_property: Callable[[str, Any], None], check: Callable[[], object],
                            upstream: Callable[[], str], on: str = "") -> None:
    """Match the reference, or earn consistency credit from the student's own wrong upstream.

    ``check()`` compares the student's result with the reference (``assert_close`` and the like; its
    ``derive`` calls stay in the suite, whose expectation cache holds them). When it fails,
    ``upstream()`` names the upstream skill the result is consistent with ("" for none): the case then
    passes, credited to that skill; otherwise the reference's failure stands, message and hint as they are.
    """
    __tracebackhide__ = True
    try:
        check()
        return
    except AssertionError:
        named = "" if REFERENCE_ONLY.get() else upstream()
        if not named:
            raise
    credit_consistency(record_property, named, on)


def _close(got: Any, want: Any) -> bool:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return got.shape == want.shape and bool(np.all(VALUES.close(got, want)))


GRID: FloatArray = np.linspace(-4.0, 4.0, 41)[np.abs(np.linspace(-4.0, 4.0, 41)) > KINK_MARGIN]
"""Where a student's activation is checked for being degenerate (0 left out: it is a kink)."""


def elementwise_reason(function: Callable[[FloatArray], Any], grid: FloatArray = GRID) -> str:
    """Why an elementwise student function cannot earn consistency credit ("" when it can):
    not finite, constant, a straight line, or not a function of its input alone."""
    values = as_float_array(function(grid.copy()), call="")
    reason = degenerate_reason(grid, values)
    if reason:
        return reason
    if not _close(as_float_array(function(grid[::-1].copy()), call="")[::-1], values):
        return "it is not a function of its input alone"
    return ""


PROBE: FloatArray = np.linspace(-2.0, 2.0, 9)
"""Where a student's function of factors (chain_rule, sum_over_paths) is checked for being degenerate."""


def probe_reason(function: Callable[[FloatArray], Any], probe: FloatArray = PROBE) -> str:
    """Why a student's function of factors (chain_rule, sum_over_paths) cannot earn consistency
    credit ("" when it can): not finite numbers of the probe's shape, constant, the probe itself,
    or not a function of its input alone. (A sum for a product is a straight line, and allowed.)"""
    values = as_float_array(function(probe.copy()), call="")
    if values.shape != probe.shape or not np.all(np.isfinite(values)):
        return "its values are not finite numbers of the input's shape"
    if float(np.ptp(values)) <= DEGENERATE_SPREAD * max(1.0, float(np.max(np.abs(values)))):
        return "it returns a constant"
    if _close(values, probe):
        return "it returns its input"
    if not _close(as_float_array(function(probe[::-1].copy()), call="")[::-1], values):
        return "it is not a function of its input alone"
    return ""


def chain_rule_upstream(student: Any, paths: list[list[Any]], got: Any,
                        copy: Callable[[Any], Any] = np.copy) -> str:
    """"chain_rule" when ``got`` (the student's sum_over_paths of ``paths``) is the sum of the student's
    own chain_rule over ``paths``, which is wrong on them and not degenerate (chain_rule([t, t]), see
    ``probe_reason``); "" otherwise. ``copy`` makes each factor the student's chain_rule receives."""
    try:
        products = [as_float_array(student.chain_rule([copy(f) for f in path]), call="chain_rule")
                    for path in paths]
        if all(_close(own, losses.chain_rule(path)) for own, path in zip(products, paths)):
            return ""
        if probe_reason(lambda t: student.chain_rule([t, t])):
            return ""
        return "chain_rule" if _close(as_float_array(got, call="sum_over_paths"), sum(products)) else ""
    except Exception:  # anything the student's chain_rule does wrong here just means: not consistent
        return ""


def wrong_near(points: FloatArray, own: FloatArray, want: FloatArray) -> BoolArray:
    """Where a student's function is wrong, as its own value check sees it (``own`` at ``points``
    against the reference's ``want``): its value, or its rise to a neighbouring point (the slope of
    the line between them; at x = 0 a sign-flipped sigmoid has the right value but not the right rise)."""
    order = np.argsort(points, kind="stable")
    x, got, ref = points[order], own[order], want[order]
    wrong = ~VALUES.close(got, ref)
    with np.errstate(all="ignore"):
        rises = ~GRADCHECK.close(np.diff(got) / np.diff(x), np.diff(ref) / np.diff(x))
    wrong[:-1] |= rises
    wrong[1:] |= rises
    unsorted = np.empty_like(wrong)
    unsorted[order] = wrong
    return unsorted


@dataclass(frozen=True)
class Probe:
    """A student's forward at the points where a derivative is judged, and a step either side."""

    at: FloatArray
    """The forward at the points, in the probing call."""
    ahead: FloatArray
    behind: FloatArray
    step: float
    side: npt.NDArray[np.int8]
    """Per point: 0 for central differences, +1 or -1 for the one side away from a kink within a step."""

    def halves(self) -> tuple[FloatArray, FloatArray]:
        """The slopes of the steps behind and ahead."""
        with np.errstate(all="ignore"):
            return (self.at - self.behind) / self.step, (self.ahead - self.at) / self.step

    def slope(self) -> FloatArray:
        behind, ahead = self.halves()
        return np.where(self.side > 0, ahead, np.where(self.side < 0, behind, (behind + ahead) / 2.0))

    def smooth(self) -> BoolArray:
        """Where both steps agree (a forward that answers x +- h differently from x does not)."""
        behind, ahead = self.halves()
        smooth: BoolArray = (self.side != 0) | GRADCHECK.close(behind, ahead)
        return smooth


def _rises_as_said(points: FloatArray, own: FloatArray, got: FloatArray, wrong: BoolArray) -> bool:
    """Between neighbouring points where the derivative is wrong at either end, the forward's own rise
    lies between the derivative's two values (the mean of a derivative over an interval where it is
    monotone does): a forward cannot claim one slope at its probes and rise at another in its values."""
    order = np.argsort(points, kind="stable")
    x, f, d, bad = points[order], own[order], got[order], wrong[order]
    with np.errstate(all="ignore"):
        rise = np.diff(f) / np.diff(x)
    low, high = np.minimum(d[:-1], d[1:]), np.maximum(d[:-1], d[1:])
    inside = (rise >= low - GRADCHECK.allowed_error(low)) & (rise <= high + GRADCHECK.allowed_error(high))
    judged = bad[:-1] | bad[1:]
    return bool(np.all(inside[judged]))


def derivative_reason(points: FloatArray, got: FloatArray, want: FloatArray, own: FloatArray,
                      own_want: FloatArray, probe: Probe) -> str:
    """Why a derivative wrong against the reference cannot earn consistency credit ("" when it can),
    point by point (see the module doc). ``got`` and ``want``: the student's derivative and the
    reference's at ``points``; ``own`` and ``own_want``: the student's forward there, from a call like
    its own value check's, and the reference's; ``probe``: the forward probed around the points."""
    wrong = ~VALUES.close(got, want)
    if not np.any(wrong):
        return "it is right"
    if not np.all(VALUES.close(probe.at, own)):
        return "your forward gives other values when probed than in its own check"
    if not np.all(wrong_near(points, own, own_want)[wrong]):
        return "it is wrong where your forward is right"
    if not np.all(probe.smooth()[wrong]) or not np.all(GRADCHECK.close(got, probe.slope())[wrong]):
        return "it is not the slope of your forward where it is wrong"
    if not _rises_as_said(points, own, got, wrong):
        return "your forward's own values do not rise as it says"
    return ""


def identity_reason(got: FloatArray, want: FloatArray, by_identity: FloatArray) -> str:
    """Why a derivative wrong against the reference cannot earn consistency credit as the lecture's
    identity on the student's own forward ("" when it can): wherever it is wrong, it must equal
    ``by_identity`` (the reference's identity, sigmoid' = s (1 - s) and the like, applied to ``own``,
    the student's forward as its own check sees it). The identity on the right values is the right
    derivative, so a derivative wrong there by the identity is wrong because the forward's value at
    that very point is: no test of the forward's values is needed (near saturation an error of the
    forward within its tolerance still shows in the derivative's)."""
    wrong = ~VALUES.close(got, want)
    if not np.any(wrong):
        return "it is right"
    if not np.all(VALUES.close(got, by_identity)[wrong]):
        return "it is not the derivative's identity on your forward's values"
    return ""
