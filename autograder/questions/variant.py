"""One variant per student: every number of a question sheet drawn from a keyed hash.

A draw is ``HMAC-SHA256(secret, assignment id NUL student id NUL label)`` read as
a number in [0, 1), one hash per label. So a variant

* is the same every time for the same student (it can be regenerated, never stored),
* differs between students and between assignments,
* cannot be predicted without the course secret,
* does not depend on a random-number library's version (no generator stream).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

T = TypeVar("T")

_DRAW_BITS = 64


class VariantError(ValueError):
    """A variant that cannot be drawn (no secret, no admissible draw)."""


@dataclass(frozen=True)
class Variant:
    """The draws of one student's variant of one assignment."""

    assignment_id: str
    student_id: str
    secret: bytes

    def __post_init__(self) -> None:
        if not self.secret:
            raise VariantError("the course secret is empty")

    def draw(self, label: str) -> float:
        """A number in [0, 1), fixed by the secret, the assignment, the student and ``label``."""
        message = "\0".join((self.assignment_id, self.student_id, label)).encode("utf-8", "surrogatepass")
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return int.from_bytes(digest[: _DRAW_BITS // 8], "big") / 2.0**_DRAW_BITS

    def pick(self, label: str, options: Sequence[T]) -> T:
        """One of ``options``, uniformly."""
        if not options:
            raise VariantError(f"{label}: nothing to pick from")
        return options[int(self.draw(label) * len(options))]

    def shuffled(self, label: str, items: Sequence[T]) -> tuple[T, ...]:
        """``items`` in this variant's order (sorted by one draw per position)."""
        order = sorted(range(len(items)), key=lambda i: (self.draw(f"{label}#{i}"), i))
        return tuple(items[i] for i in order)

    def grid(self, label: str, low: Fraction, high: Fraction, step: Fraction) -> Fraction:
        """A point of ``low, low + step, ..., high``, exactly (hand-friendly numbers)."""
        count = int((high - low) / step) + 1
        return low + step * int(self.draw(label) * count)

    def nonzero_grid(self, label: str, magnitude: tuple[Fraction, Fraction], step: Fraction) -> Fraction:
        """A point of the grid on ``magnitude`` with a drawn sign: never near 0."""
        value = self.grid(label, magnitude[0], magnitude[1], step)
        return value if self.draw(f"{label}:sign") < 0.5 else -value
