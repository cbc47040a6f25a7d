"""Small grammar for messages: "1 submission", "2 submissions", "an int", "a list"."""

from __future__ import annotations

_AN_ANYWAY = ("ndarray", "nd", "hour", "honest")
_A_ANYWAY = ("uint", "uni", "use", "one")


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 submission``, ``3 submissions`` (``many`` for irregular plurals)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


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
