"""Marked regions of cell source: nbgrader's solution and hidden-test delimiters.

A region starts at a line whose text (leading and trailing blanks aside) is
exactly the begin marker, e.g. ``### BEGIN SOLUTION``, and ends at the next
line that is exactly the end marker. Regions never nest; an end without a
begin, a begin inside a region and a region left open are all errors naming
the line, so a typo cannot leak a solution into a release.

These are plain text functions; the notebook transforms apply them cell by
cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from autograder.release.errors import SourceError


class RegionError(SourceError):
    """Malformed region markers in a cell."""


@dataclass(frozen=True)
class Markers:
    """The begin and end lines of one kind of region."""

    kind: str
    begin: str
    end: str

    def is_begin(self, line: str) -> bool:
        return line.strip() == self.begin

    def is_end(self, line: str) -> bool:
        return line.strip() == self.end

    def words(self) -> tuple[str, str]:
        """The markers without their comment prefix ("BEGIN SOLUTION"): what a leak check looks for."""
        return self.begin.lstrip("#").strip(), self.end.lstrip("#").strip()


SOLUTION = Markers("solution", "### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_TESTS = Markers("hidden tests", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
ALL_MARKERS = (SOLUTION, HIDDEN_TESTS)

CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
"""What replaces a solution region, at the indentation of its begin marker (as nbgrader does)."""


@dataclass(frozen=True)
class Region:
    """One marked region: the begin marker's indentation and the lines between the markers."""

    indent: str
    body: tuple[str, ...]
    begin_line: int  # 1-based line number of the begin marker


def _scan(source: str, markers: Markers, *, where: str) -> list[str | Region]:
    """``source`` split into plain lines and regions, checking the markers pair up."""
    parts: list[str | Region] = []
    open_at: int | None = None
    indent = ""
    body: list[str] = []
    for number, line in enumerate(source.split("\n"), start=1):
        if markers.is_begin(line):
            if open_at is not None:
                raise RegionError(f"{where}: line {number} opens a {markers.kind} region inside the "
                                  f"one opened on line {open_at}")
            open_at, indent, body = number, line[: len(line) - len(line.lstrip())], []
        elif markers.is_end(line):
            if open_at is None:
                raise RegionError(f"{where}: line {number} closes a {markers.kind} region that was never opened")
            parts.append(Region(indent, tuple(body), open_at))
            open_at = None
        elif open_at is not None:
            body.append(line)
        else:
            parts.append(line)
    if open_at is not None:
        raise RegionError(f"{where}: the {markers.kind} region opened on line {open_at} is never closed "
                          f"(add {markers.end!r})")
    return parts


def regions(source: str, markers: Markers, *, where: str = "cell") -> list[Region]:
    """Every region of ``source`` delimited by ``markers``."""
    return [p for p in _scan(source, markers, where=where) if isinstance(p, Region)]


def has_region(source: str, markers: Markers, *, where: str = "cell") -> bool:
    return bool(regions(source, markers, where=where))


def replace_regions(source: str, markers: Markers, stub: tuple[str, ...], *,
                    where: str = "cell") -> tuple[str, int]:
    """``source`` with each region (markers included) replaced by ``stub`` at the region's
    indentation, and the number of regions replaced."""
    lines: list[str] = []
    count = 0
    for part in _scan(source, markers, where=where):
        if isinstance(part, Region):
            lines.extend(part.indent + s for s in stub)
            count += 1
        else:
            lines.append(part)
    return "\n".join(lines), count


def remove_regions(source: str, markers: Markers, *, where: str = "cell") -> tuple[str, int]:
    """``source`` without its regions (markers included), and the number removed."""
    return replace_regions(source, markers, (), where=where)


def strip_markers(source: str, markers: Markers, *, where: str = "cell") -> str:
    """``source`` with the marker lines dropped and the region bodies kept in place."""
    lines: list[str] = []
    for part in _scan(source, markers, where=where):
        lines.extend(part.body if isinstance(part, Region) else (part,))
    return "\n".join(lines)


def mentions_marker(text: str) -> str | None:
    """The first marker word (e.g. ``BEGIN SOLUTION``) found anywhere in ``text``, if any."""
    for markers in ALL_MARKERS:
        for word in markers.words():
            if word in text:
                return word
    return None
