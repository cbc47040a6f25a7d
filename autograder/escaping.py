"""Escaping of student-controlled text for every medium the kit writes to.

Student-controlled text is anything a submission decides: its file name (the
student id), the messages of the exceptions it raises, the values it returns
as they appear in failure messages, notebook lines quoted in warnings, member
names of a zip. Each medium gets exactly one function here, and every place
that shows such text uses it:

* ``terminal_text`` / ``terminal_plain``: the instructor's terminal (rich);
* ``markdown_text``: ``feedback.md`` and the ``output`` fields of
  ``results.json`` that Gradescope renders as Markdown;
* ``csv_cell``: ``grades.csv`` (spreadsheet formula injection, and ``cat``);
* ``html_text``: ``report.html`` and ``feedback.html`` (the Jinja2 templates
  also autoescape everything else they are given).

The goal is inert text: whatever the student wrote is shown, never obeyed.
Every function here also makes the text valid Unicode (``valid_text``): a lone
surrogate becomes U+FFFD instead of an error when the file is written.
"""

from __future__ import annotations

import html
import re

# ANSI/VT sequences, in their 7-bit (ESC x) and 8-bit (C1) forms: CSI (ESC [ or
# 0x9b, parameters, final byte), OSC (ESC ] or 0x9d, up to BEL or ST), the other
# string sequences (DCS, SOS, PM, APC, up to ST), and two-character escapes.
# Whatever is left of a broken sequence is removed with the controls below.
_ANSI = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x1b")
# C0 controls except tab and newline, DEL, C1 controls, and the Unicode
# bidirectional overrides/isolates that reorder what a reader sees.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


# Lone surrogates: what Python makes of a file name's bytes that are not UTF-8
# (surrogateescape), or of a JSON "\ud800". No UTF-8 file can hold them.
_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` as valid Unicode: every lone surrogate becomes U+FFFD, as a UTF-8 decoder with
    replacement would show it, so writing it anywhere cannot fail."""
    text = str(text)
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def strip_controls(text: str) -> str:
    """``text`` as valid Unicode (``valid_text``), without terminal escape sequences and control
    characters (tab and newline stay).

    A carriage return is a control character too: it would let a message
    overwrite what was printed before it on the same line.
    """
    if type(text) is str and text.isascii() and (text.isprintable() or _CONTROL.search(text) is None):
        return text  # most text: no control character, so no escape sequence (each begins with one)
    return _CONTROL.sub("", _ANSI.sub("", valid_text(text)))


# --------------------------------------------------------------------------
# Terminal (rich)


def terminal_plain(text: str, *, one_line: bool = False) -> str:
    """Student text for the terminal where rich markup is OFF (``Text``, ``markup=False``).

    ``one_line`` folds newlines and tabs into spaces (table cells, one-line reports).
    """
    clean = strip_controls(text)
    return " ".join(clean.split()) if one_line else clean


def terminal_text(text: str, *, one_line: bool = False) -> str:
    """Student text to embed in a rich markup string: controls stripped, ``[`` escaped."""
    plain = terminal_plain(text, one_line=one_line)
    if "[" not in plain and not plain.endswith("\\"):
        return plain  # what rich's escape returns for it, without loading rich's markup
    from rich.markup import escape

    return escape(plain)


# --------------------------------------------------------------------------
# Markdown (feedback.md, Gradescope "md" output)

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Punctuation that starts Markdown syntax anywhere in a line: emphasis, code
# spans and fences, links and images, strikethrough, table cells, escapes.
_INLINE = frozenset("\\`*_[]~|")
# Syntax that only counts at the start of a line (after indentation): headings,
# list items, setext underlines, thematic breaks, ordered lists.
_LINE_START = re.compile(r"^([ \t]*)(?:([#+=\-])|(\d+)([.)]))")
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])|&(amp|lt|gt);")


_MARKDOWN_INERT = (*_HTML.items(), ("\\", "\\\\"), *((c, f"\\{c}") for c in sorted(_INLINE - {"\\"})))
"""Each character of ``_HTML`` as its entity, each of ``_INLINE`` behind a backslash, in an order
that never replaces what an earlier replacement wrote: ``&`` first, the backslash before the others."""


def _inert_markdown(line: str) -> str:
    """``line`` with each character of ``_MARKDOWN_INERT`` replaced (most lines hold few of them)."""
    for char, replacement in _MARKDOWN_INERT:
        if char in line:
            line = line.replace(char, replacement)
    return line


def _markdown_line(line: str) -> str:
    escaped = _inert_markdown(line)
    match = _LINE_START.match(escaped)
    if match is None:
        return escaped
    indent, marker, digits, delimiter = match.groups()
    if marker is not None:
        return f"{indent}\\{marker}{escaped[match.end():]}"
    return f"{indent}{digits}\\{delimiter}{escaped[match.end():]}"


def markdown_text(text: str) -> str:
    """Student text as inert Markdown: it renders as exactly these characters.

    Raw HTML (``<script>``, ``<img onerror=...>``), links and images (so no
    ``javascript:`` link can form), emphasis (a fake ``**Score 100 / 100**``),
    headings, lists, tables, code fences and terminal escapes all become plain
    text; ``markdown_unescape`` gives the text back.
    """
    return "\n".join(_markdown_line(line) for line in strip_controls(text).split("\n"))


def markdown_unescape(text: str) -> str:
    """The text ``markdown_text`` escaped (control characters it removed stay removed)."""
    entities = {"amp": "&", "lt": "<", "gt": ">"}
    return _UNESCAPE.sub(lambda m: m.group(1) if m.group(1) is not None else entities[m.group(2)], text)


# --------------------------------------------------------------------------
# CSV (spreadsheets)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text, and ``cat`` as one plain line of the file.

    Spreadsheets evaluate a cell that begins with ``=``, ``+``, ``-`` or ``@``
    (and some after a tab, a carriage return or spaces), so ``=HYPERLINK(...)`` as
    a student id would be a live link; the leading quote keeps it text. Terminal
    escapes, control and bidi characters are removed and tabs and newlines become
    spaces, so ``cat grades.csv`` cannot clear the screen or show a row the kit
    did not write. Numbers the kit writes itself do not go through here.
    """
    text = strip_controls(text).replace("\t", " ").replace("\n", " ")
    return f"'{text}" if text.lstrip(" ").startswith(_FORMULA_START) else text


# --------------------------------------------------------------------------
# HTML (report.html, feedback.html)


def html_text(text: str) -> str:
    """Student text as inert HTML: controls and bidi overrides removed, ``& < > " '`` escaped.

    Safe in element content and in quoted attribute values; a URL built from
    student text still needs ``urllib.parse.quote`` first.
    """
    return html.escape(strip_controls(text), quote=True)
