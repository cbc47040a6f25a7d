"""Small grammar for messages: "1 submission", "2 submissions", "an int", "a list", a long line shortened."""

from __future__ import annotations

_AN_ANYWAY = ("ndarray", "nd", "hour", "honest")
_A_ANYWAY = ("uint", "uni", "use", "one")


def plural(count: float, noun: str, many: str | None = None) -> str:
    """``1 submission``, ``3 submissions``, ``2.5 points`` (``many`` for irregular plurals)."""
    shown = f"{count:g}" if isinstance(count, float) else str(count)
    return f"{shown} {noun if shown == '1' else many or noun + 's'}"


def shortened(text: str, width: int) -> str:
    """``text`` if it fits in ``width`` characters, else cut at the last word boundary and ended with "…".

    A word longer than half the width is cut where the width ends: the line stays at most ``width``.
    """
    if len(text) <= width:
        return text
    cut = text[:width - 1]
    boundary = cut.rfind(" ")
    if boundary >= width // 2:
        cut = cut[:boundary]
    return cut.rstrip(" ;,:-") + "…"


def with_article(noun: str) -> str:
    """``an int``, ``a list``, ``an ndarray of float32``, ``a uint8``: the indefinite article as spoken."""
    word = noun.lower()
    if word.startswith(_A_ANYWAY):
        return f"a {noun}"
    vowel = word[:1] in ("a", "e", "i", "o", "u")
    return f"{'an' if vowel or word.startswith(_AN_ANYWAY) else 'a'} {noun}"


def a_type(value: object) -> str:
    """The type of ``value`` with its article, never calling a method of it: ``an int``, ``a Liar``."""
    return with_article(type(value).__name__)
