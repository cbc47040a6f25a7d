"""``similarity.html``: each listed pair's code side by side, the matched regions highlighted.

Student code is hostile text: every piece of it goes through ``escaping.html_text`` (controls
and bidi overrides removed, then escaped) before it becomes markup, and the page carries the
report's Content-Security-Policy (no script, no network). A region and the region of the other
side it matches share a colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from autograder.escaping import html_text
from autograder.integrity.documents import Document
from autograder.integrity.pairs import Region

COLORS = 8
"""Highlight colours (``m0`` ... ``m7`` in the page's style), reused in turn."""
MAX_SHOWN_LINES = 1500
"""Lines of one side shown at most (a hostile file can be megabytes); the rest is counted."""


@dataclass(frozen=True)
class Line:
    """One line of code as shown: its number, the notebook cell starting there (if any), its markup."""

    number: int
    cell: int | None
    html: Markup


def _marked(text: str, color: int) -> str:
    return f'<mark class="m{color % COLORS}">{html_text(text)}</mark>' if color >= 0 else html_text(text)


def _line_html(line: str, start: int, regions: Sequence[Region]) -> Markup:
    """``line`` (which starts at ``start`` in the text) with the parts inside ``regions`` marked."""
    parts, at = [], 0
    for region in regions:
        lo, hi = max(region.start - start, at), min(region.end - start, len(line))
        if hi <= lo:
            continue
        parts += [html_text(line[at:lo]), _marked(line[lo:hi], region.color)]
        at = hi
    parts.append(html_text(line[at:]))
    return Markup("".join(parts))  # noqa: S704  (every piece is escaped above)


def shown_lines(document: Document, regions: Sequence[Region]) -> tuple[list[Line], int]:
    """The document's lines with highlighting, at most ``MAX_SHOWN_LINES``, and how many were left out."""
    ordered = sorted(regions, key=lambda r: r.start)
    cells = dict(document.cells)
    lines = document.text.split("\n")
    shown, start, first = [], 0, 0
    for number, line in enumerate(lines[:MAX_SHOWN_LINES], start=1):
        end = start + len(line)
        while first < len(ordered) and ordered[first].end <= start:
            first += 1
        near = [r for r in ordered[first:first + 64] if r.start < end + 1]
        shown.append(Line(number, cells.get(number), _line_html(line, start, near)))
        start = end + 1
    return shown, max(0, len(lines) - MAX_SHOWN_LINES)


def region_lines(document: Document, regions: Sequence[Region]) -> list[list[int]]:
    """Each region's first and last line (1-based), for ``similarity.json``."""
    text = document.text
    return [[text.count("\n", 0, r.start) + 1, text.count("\n", 0, max(r.start, r.end - 1)) + 1]
            for r in sorted(regions, key=lambda r: r.start)]


def render_page(context: dict[str, Any]) -> str:
    """The page, from the report's template environment (autoescape, the ``student`` filter, CSP)."""
    from autograder.report.render import render

    return render("similarity.html", **context)
