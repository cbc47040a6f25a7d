"""Every numeric tolerance of the kit, in one place.

A value ``got`` matches ``want`` when, elementwise,
``|got - want| <= atol + rtol * |want|`` (the ``numpy.isclose`` rule, written
out in ``Tolerance.close`` so a monkeypatched numpy could never change it).
All comparisons are done on float64 arrays.

* ``VALUES``: a student's function against the SymPy reference. Equal formulas
  agree to ~1e-15 relatively; ``rtol = 1e-6`` leaves room for reordered
  arithmetic, and ``atol = 1e-9`` for catastrophic cancellation such as
  ``s * (1 - s)`` at x = 30, where ``1 - s`` keeps only ~3 significant digits
  of a value near 1e-13.
* ``TINY``: values whose smallness is the point (gradients deep in a sigmoid
  chain, 1e-20 and below). Purely relative, or any tiny number would pass.
* ``GRADCHECK``: an analytic derivative against central differences. With
  step ``GRADCHECK_EPS = 1e-6`` the truncation error is ~eps^2 |f'''| / 6
  ~ 1e-13 and the rounding error ~1e-16 |f| / eps ~ 1e-10, so ``1e-5`` relative
  and ``1e-6`` absolute catch any wrong derivative (off by a factor, a sign or
  a missing term) without false alarms; the same pair as ``torch.autograd.gradcheck``
  in spirit (it uses eps=1e-6, atol=1e-5, rtol=1e-3).
* ``KINK_MARGIN``: numeric gradients are taken only at points at least this
  far from a kink, so the central difference never straddles one.
* ``REFERENCE``: the reference's own float64 evaluators against their defining
  SymPy expressions evaluated exactly (mpmath, 50 correct digits). A stable
  float64 formula is correct to a few ulps (~1e-15), so ``rtol = 1e-13``
  leaves a margin of ~100 while catching any lost digit. It is purely
  relative wherever the exact value is at least ``REFERENCE_UNDERFLOW``;
  below that (the exact value underflows: exp(-1000) ~ 1e-435) only
  |got - exact| <= ``REFERENCE_UNDERFLOW`` is asked, because the evaluators
  clamp exp's argument at -700 so that no subnormal is ever produced
  (exp(-700) ~ 1e-304, times at most |x| <= 1000).
* ``HAND``: a number a student worked out by hand or with a calculator (the
  worked-number questions of ``autograder.questions``) against the reference's
  30-digit value. Four significant digits carried through the lecture's two-path
  sum keep ~1e-3 relatively (each path is a product of four rounded factors), so
  ``rtol = 5e-3`` accepts them; purely relative, because the point of a vanishing
  product (~1e-7) is its size. A variant's numbers are drawn so that no two
  answers of the same question fall this close (``autograder.questions.variant``
  rejects draws whose paths nearly cancel). An updated weight w_new = w_old - eta g is
  ill conditioned as a test of the step: relative to w_new, a step of 1e-4 disappears in
  the tolerance, so it is judged relative to its change from w_old instead (``Question.tolerance_base``
  in ``autograder.questions.model``): the error allowed is ``HAND.rtol * |eta g|``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Tolerance:
    """A combined absolute and relative tolerance."""

    rtol: float
    atol: float

    def allowed_error(self, want: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The largest |got - want| accepted at each element."""
        return self.atol + self.rtol * np.abs(want)

    def close(self, got: npt.NDArray[np.float64], want: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """Elementwise match; NaN never matches, infinities match only themselves."""
        with np.errstate(invalid="ignore", over="ignore"):
            same_inf = np.isinf(got) & np.isinf(want) & (np.sign(got) == np.sign(want))
            finite_ok = np.abs(got - want) <= self.allowed_error(want)
        return np.where(np.isinf(want), same_inf, finite_ok & np.isfinite(got))


VALUES = Tolerance(rtol=1e-6, atol=1e-9)
TINY = Tolerance(rtol=1e-6, atol=0.0)
GRADCHECK = Tolerance(rtol=1e-5, atol=1e-6)
GRADCHECK_EPS = 1e-6
KINK_MARGIN = 1e-3
REFERENCE = Tolerance(rtol=1e-13, atol=0.0)
REFERENCE_UNDERFLOW = 1e-300
HAND = Tolerance(rtol=5e-3, atol=0.0)
POINTS = 1e-9
"""Points compared for a catalog's expected cost range: sums of shares of the manifest's points carry
rounding of that size, which must not push a cost just past a bound the instructor wrote."""
