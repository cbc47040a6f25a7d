"""Grammar of messages: plurals and articles."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.wording import a_type, plural, with_article


@pytest.mark.parametrize(("count", "text"), [(0, "0 submissions"), (1, "1 submission"), (2, "2 submissions")])
def test_plural(count: int, text: str) -> None:
    assert plural(count, "submission") == text


@pytest.mark.parametrize(("noun", "text"), [
    ("int", "an int"), ("list", "a list"), ("ndarray of float32", "an ndarray of float32"),
    ("uint8", "a uint8"), ("float", "a float"), ("NoneType", "a NoneType"), ("object", "an object"),
    ("Element", "an Element")])
def test_with_article(noun: str, text: str) -> None:
    assert with_article(noun) == text


def test_a_type_names_the_type_without_calling_the_value() -> None:
    assert (a_type(3), a_type([1]), a_type(np.zeros(2))) == ("an int", "a list", "an ndarray")
