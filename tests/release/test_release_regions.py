"""autograder.release.regions: finding, replacing and removing marked regions."""

from __future__ import annotations

import pytest

from autograder.release.regions import (
    CODE_STUB,
    HIDDEN_TESTS,
    SOLUTION,
    RegionError,
    mentions_marker,
    regions,
    remove_regions,
    replace_regions,
    strip_markers,
)

FUNCTION = """\
def f(x):
    \"\"\"Doc.\"\"\"
    ### BEGIN SOLUTION
    y = x + 1
    return y
    ### END SOLUTION"""


def test_replace_puts_the_stub_at_the_region_indentation() -> None:
    replaced, count = replace_regions(FUNCTION, SOLUTION, CODE_STUB)
    assert count == 1
    assert replaced.split("\n") == ["def f(x):", '    """Doc."""', "    # YOUR CODE HERE",
                                    "    raise NotImplementedError()"]


def test_replace_handles_several_regions_and_top_level_ones() -> None:
    source = "### BEGIN SOLUTION\na = 1\n### END SOLUTION\nb = 2\n  ### BEGIN SOLUTION\n  c = 3\n  ### END SOLUTION"
    replaced, count = replace_regions(source, SOLUTION, ("STUB",))
    assert count == 2
    assert replaced == "STUB\nb = 2\n  STUB"


def test_source_without_regions_is_unchanged() -> None:
    assert replace_regions("x = 1\ny = 2", SOLUTION, CODE_STUB) == ("x = 1\ny = 2", 0)
    assert remove_regions("x = 1", HIDDEN_TESTS) == ("x = 1", 0)


def test_markers_may_carry_surrounding_blanks() -> None:
    assert len(regions("  ### BEGIN SOLUTION  \nx\n### END SOLUTION\t", SOLUTION)) == 1


def test_a_marker_inside_other_text_is_not_a_marker_but_is_noticed() -> None:
    source = 'x = "### BEGIN SOLUTION"'
    assert regions(source, SOLUTION) == []
    assert mentions_marker(source) == "BEGIN SOLUTION"


@pytest.mark.parametrize(("source", "message"), [
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside"),
    ("x = 1\n### END SOLUTION", "never opened"),
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
], ids=["nested", "stray-end", "unclosed"])
def test_malformed_markers_are_errors_naming_the_line(source: str, message: str) -> None:
    with pytest.raises(RegionError, match=message) as caught:
        replace_regions(source, SOLUTION, CODE_STUB, where="cell 7")
    assert str(caught.value).startswith("cell 7: ") and "line" in str(caught.value)


def test_remove_drops_region_and_markers() -> None:
    source = "assert a\n### BEGIN HIDDEN TESTS\nassert secret\n### END HIDDEN TESTS\nassert b"
    assert remove_regions(source, HIDDEN_TESTS) == ("assert a\nassert b", 1)


def test_strip_markers_keeps_the_bodies() -> None:
    assert strip_markers(FUNCTION, SOLUTION).split("\n")[2:] == ["    y = x + 1", "    return y"]


def test_regions_report_body_indent_and_line() -> None:
    (region,) = regions(FUNCTION, SOLUTION)
    assert region.indent == "    "
    assert region.body == ("    y = x + 1", "    return y")
    assert region.begin_line == 3


@pytest.mark.parametrize("word", ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"])
def test_mentions_marker_finds_every_marker_word(word: str) -> None:
    assert mentions_marker(f"text {word} text") == word
    assert mentions_marker("nothing to see") is None
