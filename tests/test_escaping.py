"""``autograder.escaping``: one function per medium, each making student text inert."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from rich.console import Console
from rich.text import Text

from autograder.escaping import (
    csv_cell,
    markdown_text,
    markdown_unescape,
    strip_controls,
    terminal_plain,
    terminal_text,
)

AWKWARD = [
    "plain words", "sigmoid(x=30): got nan, should be 1", "got [-1.,  2.], should be [0., 2.]",
    "x < 0 & y > 1", "a\\b\\[c\\", "&lt;already&gt;", "**bold** _it_ `code` ~~del~~ | t |",
    "# h\n  - item\n1. one\n2) two\n===\n---\n+ plus\n> quote", "[link](javascript:alert(1))",
    "<script>alert(1)</script>", "tab\there",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_markdown_renders_exactly_the_text(text: str) -> None:
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown_text(text))
    for live in ("<script", "<a ", "<strong", "<em", "<h1", "<h2", "<ul", "<ol", "<blockquote",
                 "<hr", "<table", "<del", "<code"):
        assert live not in html, (live, html)


@pytest.mark.parametrize("text", AWKWARD)
def test_markdown_escaping_round_trips(text: str) -> None:
    assert markdown_unescape(markdown_text(text)) == text


def test_ordinary_messages_are_left_alone_in_markdown() -> None:
    assert markdown_text("sigmoid(x=30): got nan, should be 1") == "sigmoid(x=30): got nan, should be 1"


def test_terminal_escapes_and_controls_are_removed() -> None:
    text = "a\x1b[2J\x1b[Hb\x9b31mc\x1b]0;title\x07d\re\x00f\u202eg\nh\ti"
    assert strip_controls(text) == "abcdef" + "g\nh\ti"
    assert terminal_plain(text, one_line=True) == "abcdefg h i"


def test_terminal_markup_is_shown_not_applied() -> None:
    console = Console(file=io.StringIO(), emoji=False, width=200)
    shown = terminal_text("[/] x [bold]y[/bold] :thumbs_up: trailing\\")
    console.print(f"[red]x {shown}[/red]")
    assert console.file.getvalue() == "x [/] x [bold]y[/bold] :thumbs_up: trailing\\\n"  # type: ignore[attr-defined]
    console.print(Text(terminal_plain("[/] z")))
    assert console.file.getvalue().endswith("[/] z\n")  # type: ignore[attr-defined]


@given(st.text(alphabet=st.sampled_from("ab [/]\\#@:x\n\x1b"), max_size=20))
def test_terminal_text_is_richs_escape_of_the_plain_text(text: str) -> None:
    """Text without a ``[`` or a trailing backslash skips rich's markup module: the same escape."""
    from rich.markup import escape

    for one_line in (False, True):
        assert terminal_text(text, one_line=one_line) == escape(terminal_plain(text, one_line=one_line))


@pytest.mark.parametrize(("cell", "shown"), [
    ("=HYPERLINK(\"http:evil.example\",\"x\")", "'=HYPERLINK(\"http:evil.example\",\"x\")"),
    ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "' =1"), ("\r=1", "'=1"), ("  =1", "'  =1"),
    ("alice", "alice"), ("o'brien", "o'brien"), ("zoë", "zoë"), ("", ""),
])
def test_csv_cells_never_start_a_formula(cell: str, shown: str) -> None:
    assert csv_cell(cell) == shown


@pytest.mark.parametrize(("cell", "shown"), [
    ("a\x1b[2J\x1b[Hb", "ab"), ("x\nALL STUDENTS,100,100", "x ALL STUDENTS,100,100"), ("a\tb", "a b"),
    ("abc\u202egnp.exe", "abcgnp.exe"), ("\u2066x\u2069", "x"), ("evil\udcff", "evil\ufffd"),
])
def test_csv_cells_are_one_plain_line(cell: str, shown: str) -> None:
    """``cat grades.csv`` shows the cell: no escape, bidi override, line break or lone surrogate."""
    assert csv_cell(cell) == shown


def test_markdown_escaping_replaces_each_character_once_whatever_its_neighbours() -> None:
    """Each special character becomes its escape exactly once, as a character-by-character mapping
    would make it, however the characters follow each other (an entity's ``&``, a backslash before
    a backtick, ...)."""
    import random

    from autograder.escaping import _HTML, _INLINE, _inert_markdown

    one_by_one = {**_HTML, **{char: f"\\{char}" for char in _INLINE}}
    rng = random.Random(7)
    alphabet = "".join(one_by_one) + "ab #-1.)&;lt"
    for _ in range(20_000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert _inert_markdown(line) == "".join(one_by_one.get(char, char) for char in line), line
