"""The stated rules a hidden check may enforce, and how the student material states them.

A contract check (and an edge check, such as a kink convention) enforces a rule
that students can read before they hand in. It names it with
``@pytest.mark.rule("<id>")``; ``autograder validate`` fails when a hidden
check cites a rule that the release does not state, or when a contract check
cites none.

The release states a rule in one of two places:

* the README's "Rules every function follows" (``GENERAL_RULES``, written by
  ``autograder.release.readme``), for the rules of every function;
* a function's docstring in the instructor's ``source.py``, which the stub keeps,
  as ``(rule `<id>`)`` after the sentence that says it, for a rule of that
  function alone (``choose_activation`` raising ``ValueError`` for an unknown name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the release's README imports this module; it needs no pytest
    import pytest

MARKER = "rule"
"""The marker's name: ``@pytest.mark.rule("no-input-mutation")``."""

_ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_STATED = re.compile(rf"\(rule `({_ID})`\)")
_VALID_ID = re.compile(rf"{_ID}\Z")


@dataclass(frozen=True)
class Rule:
    """A rule every function of every assignment follows, as the README states it."""

    id: str
    text: str
    """The README's bullet, in Markdown, without the ``(rule `id`)`` that ends it."""

    def stated(self) -> str:
        return f"{self.text} {cite(self.id)}"


GENERAL_RULES = (
    Rule("accepts-int-input",
         "Accept numpy arrays of any shape and Python scalars, **ints too**: integer input gives "
         "the results of the same numbers as floats (convert with `np.asarray(x, dtype=np.float64)`)."),
    Rule("returns-float64-array",
         "Return **float64** numpy arrays of the shape the docstring gives (an elementwise "
         "function: the input's shape), never a list, a tuple or another dtype."),
    Rule("returns-python-float",
         "A function whose docstring says it returns a float returns a Python `float` "
         "(`float(...)`), not a numpy array."),
    Rule("no-input-mutation",
         "**Never modify an input**: build and return new arrays (and new dicts)."),
    Rule("no-state-between-calls",
         "The same input gives the same result: keep no state between calls."),
    Rule("finite-for-abs-x-le-1000",
         "Stay finite for every **|x| <= 1000**: no `nan` or `inf` in a result."),
    Rule("no-floating-point-errors",
         "Stay warning-free there too: the grader runs your code under "
         "`np.errstate(over=\"raise\", invalid=\"raise\", divide=\"raise\")`, so an overflow in "
         "`np.exp` is an error even when the final value would be right."),
)
GENERAL_IDS = frozenset(rule.id for rule in GENERAL_RULES)


def cite(rule_id: str) -> str:
    """How the student material names a rule: ``(rule `no-input-mutation`)``."""
    return f"(rule `{rule_id}`)"


def stated_in(text: str) -> frozenset[str]:
    """The rule ids ``text`` (a README, a stub's source) states, by their ``(rule `id`)``."""
    return frozenset(_STATED.findall(text))


def rules_of(item: pytest.Item) -> tuple[str, ...]:
    """The rule ids a collected case cites (its own ``rule`` markers and its parameter's)."""
    ids = [arg for marker in item.iter_markers(MARKER) for arg in marker.args]
    return tuple(dict.fromkeys(ids))


def malformed(ids: Iterable[object]) -> list[str]:
    """The cited ids that are not rule ids (lower-case words joined by hyphens)."""
    return [repr(i) for i in ids if not isinstance(i, str) or not _VALID_ID.match(i)]
