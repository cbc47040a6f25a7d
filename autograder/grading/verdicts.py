"""What one case's run comes to, without pytest: its marks, its failure's message and kind, its ending.

Both runners use these: ``autograder.grading.run`` (pytest's, for every suite) and
``autograder.grading.plain`` (``autograder check``'s public suite, run without importing pytest),
so a case gets the same name, marks and message whichever ran it.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from inspect import CO_ASYNC_GENERATOR, CO_COROUTINE, CO_GENERATOR
from typing import TYPE_CHECKING, Any, Protocol

from autograder.grading.outcomes import FailureKind
from autograder.sandbox.session import StudentCallError, StudentRaised
from autograder.suite.consistency import CONSISTENT_ON, CONSISTENT_WITH
from autograder.suite.share import right_share

if TYPE_CHECKING:
    from autograder.catalog import Misconception
    from autograder.curves import Curve

UNMARKED = "(no skill)"
"""The skill of a case whose marker is missing: an error of the suite, never priced."""

NOT_IMPLEMENTED = "not implemented yet: the function still raises NotImplementedError; write its body"
GRADER_FAILURE = "the grader could not run this check (a problem in the test suite, not in your code)"

MAX_TRACEBACK_LINES = 12
"""Lines of the submission's own traceback shown with an exception it raised."""


@dataclass(frozen=True)
class CaseMarks:
    """What a case's markers say: the skill it measures, its weight, and whether it is a contract check."""

    skill: str
    weight: float
    contract: bool


class Marker(Protocol):
    """What a marker holds, as pytest's ``Mark`` does: its arguments."""

    @property
    def args(self) -> tuple[Any, ...]: ...

    @property
    def kwargs(self) -> Mapping[str, Any]: ...


def marks_from(skill_markers: Sequence[Marker], contract: bool) -> CaseMarks | None:
    """The case's marks from its ``skill`` markers (exactly one, ``skill(name, weight=w > 0)``)
    and whether it has a ``contract`` marker; None when the skill marker is missing, given twice or
    malformed."""
    marker = skill_markers[0] if len(skill_markers) == 1 else None
    if marker is None or len(marker.args) != 1 or not isinstance(marker.args[0], str) \
            or set(marker.kwargs) - {"weight"}:
        return None
    weight = marker.kwargs.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) \
            or weight <= 0:
        return None
    return CaseMarks(marker.args[0], float(weight), contract)


def failure(error: BaseException | None, grader_detail: Callable[[], str]) -> tuple[str, FailureKind, str]:
    """The student-facing message of a failing case's ``error``, its kind, and instructor-only
    detail (``grader_detail()``, asked only for a fault of the suite)."""
    if isinstance(error, StudentRaised) and error.type == "NotImplementedError":
        return NOT_IMPLEMENTED, "student", ""
    if isinstance(error, StudentRaised):
        return _with_student_frames(str(error), error.traceback), "student", ""
    if isinstance(error, StudentCallError):
        return str(error), "student", ""
    if isinstance(error, AssertionError):
        return str(error), "assertion", ""
    return GRADER_FAILURE, "grader", grader_detail().strip()[-2000:]


def _with_student_frames(message: str, traceback: str) -> str:
    """The exception, then where in the student's file it was raised (the kit's frames never show)."""
    frames = [line for line in traceback.splitlines() if line.strip()]
    frames = [line for line in frames if not line.startswith(("Traceback", message.split(":")[0]))]
    if not frames:
        return message
    return message + "\nraised at:\n" + "\n".join(frames[-MAX_TRACEBACK_LINES:])


def passed_ending(properties: dict[str, Any]) -> dict[str, Any]:
    """The fields of a passing case's outcome: its consistency pass, if it recorded one."""
    return {"passed": True, "consistent_with": str(properties.get(CONSISTENT_WITH, "")),
            "consistent_on": str(properties.get(CONSISTENT_ON, ""))}


def failed_ending(failed: tuple[str, FailureKind, str], properties: dict[str, Any], curve: Curve | None,
                  raised: str, found: Misconception | None) -> dict[str, Any]:
    """The fields of a failing case's outcome: ``failed`` (``failure``'s answer), what it recorded,
    the curve and the exception's name, and the misconception its values show (None: none)."""
    from autograder.grading.diagnose import explained

    message, kind, detail = failed
    curve = curve if kind == "assertion" else None
    # only a wrong answer keeps the values it got right; a crash or a suite fault keeps nothing
    share = right_share(properties) if kind == "assertion" else 0.0
    if found is not None and kind != "grader":
        return {"passed": False, "message": explained(message, found), "kind": kind, "misconception": found.id,
                "curve": curve, "right_share": share}
    return {"passed": False, "message": message, "kind": kind, "detail": detail, "curve": curve,
            "raised": raised, "right_share": share}


def drop_exception(error: BaseException) -> None:
    """Clear the frames of ``error`` (and of its cause and context) and forget it in ``sys``."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        tb = current.__traceback__
        while tb is not None:
            # A suspended generator's frame (a fixture's) would be closed by clear(); leave it.
            if not tb.tb_frame.f_code.co_flags & (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR):
                try:
                    tb.tb_frame.clear()
                except RuntimeError:
                    pass  # still executing (a frame of this very call)
            tb = tb.tb_next
        current.__traceback__ = None
        pending += [current.__cause__, current.__context__]
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        sys.__dict__.pop(name, None)  # pytest keeps the last failure there for post-mortems
