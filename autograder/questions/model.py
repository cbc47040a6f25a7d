"""A question of a student's sheet, with its key and the reason for it.

Four kinds, each with its answer type in ``answers.toml``:

* ``one``: one option (a string);
* ``many``: every option that fits (a list of strings), credit right minus wrong;
* ``bool``: true or false;
* ``number``: a number, within ``autograder.tolerances.HAND`` of the key.

A number may also be judged against the student's own earlier answers
(``own_work``): the sum of two paths the student got wrong is still right as
their sum, so one mistake costs once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from autograder.questions.variant import Variant

Kind = Literal["one", "many", "bool", "number"]
KINDS: tuple[Kind, ...] = ("one", "many", "bool", "number")

Key = str | tuple[str, ...] | bool | float
"""A key's type follows its kind: str (one), tuple of str (many), bool, float (number)."""


@dataclass(frozen=True)
class OwnWork:
    """How to recompute a number from the student's answers to ``uses`` (all numbers)."""

    uses: tuple[str, ...]
    compute: Callable[[Mapping[str, float]], float]
    says: str
    """What the recomputation is, for feedback: "path_1 + path_2 of your answers"."""


@dataclass(frozen=True)
class Question:
    """One question of one variant. ``reason`` explains the key from its derivation."""

    id: str
    kind: Kind
    prompt: str
    key: Key
    reason: str
    points: float
    options: tuple[str, ...] = ()
    option_reasons: tuple[tuple[str, str], ...] = ()
    instructor_keyed: bool = False
    own_work: OwnWork | None = None
    tolerance_base: float | None = None
    """For a number whose tested part is small beside it (w_new = w_old - eta g with a tiny step):
    the old weight. ``tolerances.HAND`` is then relative to the change from it (the step, of the key
    or of the student's own work), not to the number; None: relative to the number."""

    def key_text(self) -> str:
        """The key as a student would write it."""
        if isinstance(self.key, tuple):
            return "[" + ", ".join(self.key) + "]" if self.key else "[] (none of them)"
        if isinstance(self.key, bool):
            return "true" if self.key else "false"
        if isinstance(self.key, float):
            return f"{self.key:.10g}" if self.tolerance_base is not None else f"{self.key:.6g}"
        return self.key


Builder = Callable[["Variant", float], Question]
"""A bank entry: the question of one variant, worth the given points."""
