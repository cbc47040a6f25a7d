"""Reading the HTML pages the kit writes (report.html, feedback.html), for checks that do not depend
on their layout: the tags and attributes, and the embedded PNG figures."""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser

import numpy as np
from PIL import Image


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


def decoded_png(src: str) -> np.ndarray:
    """The grey-scale pixels of an ``<img src="data:image/png;base64,...">``, which must decode as a PNG."""
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    image = Image.open(io.BytesIO(base64.b64decode(src[len(prefix):], validate=True)))
    image.load()
    assert image.format == "PNG"
    return np.asarray(image.convert("L"))


def assert_not_blank(pixels: np.ndarray) -> None:
    """A figure of a sensible size with ink on it, not one flat colour."""
    assert pixels.shape[0] > 120 and pixels.shape[1] > 400
    assert pixels.std() > 10 and (pixels < 128).mean() > 0.005
