"""A submission's code as normalised tokens, each tied to where it stands in the text shown.

Normalising is what makes a renamed or reformatted copy look like its original:

* every name that is not a keyword, a builtin or an attribute (``np.exp``'s ``exp``) is ``V``,
  so renaming variables, parameters and helper functions changes nothing;
* every number is ``N`` and every string ``S``; a string that is a statement of its own (a
  docstring) is dropped, as are comments and blank or continued lines, so editing them changes
  nothing either;
* ``NEWLINE``, ``INDENT`` and ``DEDENT`` stay: they are the code's structure, not its layout.

Python's own ``tokenize`` reads the code. A cell it cannot read (a syntax error, an unclosed
bracket: student code is hostile) is read by a plain regular expression instead, without layout
tokens, so it is still compared. Nothing here runs or imports the code.
"""

from __future__ import annotations

import builtins
import io
import keyword
import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

VARIABLE, NUMBER, STRING = "V", "N", "S"
_KEPT_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))
_DROPPED = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER})
_STRING_PARTS = frozenset({tokenize.STRING, *(getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE",
                                                                              "FSTRING_END") if hasattr(tokenize, n))})
_FALLBACK = re.compile(r"""(?P<name>[^\W\d]\w*)|(?P<number>\d[\w.]*)|(?P<string>'[^'\n]*'?|"[^"\n]*"?)"""
                       r"|(?P<comment>\#[^\n]*)|(?P<op>[^\s\w])")


@dataclass(frozen=True)
class Token:
    """One normalised token: ``text`` (``V``, ``N``, ``S``, a keyword, an operator...) and the
    characters ``start:end`` of the code it was read from."""

    text: str
    start: int
    end: int


def _line_offsets(code: str) -> list[int]:
    """Where each line of ``code`` starts (index 0 is line 1)."""
    offsets = [0]
    for line in code.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets


def _normal(kind: int, text: str, after_dot: bool) -> str:
    if kind == tokenize.NAME:
        return text if after_dot or text in _KEPT_NAMES else VARIABLE
    if kind == tokenize.NUMBER:
        return NUMBER
    if kind in _STRING_PARTS:
        return STRING
    if kind == tokenize.NEWLINE:
        return "NEWLINE"
    if kind == tokenize.INDENT:
        return "INDENT"
    if kind == tokenize.DEDENT:
        return "DEDENT"
    return text


def _python_tokens(code: str) -> list[Token]:
    """``code`` read by ``tokenize``; a ``tokenize.TokenError`` or ``SyntaxError`` when it cannot be."""
    lines = _line_offsets(code)
    found: list[Token] = []
    begin = 0  # where the current statement's tokens start in ``found``
    previous = ""
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type in _DROPPED:
            continue
        start = lines[token.start[0] - 1] + token.start[1]
        end = lines[token.end[0] - 1] + token.end[1]
        text = _normal(token.type, token.string, previous == ".")
        previous = token.string
        if text == "NEWLINE" and len(found) > begin and all(t.text == STRING for t in found[begin:]):
            del found[begin:]  # a statement that is only a string: a docstring
            continue
        found.append(Token(text, start, end))
        if text in ("NEWLINE", "INDENT", "DEDENT"):
            begin = len(found)
    return _merged_strings(found)


def _merged_strings(found: list[Token]) -> list[Token]:
    """Adjacent ``S`` tokens (an f-string's parts, implicit concatenation) as one ``S``."""
    merged: list[Token] = []
    for token in found:
        if merged and token.text == STRING and merged[-1].text == STRING:
            merged[-1] = Token(STRING, merged[-1].start, token.end)
        else:
            merged.append(token)
    return merged


def _fallback_tokens(code: str) -> list[Token]:
    """``code`` read by a regular expression: names, numbers, strings and operators, no layout."""
    found: list[Token] = []
    previous = ""
    for match in _FALLBACK.finditer(code):
        kind, text = match.lastgroup, match.group()
        if kind == "comment":
            continue
        if kind == "name":
            normal = text if previous == "." or text in _KEPT_NAMES else VARIABLE
        else:
            normal = {"number": NUMBER, "string": STRING}.get(kind or "", text)
        found.append(Token(normal, match.start(), match.end()))
        previous = text
    return found


def code_tokens(code: str) -> list[Token]:
    """The normalised tokens of one cell (or script) of Python, offsets into ``code``."""
    try:
        return _python_tokens(code)
    except (tokenize.TokenError, SyntaxError):
        return _fallback_tokens(code)


def cells_tokens(cells: Sequence[str], separator: str) -> Iterator[Token]:
    """The tokens of ``cells`` joined by ``separator``, offsets into the joined text."""
    offset = 0
    for cell in cells:
        for token in code_tokens(cell):
            yield Token(token.text, token.start + offset, token.end + offset)
        offset += len(cell) + len(separator)
