"""Mistakes no catalog lists, derived from the reference's expressions by symbolic mutation.

``candidates`` (``autograder.mutants.candidates`` and ``.graphs``) builds, for one student
function, the reference with one change of its SymPy tree (``autograder.mutants.rewrites``).
``mutant_of`` names the first candidate that reproduces every logged call of a setting where the
reference does not; ``crash`` names a setting where every call raised. Both run in the trusted
grader on the logged arguments: the worker never sees the reference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autograder.catalog import Misconception, combined

if TYPE_CHECKING:
    from autograder.grading.diagnose import LoggedCall

SOURCE = "derived from the reference's expression by one symbolic change"
TAG_MARK = "~"
"""A derived mistake's id is ``function~tag``: the function and the family of the change."""
NOT_IMPLEMENTED = "NotImplementedError"
"""What the released stub's functions raise: no candidate reproduces it, so it is never a derived mistake."""
NOT_A_CRASH = ("InputChanged", "FloatingPointError", "TimeoutError", "SubmissionTimeUp")
"""Raised calls that say something other than "the code cannot run on these inputs"."""


def _named(function: str, tag: str, text: str) -> Misconception:
    return Misconception(f"{function}{TAG_MARK}{tag}", function, f"looks like: {text}.", SOURCE, "")


def mutant_of(function: str, calls: list[LoggedCall]) -> Misconception | None:
    """The first candidate that reproduces every call while the reference disagrees with one."""
    from autograder.grading.diagnose import _agrees
    from autograder.mutants.candidates import candidates

    if not calls or all(c.raised == NOT_IMPLEMENTED for c in calls):
        return None  # a stub's calls: a candidate (the reference's expressions, compiled) never raises that
    found = candidates(function, calls[0].args, calls[0].kwargs)
    reference = next((c for c in found if not c.tag), None)
    if reference is None:
        return None
    evidence = [c for c in calls if not _agrees(reference.function, c)]
    if not evidence:
        return None
    rest = [c for c in calls if c not in evidence]
    for candidate in found:
        if candidate.tag and all(_agrees(candidate.function, c) for c in evidence + rest):
            parts = (_named(function, candidate.tag, candidate.text),
                     *(_named(function, tag, text) for tag, text in candidate.also))
            return combined(parts)
    return None


def _described(value: Any) -> str:
    import numpy as np

    if isinstance(value, (list, tuple)):
        return "a Python list"
    if isinstance(value, np.ndarray):
        return "a 0-d array" if value.ndim == 0 else f"a {value.ndim}-D {value.dtype} array"
    if isinstance(value, (int, float)):
        return f"a Python {type(value).__name__}"
    return f"a {type(value).__name__}"


def crash(function: str, calls: list[LoggedCall]) -> Misconception | None:
    """Every call of the setting raised the same exception: name it with the inputs it fails on."""
    raised = {c.raised for c in calls}
    if len(raised) != 1 or "" in raised or raised & set(NOT_A_CRASH):
        return None
    kinds = ", ".join(dict.fromkeys(_described(a) for c in calls for a in c.args if not isinstance(a, str)))
    return _named(function, "crash", f"{function} raises {raised.pop()} when given {kinds}; make it work on "
                  "every input the docstring allows (np.asarray(..., dtype=np.float64) first, no len() of a number)")
