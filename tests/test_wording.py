"""Grammar of messages: plurals and articles."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.wording import a_type, plural, shortened, with_article


@pytest.mark.parametrize(("count", "text"), [(0, "0 submissions"), (1, "1 submission"), (2, "2 submissions")])
def test_plural(count: int, text: str) -> None:
    assert plural(count, "submission") == text


@pytest.mark.parametrize(("count", "text"), [(1.0, "1 point"), (2.5, "2.5 points"), (0.0, "0 points"),
                                             (100.0, "100 points")])
def test_plural_of_points_shows_them_as_numbers_are_shown(count: float, text: str) -> None:
    assert plural(count, "point") == text


def test_plural_takes_an_irregular_plural() -> None:
    assert (plural(1, "child", "children"), plural(3, "child", "children")) == ("1 child", "3 children")


SENTENCE = "the submission could not be loaded: NameError: name 'sigmiod' is not defined in cell 4, line 2"


@pytest.mark.parametrize("width", [20, 37, 50, 80, len(SENTENCE) - 1])
def test_shortened_cuts_at_a_word_and_says_so(width: int) -> None:
    short = shortened(SENTENCE, width)
    assert len(short) <= width
    assert short.endswith("…")
    kept = short.removesuffix("…")
    assert SENTENCE.startswith(kept)
    assert SENTENCE[len(kept)] in " ;,:"  # cut before a space or a punctuation mark: never mid-word
    assert len(kept) > width // 3


def test_shortened_keeps_what_fits() -> None:
    assert shortened(SENTENCE, len(SENTENCE)) == SENTENCE


def test_shortened_cuts_one_long_word_at_the_width() -> None:
    word = "x" * 300
    assert shortened(word, 120) == "x" * 119 + "…"


@pytest.mark.parametrize(("noun", "text"), [
    ("int", "an int"), ("list", "a list"), ("ndarray of float32", "an ndarray of float32"),
    ("uint8", "a uint8"), ("float", "a float"), ("NoneType", "a NoneType"), ("object", "an object"),
    ("Element", "an Element")])
def test_with_article(noun: str, text: str) -> None:
    assert with_article(noun) == text


def test_a_type_names_the_type_without_calling_the_value() -> None:
    assert (a_type(3), a_type([1]), a_type(np.zeros(2))) == ("an int", "a list", "an ndarray")
