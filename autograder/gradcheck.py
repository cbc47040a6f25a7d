"""Numeric gradient checks: central differences in float64, away from kinks.

The step and tolerances live in ``autograder.tolerances`` (``GRADCHECK_EPS``,
``GRADCHECK``, ``KINK_MARGIN``), where the choice is explained. Functions are
called on whole arrays, so checking a student's function through the sandbox
costs two round trips, not two per point.

A checked function (usually the student's) that returns something unusable --
the wrong shape, values that are not numbers -- raises ``UnusableValue``, an
``AssertionError``: the student's test fails with that message, it is not a
failure of the kit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from autograder.tolerances import GRADCHECK, GRADCHECK_EPS, KINK_MARGIN, Tolerance

FloatArray = npt.NDArray[np.float64]


class UnusableValue(AssertionError):
    """The checked function returned a value a gradient check cannot use (the student's failure)."""


def _floats(value: object, what: str) -> FloatArray:
    """``value`` as a float64 array, or ``UnusableValue`` saying why not."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (OverflowError, TypeError, ValueError) as err:
        raise UnusableValue(f"{what} returned a value that is not an array of numbers ({err})") from None


def sample_away_from_kinks(rng: np.random.Generator, n: int, *, low: float, high: float,
                           kinks: Sequence[float] = (), margin: float = KINK_MARGIN) -> FloatArray:
    """``n`` uniform float64 points in [low, high], each at least ``margin`` from every kink.

    Raises ``ValueError`` when the kinks' margins leave (almost) nothing to sample.
    """
    points = np.empty(0, dtype=np.float64)
    for _ in range(100):
        if points.size >= n:
            return points[:n]
        draw = rng.uniform(low, high, size=2 * n)
        far = np.all(np.abs(draw[:, None] - np.asarray(kinks, dtype=np.float64)[None, :]) >= margin,
                     axis=1) if kinks else np.ones(draw.shape, dtype=bool)
        points = np.concatenate([points, draw[far]])
    if points.size >= n:
        return points[:n]
    raise ValueError(f"no room for {n} points in [{low}, {high}] at {margin} from the kinks {kinks}")


GOLDEN_STEP = (math.sqrt(5.0) - 1.0) / 2.0
"""1 / phi: the step of ``spread``'s sequence, whose points never fall into a regular grid."""


def spread(n: int, low: float, high: float) -> FloatArray:
    """``n`` float64 points in (low, high), spread without a random generator: low + (high - low) *
    the fractional part of (i + 1/2) / phi, for i = 0 .. n-1. They are deterministic, unevenly
    spaced and fill the interval evenly; for n <= 64 none lies within 0.25% of the interval's
    width of its middle or its ends (0 in [-6, 6], where ReLU's family has its kink).
    A public suite's inputs cost no ``numpy.random`` import, which ``check`` would pay each run."""
    fractions = ((np.arange(n, dtype=np.float64) + 0.5) * GOLDEN_STEP) % 1.0
    return low + (high - low) * fractions


def central_difference(f: Callable[[FloatArray], FloatArray], x: FloatArray,
                       eps: float = GRADCHECK_EPS) -> FloatArray:
    """d f / d x elementwise, for an elementwise ``f``: (f(x + eps) - f(x - eps)) / 2 eps.

    For an array ``x`` each output must have the shape of ``x`` (one value per
    input); for a scalar ``x`` (a parameter) both outputs must have one shape.
    Otherwise ``UnusableValue``.
    """
    x = np.asarray(x, dtype=np.float64)
    ahead = _floats(f(x + eps), "the forward function")
    behind = _floats(f(x - eps), "the forward function")
    for output in (ahead, behind):
        if (x.ndim and output.shape != x.shape) or output.shape != ahead.shape:
            should = x.shape if x.ndim else ahead.shape
            raise UnusableValue(f"for central differences the forward function returned shape "
                                f"{output.shape} for an input of shape {x.shape}; it should return shape "
                                f"{should} (one value per input element: work elementwise, never filter "
                                "or flatten)")
    return (ahead - behind) / (2.0 * eps)


def partial_derivatives(f: Callable[[dict[str, float]], float], params: Mapping[str, float],
                        eps: float = GRADCHECK_EPS) -> dict[str, float]:
    """d f / d p for each scalar parameter p of a scalar function of a dict of floats."""
    grads: dict[str, float] = {}
    for name, value in params.items():
        ahead = _scalar(f({**params, name: value + eps}))
        behind = _scalar(f({**params, name: value - eps}))
        grads[name] = (ahead - behind) / (2.0 * eps)
    return grads


def _scalar(value: object) -> float:
    """``value`` as one float, or ``UnusableValue``."""
    array = _floats(value, "the forward function")
    if array.size != 1:
        raise UnusableValue(f"the forward function returned shape {array.shape}; "
                            "it should return a single number")
    return float(array.reshape(-1)[0])


@dataclass(frozen=True)
class GradcheckReport:
    """Outcome of one gradient check, naming the worst input."""

    passed: bool
    worst_input: str
    analytic: float
    numeric: float
    error: float
    allowed: float

    def describe(self) -> str:
        verdict = "agrees with" if self.passed else "disagrees with"
        return (f"the derivative {verdict} central differences; worst at {self.worst_input}: "
                f"analytic {self.analytic:.10g}, numeric {self.numeric:.10g} "
                f"(error {self.error:.3g}, allowed {self.allowed:.3g})")


def compare_gradients(analytic: FloatArray, numeric: FloatArray, labels: Sequence[str],
                      tol: Tolerance = GRADCHECK) -> GradcheckReport:
    """Compare two gradients elementwise and report the input with the largest error ratio.

    ``labels[i]`` names the input of element ``i`` (e.g. ``"x=0.37"``). A NaN
    in ``analytic`` always fails.
    """
    got = _floats(analytic, "the derivative").reshape(-1)
    want = _floats(numeric, "the forward function").reshape(-1)
    if got.size != want.size:
        raise UnusableValue(f"the derivative has {got.size} values but the central differences of the "
                            f"forward function have {want.size}; both should have one value per input")
    allowed = tol.allowed_error(want)
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.where(np.isfinite(got), np.abs(got - want), np.inf)
    worst = int(np.argmax(error / allowed))
    return GradcheckReport(passed=bool(np.all(tol.close(got, want))), worst_input=labels[worst],
                           analytic=float(got[worst]), numeric=float(want[worst]),
                           error=float(error[worst]), allowed=float(allowed[worst]))
