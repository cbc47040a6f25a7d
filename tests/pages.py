"""Reading the HTML pages the kit writes (report.html, feedback.html), for checks that do not depend
on their layout: the tags and attributes, and the embedded SVG charts and plots."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np


class Page(HTMLParser):
    """The tags and attributes of a page, in order."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def all(self, tag: str) -> list[dict[str, str]]:
        """The attributes of every ``tag`` element."""
        return [attrs for name, attrs in self.tags if name == tag]


def assert_not_blank(pixels: np.ndarray) -> None:
    """A figure of a sensible size with ink on it, not one flat colour."""
    assert pixels.shape[0] > 120 and pixels.shape[1] > 400
    assert pixels.std() > 10 and (pixels < 128).mean() > 0.005


SVG = "{http://www.w3.org/2000/svg}"


def decoded_svg(src: str) -> ET.Element:
    """The root of an ``<img src="data:image/svg+xml;base64,...">``, which must parse as an SVG document."""
    prefix = "data:image/svg+xml;base64,"
    assert src.startswith(prefix)
    root = ET.fromstring(base64.b64decode(src[len(prefix):], validate=True).decode("utf-8"))
    assert root.tag == f"{SVG}svg"
    return root


def assert_chart_drawn(root: ET.Element) -> None:
    """A chart of a sensible size with bars and words on it (its first rectangle is the white ground)."""
    assert float(root.attrib["width"]) > 400 and float(root.attrib["height"]) > 120
    bars = [r for r in root.iter(f"{SVG}rect")][1:]
    assert bars and all(float(r.attrib["width"]) >= 0 for r in bars)
    assert any(float(r.attrib["width"]) > 0 and float(r.attrib["height"]) > 0 for r in bars)
    assert len([t for t in root.iter(f"{SVG}text") if (t.text or "").strip()]) >= 3


def chart_texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def assert_curve_drawn(root: ET.Element) -> None:
    """A failing check's plot: the reference's line and the student's points or edge marks."""
    assert float(root.attrib["width"]) >= 400 and float(root.attrib["height"]) >= 300
    lines = [p.attrib["points"].split() for p in root.iter(f"{SVG}polyline")]
    assert lines and max(len(points) for points in lines) >= 2
    assert list(root.iter(f"{SVG}circle")) or list(root.iter(f"{SVG}path"))
