"""Partial credit for a value check that compares several values in one case.

A case that checks many values at once (``backward``'s nine gradients) would
otherwise be all-or-nothing: a mistake that makes two of them wrong would cost
as much as one that makes all nine wrong, and more than one that makes every
value wrong in only half the cases. ``assert_each`` checks every part, records
the share that was right (``record_property``), then fails with the first
wrong part's message; the credit model (``autograder/grading/credit.py``) lets
the failing case earn that share of its points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

RIGHT_SHARE = "right_share"
"""The ``record_property`` key a failing case's share of right values is reported under."""


def assert_each(record_property: Callable[[str, Any], None], checks: Sequence[Callable[[], object]]) -> None:
    """Run every check (each raises ``AssertionError`` when its value is wrong); record the share
    that passed, then raise the first failure, message and hint as they are."""
    __tracebackhide__ = True
    failures: list[AssertionError] = []
    for check in checks:
        try:
            check()
        except AssertionError as err:
            failures.append(err)
    if failures:
        record_property(RIGHT_SHARE, (len(checks) - len(failures)) / len(checks))
        raise failures[0]


def right_share(properties: dict[str, Any]) -> float:
    """The share recorded by ``assert_each`` (0 when none was, or it is not a share)."""
    value = properties.get(RIGHT_SHARE, 0.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0.0
    return min(max(float(value), 0.0), 1.0)
